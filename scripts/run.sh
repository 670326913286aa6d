#!/bin/bash
# usage: run.sh check [TEST...]   run tests/check.list (or the given tests) in the VM; verdict
#        run.sh matrix            run the field x map-type probe in the VM; print its table
. "$(dirname "$0")/lib.sh"
mode=${1:-check}; shift || true

case $mode in
check)
	if [ $# -eq 0 ]; then
		mapfile -t tests < <(sed -e 's/#.*//' -e '/^\s*$/d' "$ROOT/tests/check.list")
	else
		tests=("$@")
	fi
	"$ROOT/scripts/vm.sh" check "${tests[@]}"
	"$ROOT/scripts/report.py" "$BUILD/run-$VARIANT-check" | tee "$BUILD/run-$VARIANT-check/verdict.txt"
	;;
matrix)
	VERBOSE=1 "$ROOT/scripts/vm.sh" matrix field_matrix
	run=$BUILD/run-$VARIANT-matrix
	# The probe prints its table between these two lines.
	sed -n '/^=== field matrix/,/^=== end field matrix/p' "$run/log/field_matrix.log" | tee "$run/matrix.txt"
	"$ROOT/scripts/report.py" "$run" >"$run/verdict.txt" || { cat "$run/verdict.txt"; exit 1; }
	[ -s "$run/matrix.txt" ] || die "the probe printed no table, see $run/log/field_matrix.log"
	;;
*) die "usage: $0 check [TEST...] | matrix" ;;
esac

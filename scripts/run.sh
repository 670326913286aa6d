#!/bin/bash
# usage: run.sh check [TEST...]   run tests/check.list (or the given tests) in the VM; verdict
#        run.sh check-base        the baseline tests on the unpatched kernel (build/base)
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
check-base)
	# The baseline part of tests/check.list (up to the series' own tests)
	# and field_matrix, on the unpatched kernel with selftests built for it.
	"$ROOT/scripts/base.sh"
	mapfile -t tests < <(sed -n -e "/^# The series' own tests/q" -e 's/#.*//' -e '/^\s*$/d' -e p \
		"$ROOT/tests/check.list")
	BUILD=$BUILD/base "$ROOT/scripts/build.sh" selftests
	BUILD=$BUILD/base "$ROOT/scripts/run.sh" check "${tests[@]}" field_matrix
	;;
*) die "usage: $0 check [TEST...] | check-base | matrix" ;;
esac

#!/bin/bash
# Regressions: every test_progs test, test_verifier and test_maps on the base
# kernel (scripts/base.sh, with selftests built for it) and on the series
# kernel, same VM setup; per-test verdicts side by side in build/regress/report.txt.
# On the base, the tests of tests/regress-base-skip.list are not run
# (skip(base)): they crash or hang that kernel.
# env: REGRESS_TESTS="a b" (only these test_progs tests; default: all of
#      `test_progs -l`), REGRESS_DENY="a b" (not these, on both kernels),
#      REGRESS_SUITES (default "test_progs test_verifier test_maps", with
#      REGRESS_TESTS only "test_progs"),
#      REGRESS_KERNELS (default "base series": run these, report on both with
#      what the other one's last run left), REGRESS_SKIP (the skip list file),
#      and those of regress-vm.sh: TIMEOUT (s per test, 600), REGRESS_BATCH (25)...
. "$(dirname "$0")/lib.sh"

out=$BUILD/regress; [ "$VARIANT" = vm ] || out=$BUILD/regress-$VARIANT
suites=${REGRESS_SUITES:-test_progs test_verifier test_maps}
[ -n "${REGRESS_TESTS:-}" ] && suites=${REGRESS_SUITES:-test_progs}
kernels=${REGRESS_KERNELS:-base series}
skip=${REGRESS_SKIP:-$ROOT/tests/regress-base-skip.list}
extra=$(for s in $suites; do [ "$s" = test_progs ] || echo "$s"; done | tr '\n' ' ')

[ -f "$OBJ/vmlinux" ] || die "no series kernel in $OBJ (make build)"
case " $kernels " in *" base "*)
	"$ROOT/scripts/base.sh"
	BUILD=$BUILD/base SELFTESTS_EXTRA=$extra "$ROOT/scripts/build.sh" selftests ;;
esac
case " $kernels " in *" series "*)
	SELFTESTS_EXTRA=$extra "$ROOT/scripts/build.sh" selftests ;;
esac

mkdir -p "$out"
for k in $kernels; do
	dir=$out/$k
	st=$ST tree=$SRC
	[ "$k" = base ] && st=$BUILD/base/linux/tools/testing/selftests/bpf tree=$BUILD/base/linux
	rm -rf "$dir"; mkdir -p "$dir"
	echo "$(git -C "$tree" log -1 --format='%h %s' | cut -c1-70) ($(git -C "$tree" rev-list --count base..HEAD) commits on base)" >"$dir/info"
	: >"$dir/skipped.txt"
	: >"$dir/todo.txt"
	if [[ " $suites " = *" test_progs "* ]]; then
		mapfile -t all < <("$st/test_progs" -l)
		[ ${#all[@]} -gt 0 ] || die "$st/test_progs -l listed no test"
		if [ -n "${REGRESS_TESTS:-}" ]; then
			# keep test_progs' order: it runs its tests in that order
			mapfile -t all < <(printf '%s\n' "${all[@]}" | grep -Fx -f <(printf '%s\n' $REGRESS_TESTS) || true)
			for t in $REGRESS_TESTS; do
				printf '%s\n' "${all[@]}" | grep -qFx "$t" || log "regress: $k: no test $t in its test_progs"
			done
		fi
		for t in "${all[@]}"; do
			if [[ " ${REGRESS_DENY:-} " = *" $t "* ]]; then
				echo "$t deny REGRESS_DENY" >>"$dir/skipped.txt"
			elif [ "$k" = base ] && why=$(grep -E "^$t(\s|#|$)" "$skip" 2>/dev/null); then
				echo "$t skip(base) ${why#*#}" >>"$dir/skipped.txt"
			else
				echo "$t" >>"$dir/todo.txt"
			fi
		done
	fi
	for s in $extra; do
		[ -x "$st/$s" ] || die "no $st/$s"
		echo "@$s" >>"$dir/todo.txt"
	done
	log "regress: $k kernel: $(wc -l <"$dir/todo.txt") entries, $(wc -l <"$dir/skipped.txt") not run"
	"$ROOT/scripts/regress-vm.sh" progs "$k" "$dir"
done
for k in base series; do
	[ -d "$out/$k" ] || die "no results for the $k kernel in $out/$k (REGRESS_KERNELS=$k)"
done
"$ROOT/scripts/regress.py" report "$out"

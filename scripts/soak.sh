#!/bin/bash
# Soak: the series' stress tests on the debug kernel (build/obj-debug: KASAN,
# lockdep, PROVE_RCU, DEBUG_OBJECTS, kmemleak), SOAK_ROUNDS rounds each, in
# one VM. Fails on a failed test, a splat in console.log or a non-empty
# kmemleak report; build/soak/report.txt has the rounds, each test's verdict
# and time, the splat lines and the kmemleak report's size.
# usage: soak.sh [TEST...]   (default: the *_stress tests of tests/check.list)
# env: SOAK_ROUNDS (1000): set as each test's *_STRESS_ROUNDS variable (the
#      one its prog_tests/ source reads: rounds per map type), SOAK_TIMEOUT
#      (s per test; default 600 + 5 s per round: graph_stress took about
#      1.6 s a round there, cgroup_storage_stress 1)
# The debug kernel must be built (make soak does: VARIANT=debug build.sh kernel);
# this script builds the selftests for it (the selftests directory serves one
# kernel at a time: the next make check rebuilds them for the normal kernel).
export VARIANT=debug	# for build.sh and vm.sh too
. "$(dirname "$0")/lib.sh"

rounds=${SOAK_ROUNDS:-1000}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "SOAK_ROUNDS must be a positive number"
[ -f "$OBJ/arch/x86/boot/bzImage" ] || die "no debug kernel in $OBJ (VARIANT=debug scripts/build.sh kernel)"
if [ $# -gt 0 ]; then
	tests=("$@")
else
	mapfile -t tests < <(sed -e 's/#.*//' -e 's/\s//g' "$ROOT/tests/check.list" | grep '_stress$')
fi
[ ${#tests[@]} -gt 0 ] || die "no *_stress test in tests/check.list"

"$ROOT/scripts/build.sh" selftests

# Each test's rounds variable, from its source.
knobs=()
for t in "${tests[@]}"; do
	src=$(grep -lE "^void (serial_)?test_${t}\(void\)" "$ST"/prog_tests/*.c | head -n1 || true)
	[ -n "$src" ] || die "no prog_tests/ source defines test $t"
	k=$(grep -oE 'getenv\("[A-Z_]+_STRESS_ROUNDS"\)' "$src" | grep -oE '[A-Z_]+_STRESS_ROUNDS' | sort -u || true)
	if [ -z "$k" ]; then
		log "soak: $t ($(basename "$src")) reads no *_STRESS_ROUNDS variable: its own rounds"
		continue
	fi
	for v in $k; do
		knobs+=("$v=$rounds")
	done
done
[ ${#knobs[@]} -eq 0 ] || mapfile -t knobs < <(printf '%s\n' "${knobs[@]}" | sort -u)

timeout=${SOAK_TIMEOUT:-$((600 + 5 * rounds))}
out=$BUILD/soak
run=$BUILD/run-$VARIANT-soak
mkdir -p "$out"
log "soak: ${tests[*]} on $OBJ, ${knobs[*]}, TIMEOUT ${timeout}s per test"
t0=$SECONDS
env "${knobs[@]}" TIMEOUT="$timeout" "$ROOT/scripts/vm.sh" soak "${tests[@]}"
"$ROOT/scripts/soak_report.py" "$run" "$rounds" "$((SECONDS - t0))" "${knobs[@]}" >"$out/report.txt" || rc=$?
cat "$out/report.txt"
exit "${rc:-0}"

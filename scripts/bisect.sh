#!/bin/bash
# Bisectability, measured: build every prefix of the series (the kernel and
# test_progs) and, at each, boot it and run the tests that the patches up to
# it added (test functions added under prog_tests/), plus BISECT_TESTS.
# One line per patch in build/bisect/report.txt; non-zero exit if any prefix
# fails to build or fails a test.
# usage: bisect.sh [FIRST [LAST]]   (patch numbers, default: the whole series)
# env:   BISECT_TESTS="a b"  tests to run at every prefix as well
. "$(dirname "$0")/lib.sh"

bis=$BUILD/bisect
mapfile -t commits < <(git -C "$SRC" rev-list --reverse base..HEAD)
n=${#commits[@]}
[ "$n" -gt 0 ] || die "no series in $SRC (make tree)"
first=${1:-1}
last=${2:-$n}

# A worktree of build/linux, with the same layout as build/ (linux/,
# obj-$VARIANT/), so that ccache serves what a prefix shares with the tip.
if [ ! -d "$bis/linux" ]; then
	mkdir -p "$bis"
	git -C "$SRC" worktree prune
	git -C "$SRC" worktree add -q --detach "$bis/linux" base
fi
report=$bis/report.txt
[ "$first" = 1 ] && : >"$report"
status=0

for ((i = first; i <= last; i++)); do
	c=${commits[i - 1]}
	subject=$(git -C "$SRC" log -1 --format=%s "$c")
	git -C "$bis/linux" checkout -q --detach "$c"
	line=$(printf '%02d %-70.70s' "$i" "$subject")
	t0=$SECONDS
	if ! BUILD=$bis "$ROOT/scripts/build.sh" kernel >/dev/null 2>&1; then
		echo "$line kernel FAILS to build (build/bisect/logs/kernel-$VARIANT.log)" | tee -a "$report"
		status=1
		continue
	fi
	# The list of tests is generated from prog_tests/*.c, and a test file
	# that an earlier prefix lacks would stay in it: regenerate it.
	rm -f "$bis/linux/tools/testing/selftests/bpf/prog_tests/tests.h"
	if ! BUILD=$bis "$ROOT/scripts/build.sh" selftests >/dev/null 2>&1; then
		echo "$line test_progs FAILS to build (build/bisect/logs/selftests-$VARIANT.log)" | tee -a "$report"
		status=1
		continue
	fi
	# Test functions the patches up to this one added.
	mapfile -t tests < <(git -C "$bis/linux" diff -U0 base..HEAD -- \
			'tools/testing/selftests/bpf/prog_tests/*.c' |
		sed -n -E 's/^\+void (serial_)?test_([a-z0-9_]+)\(void\).*/\2/p' | sort -u)
	# shellcheck disable=SC2206
	tests+=(${BISECT_TESTS:-})
	if [ ${#tests[@]} -eq 0 ]; then
		echo "$line builds ($((SECONDS - t0)) s), no test added yet" | tee -a "$report"
		continue
	fi
	if verdict=$(BUILD=$bis "$ROOT/scripts/run.sh" check "${tests[@]}" 2>/dev/null | tail -n 1); then
		:
	else
		status=1
		cp -r "$bis/run-$VARIANT-check" "$bis/run-$VARIANT-check-$i"
	fi
	echo "$line builds, ${#tests[@]} tests: $verdict ($((SECONDS - t0)) s)" | tee -a "$report"
done
exit $status

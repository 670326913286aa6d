#!/bin/bash
# In the test VM: guest-init.sh runs this as its CMD, in the selftests
# directory. It works through a todo file and writes each result to
# /run/out/r as soon as it has it, so that a test that kills the guest
# loses nothing but itself; scripts/regress-vm.sh then boots a new VM
# for the rest.
# usage: regress-guest.sh progs TODO      TODO: test_progs test names, one a
#                                         line, then @test_verifier, @test_maps
#        regress-guest.sh veristat TODO   TODO: .bpf.o paths, one a line
# env: REGRESS_TEST_TIMEOUT (s per test_progs test or per object, 600),
#      REGRESS_BATCH (tests per test_progs process, 25),
#      REGRESS_SUITE_TIMEOUT (s for test_verifier and for test_maps, 3600),
#      VERISTAT (the veristat binary), REGRESS_TESTMOD (veristat: the
#      bpf_testmod.ko to load first, many objects use its kfuncs and types),
#      REGRESS_OUT (/run/out/r)
# Writes r/status, one line per entry done: "<entry> <verdict> <rc> <uptime>",
# verdict OK/FAIL/SKIP (test_progs), RC (suites, veristat: see rc),
# CRASH (the process died under it, or the kernel oopsed), TIMEOUT; r/dmesg/<entry>.txt (kernel
# log while it ran, if any); r/batches ("<uptime> <tests>": a test_progs
# process starts); r/test_progs.log, r/<suite>.log,
# r/veristat.csv; r/finished when the todo is done, r/stop when it stopped
# early (after an oops or a hang: the kernel is not trusted any more).
mode=$1 todo=$2
r=${REGRESS_OUT:-/run/out/r}
mkdir -p $r/dmesg
T=${REGRESS_TEST_TIMEOUT:-600}
B=${REGRESS_BATCH:-25}
# (no process substitution here: the guest has no /dev/fd)
entries=()
while read -r e; do [ -n "$e" ] && entries+=("$e"); done <"$todo"
# After one of these the kernel may hold locks or have lost memory: reboot.
FATAL='Oops|BUG:|general protection fault|kernel BUG at|Kernel panic|hard LOCKUP|soft lockup'

uptime() { local u _; read -r u _ </proc/uptime; echo "$u"; }
note() { echo "$1 $2 $3 $(uptime)" >>$r/status; }
# The kernel log since the last call, kept only if there is one.
savedmesg() {
	local d; d=$(dmesg -c)
	[ -n "$d" ] && printf '%s\n' "$d" >"$r/dmesg/$1.txt"
	printf '%s\n' "$d" | grep -Eq "$FATAL" && return 1
	return 0
}
stop() { echo "$*" >$r/stop; echo "regress-guest: stopped: $*"; sync; exit 0; }
# Whether our child $1 still runs (a zombie does not).
alive() {
	local st
	st=$(cut -d' ' -f3 /proc/"$1"/stat 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}
# The exit status of a child that may be stuck in the kernel: 255 if it
# did not go away within 30 s.
reap() {
	local i
	for ((i = 0; i < 30; i++)); do
		alive "$1" || { wait "$1"; return; }
		sleep 1
	done
	return 255
}

# One test_progs process for the given tests. test_progs prints each test's
# subtest lines and its "#N name:OK|FAIL|SKIP" line when the test ends:
# with line-buffered output each test is recorded as it ends. Sets $left
# to the tests it did not get to (after a crash).
run_batch() {
	local pid line part= rd rc name first t last=$SECONDS hung=0
	local -A pend=()
	for t; do pend[$t]=1; done
	rm -f /tmp/tp.fifo; mkfifo /tmp/tp.fifo
	echo "$(uptime) $#" >>$r/batches
	stdbuf -oL -eL ./test_progs -a "$(IFS=,; echo "$*")" >/tmp/tp.fifo 2>&1 </dev/null &
	pid=$!
	exec 3</tmp/tp.fifo 4>>$r/test_progs.log
	while :; do
		IFS= read -r -t 5 -u 3 line; rd=$?
		if [ $rd -gt 128 ]; then
			part+=$line	# a timed-out read keeps what it got
			# gone, but something it started holds the pipe
			alive $pid || break
			[ $((SECONDS - last)) -ge "$T" ] && { hung=1; break; }
			continue
		fi
		line=$part$line; part=
		[ $rd -eq 0 ] || break
		echo "$line" >&4
		if [[ $line =~ ^#[0-9]+\ +([A-Za-z0-9_]+):(OK|FAIL|SKIP) ]]; then
			name=${BASH_REMATCH[1]}
			# the summary at the end prints failed tests again
			[ -n "${pend[$name]:-}" ] || continue
			unset "pend[$name]"
			last=$SECONDS
			if ! savedmesg "$name"; then
				note "$name" "${BASH_REMATCH[2]}" 0
				kill -KILL $pid 2>/dev/null
				stop "kernel oops or BUG during $name"
			fi
			note "$name" "${BASH_REMATCH[2]}" 0
		fi
	done
	[ -n "$line" ] && echo "$line" >&4
	exec 4>&-
	[ $hung = 1 ] && kill -KILL $pid 2>/dev/null
	exec 3<&-
	reap $pid; rc=$?
	left=()
	for t; do [ -n "${pend[$t]:-}" ] && left+=("$t"); done
	[ ${#left[@]} -eq 0 ] && return
	# test_progs runs its tests in the order of -l, ours: the first one
	# not done is the one it was running.
	first=${left[0]}; left=("${left[@]:1}")
	if [ $hung = 1 ]; then
		savedmesg "$first"
		note "$first" TIMEOUT $rc
		stop "$first: no result after ${T}s"
	fi
	if ! savedmesg "$first"; then
		note "$first" CRASH $rc
		stop "$first: test_progs died (rc $rc) with a kernel oops or BUG"
	fi
	note "$first" CRASH $rc
	[ $rc = 255 ] && stop "$first: test_progs did not exit"
}

run_suite() {	# test_verifier | test_maps
	local rc
	# test_verifier finds the kfuncs of some tests in bpf_testmod
	[ "$1" = test_verifier ] && insmod ./bpf_testmod.ko 2>/dev/null
	echo "$(uptime) 1" >>$r/batches
	timeout -s KILL "${REGRESS_SUITE_TIMEOUT:-3600}" ./"$1" >$r/"$1".log 2>&1 </dev/null
	rc=$?
	[ "$1" = test_verifier ] && rmmod bpf_testmod 2>/dev/null
	if ! savedmesg "@$1"; then
		note "@$1" CRASH $rc
		stop "kernel oops or BUG during $1"
	fi
	[ $rc = 137 ] && { note "@$1" TIMEOUT $rc; return; }
	note "@$1" RC $rc
}

run_object() {	# a .bpf.o: veristat verifies each of its programs
	local o=$1 b rc
	b=$(basename "$o")
	echo "$(uptime) 1" >>$r/batches
	timeout -s KILL "$T" "$VERISTAT" -o csv "$o" >/tmp/vs.csv 2>/tmp/vs.err </dev/null
	rc=$?
	cat /tmp/vs.csv >>$r/veristat.csv
	[ -s /tmp/vs.err ] && { echo "== $b"; cat /tmp/vs.err; } >>$r/veristat.err
	if ! savedmesg "$b"; then
		note "$b" CRASH $rc
		stop "kernel oops or BUG while verifying $b"
	fi
	[ $rc = 137 ] && { note "$b" TIMEOUT $rc; stop "$b: no result after ${T}s"; }
	note "$b" RC $rc
}

echo "regress-guest: $mode, ${#entries[@]} entries, kernel $(uname -r)"
dmesg -c >/dev/null
case $mode in
progs)
	queue=(); suites=()
	for e in "${entries[@]}"; do
		case $e in @*) suites+=("${e#@}") ;; *) queue+=("$e") ;; esac
	done
	while [ ${#queue[@]} -gt 0 ]; do
		batch=("${queue[@]:0:B}")
		queue=("${queue[@]:B}")
		run_batch "${batch[@]}"
		queue=("${left[@]}" "${queue[@]}")
	done
	for s in "${suites[@]}"; do run_suite "$s"; done
	;;
veristat)
	if [ -n "${REGRESS_TESTMOD:-}" ]; then
		insmod "$REGRESS_TESTMOD" || echo "regress-guest: could not load $REGRESS_TESTMOD"
	fi
	for o in "${entries[@]}"; do run_object "$o"; done
	;;
*) echo "regress-guest: unknown mode $mode"; exit 1 ;;
esac
echo ok >$r/finished
sync

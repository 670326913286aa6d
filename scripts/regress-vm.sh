#!/bin/bash
# Work through a todo list in the test VM (scripts/regress-guest.sh in the
# guest), booting a new VM after an entry that oopsed, hung or killed the
# guest, until every entry has a result.
# usage: regress-vm.sh progs|veristat base|series DIR
#   DIR/todo.txt: test_progs test names and @test_verifier/@test_maps (progs),
#   or .bpf.o paths (veristat). Results: DIR/vm<N>/ (the run directory of VM N,
#   the guest's files in r/), DIR/host-status, DIR/seconds; see regress.py.
# progs runs each kernel's own selftests build (test_progs and bpf_testmod.ko
# go with their kernel); veristat runs the series' veristat and objects on both.
# env: TIMEOUT (s per test or object, 600), REGRESS_BATCH (tests per test_progs
#      process, 25), REGRESS_SUITE_TIMEOUT (s for test_verifier, test_maps: 3600),
#      REGRESS_VM_TIMEOUT (s for one VM, 14400), REGRESS_MAX_BOOTS (20)
. "$(dirname "$0")/lib.sh"
# veristat.sh VERISTAT_ST: its snapshot of veristat, the objects, the module
if [ "${1:-}" = veristat ] && [ -n "${VERISTAT_ST:-}" ]; then ST=$VERISTAT_ST; fi
[ $# -eq 3 ] || die "usage: $0 progs|veristat base|series DIR"
mode=$1 kern=$2 dir=$3
case $kern in
base) kernel=$BUILD/base/obj-$VARIANT/arch/x86/boot/bzImage ;;
series) kernel=$OBJ/arch/x86/boot/bzImage ;;
*) die "unknown kernel $kern" ;;
esac
vmbuild=$BUILD
[ "$mode/$kern" = progs/base ] && vmbuild=$BUILD/base
# veristat: the kernel's own bpf_testmod.ko (many objects use its kfuncs and types)
testmod=$ST/bpf_testmod.ko
[ "$kern" = base ] && testmod=$BUILD/base/linux/tools/testing/selftests/bpf/bpf_testmod.ko
[ "$mode" = veristat ] && { [ -f "$testmod" ] || die "no $testmod (build the selftests for the $kern kernel)"; }
[ -f "$kernel" ] || die "no $kern kernel at $kernel"
[ -s "$dir/todo.txt" ] || die "nothing to do: $dir/todo.txt is empty"

rm -rf "$dir"/vm[0-9]* "$dir"/todo-[0-9]*.txt "$dir/host-status" "$dir/seconds"
cp "$dir/todo.txt" "$dir/todo-1.txt"
limit=${REGRESS_VM_TIMEOUT:-14400}
name=regress-$mode-$kern
t0=$SECONDS n=0
while [ -s "$dir/todo-$((n + 1)).txt" ]; do
	n=$((n + 1))
	if [ $n -gt "${REGRESS_MAX_BOOTS:-20}" ]; then
		log "$name: $(wc -l <"$dir/todo-$n.txt") entries left after $((n - 1)) VMs, giving up on them"
		break
	fi
	log "$name: VM $n, $(wc -l <"$dir/todo-$n.txt") entries"
	cmd="REGRESS_TEST_TIMEOUT=${TIMEOUT:-600} REGRESS_BATCH=${REGRESS_BATCH:-25}"
	cmd+=" REGRESS_SUITE_TIMEOUT=${REGRESS_SUITE_TIMEOUT:-3600} VERISTAT=$ST/veristat"
	[ "$mode" = veristat ] && cmd+=" REGRESS_TESTMOD=$testmod"
	cmd+=" bash $ROOT/scripts/regress-guest.sh $mode $dir/todo-$n.txt"
	BUILD=$vmbuild KERNEL=$kernel TIMEOUT=$limit VM_TIMEOUT=$((limit + 300)) CMD=$cmd \
		"$ROOT/scripts/vm.sh" "$name"
	mv "$vmbuild/run-$VARIANT-$name" "$dir/vm$n"
	"$ROOT/scripts/regress.py" next "$dir" "$n" >"$dir/todo-$((n + 1)).txt"
	[ -f "$dir/vm$n/r/stop" ] && log "$name: VM $n stopped early: $(cat "$dir/vm$n/r/stop")"
done
echo "$((SECONDS - t0)) $n" >"$dir/seconds"
log "$name: done in $((SECONDS - t0))s, $n VM(s)"

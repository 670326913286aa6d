#!/bin/bash
# Boot the built kernel in QEMU with the host's / as a read-only 9p root and run
# test_progs tests in it, one test_progs process per test.
# usage: vm.sh NAME TEST...   (results in $BUILD/run-$VARIANT-NAME)
# env: TIMEOUT (s per test, 600), VM_TIMEOUT (s for the whole VM), VERBOSE=1, KVM=auto|0|1,
#      *_STRESS_ROUNDS (e.g. GRAPH_STRESS_ROUNDS, CGS_STRESS_ROUNDS: rounds of a
#      stress test, passed to the guest),
#      CMD (a shell command to run in the guest first), KERNEL (another bzImage)
. "$(dirname "$0")/lib.sh"
name=$1; shift
run=$BUILD/run-$VARIANT-$name
kernel=${KERNEL:-$OBJ/arch/x86/boot/bzImage}
[ -f "$kernel" ] || die "no kernel at $kernel (make build)"
[ -x "$ST/test_progs" ] || die "no test_progs in $ST (make build)"
mem=4G; [ "$VARIANT" = debug ] && mem=8G

boot() {	# boot RUN_DIR ACCEL TIMEOUT
	local dir=$1 accel=$2 limit=$3
	timeout -s KILL "$limit" qemu-system-x86_64 -accel "$accel" -cpu max -smp 2 -m $mem \
		-display none -monitor none -no-reboot -serial "file:$dir/console.log" \
		-kernel "$kernel" \
		-append "console=ttyS0 root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose ro init=$ROOT/scripts/guest-init.sh panic=-1 softlockup_panic=1 hung_task_panic=1 nokaslr" \
		-fsdev local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=rootfs,mount_tag=/dev/root \
		-fsdev local,id=out,path="$dir",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=out,mount_tag=out
}

# KVM only if a guest really boots with it here (it may die in early boot).
accel=tcg,thread=multi
case ${KVM:-auto} in
1) accel=kvm ;;
auto)
	probe=$BUILD/kvm-probe
	if [ ! -f "$probe" ]; then
		echo no >"$probe"
		if [ -w /dev/kvm ]; then
			d=$(mktemp -d); : >"$d/job.env"
			echo "ST=/ TESTS=" >"$d/job.env"
			boot "$d" kvm 60 >/dev/null 2>&1 || true
			[ -f "$d/done" ] && echo yes >"$probe"
			rm -rf "$d"
		fi
		log "vm: KVM probe: $(cat "$probe")"
	fi
	[ "$(cat "$probe")" = yes ] && accel=kvm ;;
esac

rm -rf "$run"; mkdir -p "$run"
cat >"$run/job.env" <<EOV
ST=$ST
TESTS="$*"
TIMEOUT=${TIMEOUT:-600}
VERBOSE=${VERBOSE:-0}
KMEMLEAK=$([ "$VARIANT" = debug ] && echo 1 || echo 0)
$(env | grep -E '^[A-Z_]+_STRESS_ROUNDS=[0-9]+$' || true)
CMD=$(printf '%q' "${CMD:-}")
EOV
limit=${VM_TIMEOUT:-$((300 + $# * ${TIMEOUT:-600}))}
log "vm: booting ($accel, $mem, limit ${limit}s), $# tests, results in $run"
t0=$SECONDS
set +e
boot "$run" "$accel" "$limit" >"$run/qemu.log" 2>&1
echo $? >"$run/qemu.rc"
set -e
log "vm: finished in $((SECONDS - t0))s (qemu rc $(cat "$run/qemu.rc"))"
echo "vm-$name $((SECONDS - t0))" >>"$LOGS/times"

#!/bin/bash
# PID 1 of the test VM. The host's / is our read-only root (9p); the host's run
# directory is mounted at /run/out (9p, writable) and holds job.env:
#   ST=<selftests dir>  TESTS="<test_progs -a patterns>"  TIMEOUT=<s per test>
#   VERBOSE=0|1  KMEMLEAK=0|1
#   CMD="<shell command>"  (optional: run it instead of tests, output in out/log/cmd.log)
# For each test it writes out/log/<t>.log, out/json/<t>.json, out/dmesg/<t>.txt
# and lines "<t> <rc>" to out/status and "<t> <seconds>" to out/times; then
# out/done, and the VM reboots
# (QEMU runs with -no-reboot, so it exits).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run
# A writable /tmp hides the host's: keep the host's at /run/host-tmp, for a
# checkout that lives under /tmp (see below).
mkdir -p /run/host-tmp
mount --bind /tmp /run/host-tmp
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
mkdir -p /run/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 out /run/out
out=/run/out
finish() {
	sync
	echo b >/proc/sysrq-trigger
	sleep 10
}
if [ ! -f $out/job.env ]; then
	echo "guest-init: no job.env" >&2
	finish
fi
. $out/job.env
for v in $(sed -n 's/^\([A-Z_]*_STRESS_ROUNDS\)=.*/\1/p' $out/job.env); do export "$v"; done
case $ST in
/tmp/?*)
	top=${ST#/tmp/}; top=${top%%/*}
	mkdir -p "/tmp/$top"
	mount --bind "/run/host-tmp/$top" "/tmp/$top"
	;;
esac
mkdir -p $out/log $out/json $out/dmesg
echo "guest-init: kernel $(uname -r), $(nproc) cpus, lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
dmesg -c >$out/dmesg/boot.txt
cd "$ST" || finish
if [ -n "${CMD:-}" ]; then
	s0=$SECONDS
	timeout -s KILL "${TIMEOUT:-600}" bash -c "$CMD" >$out/log/cmd.log 2>&1 </dev/null
	echo "cmd $?" >>$out/status
	echo "cmd $((SECONDS - s0))" >>$out/times
	dmesg -c >$out/dmesg/cmd.txt
fi
for t in $TESTS; do
	v=; [ "${VERBOSE:-0}" = 1 ] && v=-v
	# a test/subtest pattern names its files test@subtest
	f=${t//\//@}
	echo "guest-init: running $t"
	s0=$SECONDS
	timeout -s KILL "${TIMEOUT:-600}" ./test_progs $v -a "$t" -J "$out/json/$f.json" \
		>"$out/log/$f.log" 2>&1 </dev/null
	rc=$?
	echo "$f $((SECONDS - s0))" >>$out/times
	dmesg -c >"$out/dmesg/$f.txt"
	echo "$t $rc" >>$out/status
	sync
done
if [ "${KMEMLEAK:-0}" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	# Two scans: an object is reported only once it stayed unreferenced over a scan.
	echo scan >/sys/kernel/debug/kmemleak; sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >$out/kmemleak.txt
fi
dmesg -c >$out/dmesg/end.txt
echo ok >$out/done
finish

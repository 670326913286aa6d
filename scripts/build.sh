#!/bin/bash
# Configure and build the kernel (out of tree, in $OBJ) and the BPF selftests (in $ST).
# usage: build.sh [kernel|selftests|all]
# env: SELFTESTS_EXTRA="test_verifier test_maps veristat": more selftests
#      targets to build along with test_progs
. "$(dirname "$0")/lib.sh"
what=${1:-all}

frags=("$SRC/kernel/configs/kvm_guest.config"
       "$SRC/tools/testing/selftests/bpf/config"
       "$SRC/tools/testing/selftests/bpf/config.vm"
       "$ROOT/config/vm.config")
[ "$VARIANT" = debug ] && frags+=("$ROOT/config/debug.config")
kmake() { make -C "$SRC" O="$OBJ" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" "$@"; }

configure() {
	local id
	id=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
	if [ -f "$OBJ/.config" ] && [ "$(cat "$OBJ/.config.frags" 2>/dev/null)" = "$id" ]; then
		kmake olddefconfig || return
	else
		mkdir -p "$OBJ"
		(cd "$SRC" && ARCH=x86_64 CC="ccache gcc" scripts/kconfig/merge_config.sh -n -O "$OBJ" "${frags[@]}") || return
		echo "$id" >"$OBJ/.config.frags"
	fi
	# What the VM and the tests cannot do without: fail here, not in the guest.
	for opt in BPF_SYSCALL DEBUG_INFO_BTF BPF_LSM 9P_FS NET_9P_VIRTIO VIRTIO_PCI \
		   SERIAL_8250_CONSOLE DEVTMPFS BINFMT_SCRIPT CGROUP_BPF MODULES SMP \
		   $([ "$VARIANT" = debug ] && echo KASAN PROVE_LOCKING PROVE_RCU DEBUG_KMEMLEAK); do
		grep -qx "CONFIG_$opt=y" "$OBJ/.config" || { echo "CONFIG_$opt is not set"; return 1; }
	done
	grep -q '^CONFIG_LSM=".*bpf' "$OBJ/.config" || { echo "bpf is not in CONFIG_LSM"; return 1; }
}

# stage() runs these in an if condition, where set -e does not apply: each
# step that can fail must return its failure.
kernel() {
	configure || return
	kmake -j"$JOBS" all || return
	ccache -s | grep -Ei 'hits|misses' || true
}

selftests() {
	[ -f "$OBJ/vmlinux" ] || { echo "no kernel in $OBJ"; return 1; }
	# One selftests build serves one kernel at a time (vmlinux.h,
	# bpf_testmod.ko): switching kernels makes its vmlinux newer.
	if [ "$(cat "$ST/.built-for" 2>/dev/null)" != "$OBJ" ]; then
		touch "$OBJ/vmlinux"
		echo "$OBJ" >"$ST/.built-for"
	fi
	# not O=: the selftests would then put their output there. As a
	# sub-make of ours (MAKELEVEL > 0) lib.mk would leave OUTPUT empty
	# and build into /: start a top-level make.
	PATH=$LLVM_BIN:$PATH env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS \
		make -C "$ST" -j"$JOBS" VMLINUX_BTF="$OBJ/vmlinux" KDIR="$OBJ" test_progs ${SELFTESTS_EXTRA:-} || return
}

case $what in
kernel) stage "kernel-$VARIANT" kernel ;;
selftests) stage "selftests-$VARIANT" selftests ;;
all) stage "kernel-$VARIANT" kernel; stage "selftests-$VARIANT" selftests ;;
*) die "usage: $0 [kernel|selftests|all]" ;;
esac

#!/bin/bash
# Install the Debian packages the build and the VM need (idempotent).
. "$(dirname "$0")/lib.sh"

pkgs=(make gcc git ccache flex bison bc cpio rsync xz-utils kmod pkg-config
      libelf-dev libssl-dev libcap-dev libzstd-dev zlib1g-dev
      dwarves clang-19 llvm-19 lld-19 qemu-system-x86 iproute2 python3-docutils
      iputils-ping ethtool keyutils)
# iputils-ping, ethtool, keyutils: the guest runs on this root file system, and
# about 30 test_progs tests (tc_links_*, tc_opts_*, cgroup_link, netcnt, xdp_*,
# verify_pkcs7_sig...) call ping, ethtool or keyctl: without them they fail on
# every kernel (make regress)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
[ "$have" = "$BASE_VERSION" ] || missing+=("$BASE_PKG=$BASE_VERSION")
if [ ${#missing[@]} -eq 0 ]; then
	log "deps: all installed"
	exit 0
fi
log "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if ! apt-get install -y -q --no-install-recommends --allow-downgrades "${missing[@]}"; then
	# The pinned base may have left the archive: take what is there, and let
	# tree.sh say clearly whether the series still applies.
	log "deps: pinned $BASE_PKG=$BASE_VERSION not installable, trying the archive's current one"
	missing=("${missing[@]/#$BASE_PKG=$BASE_VERSION/$BASE_PKG}")
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

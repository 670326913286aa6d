# Shared settings for the harness scripts. Source it; do not run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/BASE"
BUILD=${BUILD:-$ROOT/build}
SRC=$BUILD/linux
# VARIANT=vm is the normal trimmed kernel, VARIANT=debug adds config/debug.config.
VARIANT=${VARIANT:-vm}
OBJ=$BUILD/obj-$VARIANT
# The selftests build in their source directory: their .d files use paths
# relative to it, so an OUTPUT elsewhere breaks incremental builds.
ST=$SRC/tools/testing/selftests/bpf
LOGS=$BUILD/logs
JOBS=${JOBS:-3}
# ccache lives outside the clone so that a fresh clone on a warm machine is fast.
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/bpf-fields-ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G}
# Reproducible build stamps, so that ccache can hit on init/version.c & co.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=bpf KBUILD_BUILD_HOST=fields
# clang, llc, llvm-strip... for the BPF selftests (the kernel itself is built with gcc).
LLVM_BIN=/usr/lib/llvm-19/bin

mkdir -p "$BUILD" "$LOGS"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Run a stage, timing it and keeping its full output in $LOGS/<name>.log.
stage() {
	local name=$1; shift
	local t0=$SECONDS
	log "$name: started (log: $LOGS/$name.log)"
	if ! "$@" >"$LOGS/$name.log" 2>&1; then
		tail -n 40 "$LOGS/$name.log" >&2
		die "$name failed after $((SECONDS - t0))s, full log in $LOGS/$name.log"
	fi
	log "$name: done in $((SECONDS - t0))s"
	echo "$name $((SECONDS - t0))" >>"$LOGS/times"
}

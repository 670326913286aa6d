#!/bin/bash
# Verifier cost: the selftests' veristat over every selftests *.bpf.o, in the
# VM, on the base kernel (scripts/base.sh) and on the series kernel. The same
# veristat binary and objects (the series' selftests build) on both, so only
# the verifier differs; each kernel gets its own bpf_testmod.ko, whose kfuncs
# and types many objects use. CSVs in build/veristat/{base,series}.csv, comparison
# in build/veristat/report.txt (and veristat's own -C table in compare.txt).
# On the base, the objects of tests/regress-base-skip.list are not verified
# (they crash that kernel's verifier).
# usage: veristat.sh              build, then verify on both kernels
#        veristat.sh snapshot DIR  build, then copy veristat, the objects and the
#                                  series' bpf_testmod.ko to DIR and stop
# env: VERISTAT_OBJS="a b.bpf.o" (only these objects), REGRESS_KERNELS,
#      REGRESS_SKIP, TIMEOUT (s per object, 600): see regress.sh, regress-vm.sh;
#      VERISTAT_ST=DIR: use a snapshot instead of the selftests directory,
#      which can then serve another kernel meanwhile (make soak rebuilds it
#      for the debug kernel)
. "$(dirname "$0")/lib.sh"

out=$BUILD/veristat; [ "$VARIANT" = vm ] || out=$BUILD/veristat-$VARIANT
kernels=${REGRESS_KERNELS:-base series}
skip=${REGRESS_SKIP:-$ROOT/tests/regress-base-skip.list}

[ -f "$OBJ/vmlinux" ] || die "no series kernel in $OBJ (make build)"
if [ "${1:-}" = snapshot ]; then
	[ -n "${2:-}" ] || die "usage: $0 snapshot DIR"
	SELFTESTS_EXTRA=veristat "$ROOT/scripts/build.sh" selftests
	rm -rf "$2"; mkdir -p "$2"
	cp "$ST/veristat" "$ST/bpf_testmod.ko" "$ST"/*.bpf.o "$2/"
	log "veristat: snapshot of $(ls "$2"/*.bpf.o | wc -l) objects in $2"
	exit 0
fi
# the base selftests build only for its bpf_testmod.ko, loaded before veristat
case " $kernels " in *" base "*)
	"$ROOT/scripts/base.sh"
	BUILD=$BUILD/base "$ROOT/scripts/build.sh" selftests ;;
esac
if [ -n "${VERISTAT_ST:-}" ]; then
	# regress-vm.sh takes the veristat binary and the series' module from ST
	ST=$(cd "$VERISTAT_ST" && pwd)
	export VERISTAT_ST=$ST
	for f in veristat bpf_testmod.ko; do
		[ -f "$ST/$f" ] || die "no $f in the snapshot $ST"
	done
else
	SELFTESTS_EXTRA=veristat "$ROOT/scripts/build.sh" selftests
fi

if [ -n "${VERISTAT_OBJS:-}" ]; then
	objs=()
	for o in $VERISTAT_OBJS; do
		o=$ST/${o%.bpf.o}.bpf.o
		[ -f "$o" ] || die "no object $o"
		objs+=("$o")
	done
else
	mapfile -t objs < <(ls "$ST"/*.bpf.o)
fi
[ ${#objs[@]} -gt 0 ] || die "no *.bpf.o in $ST"

mkdir -p "$out"
for k in $kernels; do
	dir=$out/$k
	rm -rf "$dir"; mkdir -p "$dir"
	tree=$SRC; [ "$k" = base ] && tree=$BUILD/base/linux
	echo "$(git -C "$tree" log -1 --format='%h %s' | cut -c1-70) ($(git -C "$tree" rev-list --count base..HEAD) commits on base)" >"$dir/info"
	: >"$dir/skipped.txt"; : >"$dir/todo.txt"
	for o in "${objs[@]}"; do
		b=$(basename "$o")
		if [ "$k" = base ] && why=$(grep -E "^${b//./\\.}(\s|#|$)" "$skip" 2>/dev/null); then
			echo "$b skip(base) ${why#*#}" >>"$dir/skipped.txt"
		else
			echo "$o" >>"$dir/todo.txt"
		fi
	done
	log "veristat: $k kernel: $(wc -l <"$dir/todo.txt") objects, $(wc -l <"$dir/skipped.txt") not verified"
	"$ROOT/scripts/regress-vm.sh" veristat "$k" "$dir"
	# one CSV, one header
	cat "$dir"/vm[0-9]*/r/veristat.csv 2>/dev/null |
		awk '(/^file_name,/ && !h++) || /^[^ ,]+\.bpf\.o,/' >"$out/$k.csv"	# not libbpf's notices
done
for k in base series; do
	[ -s "$out/$k.csv" ] || die "no results for the $k kernel in $out/$k.csv"
done
"$ST/veristat" -C -e file,prog,verdict,insns,states "$out/base.csv" "$out/series.csv" \
	>"$out/compare.txt" 2>&1 || log "veristat: veristat -C failed, see $out/compare.txt"
"$ROOT/scripts/regress.py" veristat "$out"

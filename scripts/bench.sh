#!/bin/bash
# Benchmarks, in the test VM. usage: bench.sh [lock] [upstream] [fields] [layout]
# (default: the first three, in that order; results in build/bench/)
#   lock      bench/lock_bench (map syscalls with and without BPF_F_LOCK) on
#             the base kernel and the patched kernel, bench/report.py prints
#             the numbers and the ratios: report.txt; and the list release and
#             eviction costs of graph_bench on the patched kernel: graph.txt
#   upstream  the selftests' bench tool (tools/testing/selftests/bpf/bench,
#             built from the series tree, run on both kernels: the cases of
#             bench/upstream.sh), BENCH_BOOTS boots of each kernel, base and
#             series alternating; bench/upstream_report.py: upstream.txt,
#             each boot's output in upstream/<kernel>-<i>.log
#   fields    bench/fields_bench on the patched kernel: maps whose values hold
#             a special field against the same maps without it and against
#             HASH with it (the base refuses most of these maps): fields.txt
#   layout    the control for a bench tool ratio far from 1 on a path whose
#             instructions hardly changed: the series kernel rebuilt with
#             only LAYOUT_FUNC moved to the start of a page (in the bisect
#             worktree, build/bisect), run on LAYOUT_CASES alternating with
#             the base and the series kernels, LAYOUT_BOOTS (3) boots each:
#             layout-<LAYOUT_FUNC>.txt, each boot's output in
#             layout-<LAYOUT_FUNC>/. QEMU's TCG chains
#             translated blocks only within a guest page, so where a hot
#             function crosses a page boundary changes its cost.
# The base kernel comes from scripts/base.sh.
# env: BENCH_N (lock_bench ops per case, 20000), BENCH_BOOTS (3),
#      BENCH_WARMUP (s, 3) and BENCH_DURATION (s, 10) of each bench tool run,
#      FIELDS_N (ops per measurement, 20000), FIELDS_ROUNDS (9),
#      LAYOUT_FILE, LAYOUT_FUNC (kernel/bpf/bpf_task_storage.c,
#      bpf_task_storage_get_recur), LAYOUT_DECL (its prototype),
#      LAYOUT_CASES (bench/upstream.sh names: local-storage-cache-seq-get)
. "$(dirname "$0")/lib.sh"

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(lock upstream fields)
for p in "${parts[@]}"; do
	case $p in lock|upstream|fields|layout) ;; *) die "usage: $0 [lock] [upstream] [fields] [layout]" ;; esac
done
want() { [[ " ${parts[*]} " = *" $1 "* ]]; }

out=$BUILD/bench
mkdir -p "$out"
base=$BUILD/base
libbpf=$ST/tools/build/libbpf
if want lock || want upstream || want layout; then
	"$ROOT/scripts/base.sh"
fi
basekernel=$base/obj-$VARIANT/arch/x86/boot/bzImage
status=0

lock() {
	local bench=$BUILD/lock_bench k kernel
	stage bench-build gcc -O2 -Wall -I"$ST/tools/include" -o "$bench" "$ROOT/bench/lock_bench.c" \
		"$libbpf/libbpf.a" -lelf -lz
	for k in base patched; do
		kernel=$OBJ/arch/x86/boot/bzImage
		[ $k = base ] && kernel=$basekernel
		KERNEL=$kernel CMD="$bench ${BENCH_N:-20000}" "$ROOT/scripts/vm.sh" "bench-$k"
		cp "$BUILD/run-$VARIANT-bench-$k/log/cmd.log" "$out/$k.txt"
		"$ROOT/scripts/report.py" "$BUILD/run-$VARIANT-bench-$k" >/dev/null ||
			die "the $k kernel did not run the benchmark cleanly: $BUILD/run-$VARIANT-bench-$k"
	done
	"$ROOT/bench/report.py" "$out/base.txt" "$out/patched.txt" | tee "$out/report.txt"

	# Lists in hash and LRU maps: a cost that exists only on the patched kernel,
	# so against HASH and against N=0 on that kernel (prog_tests/graph_bench.c).
	VERBOSE=1 "$ROOT/scripts/vm.sh" bench-graph graph_bench
	"$ROOT/scripts/report.py" "$BUILD/run-$VARIANT-bench-graph" >/dev/null ||
		die "graph_bench did not run cleanly: $BUILD/run-$VARIANT-bench-graph"
	grep -E '^graph_bench: |^(replace|evict|evict_cs|cs_ctrl|pop_free|clock|probe_nop|summary:) ' \
		"$BUILD/run-$VARIANT-bench-graph/log/graph_bench.log" | tee "$out/graph.txt"
}

upstream() {
	local boots=${BENCH_BOOTS:-3} w=${BENCH_WARMUP:-3} d=${BENCH_DURATION:-10}
	local i k kernel run ncases t
	# The bench tool of the series tree serves both kernels: its benchmarks'
	# objects are upstream's, unchanged by the series, and load on the base.
	SELFTESTS_EXTRA=bench "$ROOT/scripts/build.sh" selftests
	[ -x "$ST/bench" ] || die "no bench tool in $ST"
	ncases=$(grep -c '^	"[a-z].*|' "$ROOT/bench/upstream.sh")
	rm -rf "$out/upstream"; mkdir -p "$out/upstream"
	for i in $(seq 1 "$boots"); do
		for k in base series; do
			kernel=$OBJ/arch/x86/boot/bzImage
			[ $k = base ] && kernel=$basekernel
			run=$BUILD/run-$VARIANT-bench-up-$k
			log "bench: upstream, $k kernel, boot $i of $boots"
			# setup of a case takes up to a minute in the TCG guest
			t=$((ncases * (w + d + 90) + 60))
			KERNEL=$kernel TIMEOUT=$t VM_TIMEOUT=$((t + 300)) \
				CMD="$ROOT/bench/upstream.sh $ST/bench $w $d" "$ROOT/scripts/vm.sh" "bench-up-$k"
			cp "$run/log/cmd.log" "$out/upstream/$k-$i.log" 2>/dev/null ||
				echo "(no output: the VM did not run the benchmarks)" >"$out/upstream/$k-$i.log"
			if ! "$ROOT/scripts/report.py" "$run" >"$out/upstream/$k-$i.verdict"; then
				log "bench: the $k kernel did not run every case cleanly (boot $i): $out/upstream/$k-$i.verdict, $run"
				status=1
			fi
		done
	done
	"$ROOT/bench/upstream_report.py" "$out/upstream" | tee "$out/upstream.txt"
	for f in "$out"/upstream/*.verdict; do
		grep -q '^FAIL' "$f" && echo "FAILED: $(basename "$f" .verdict): $(grep -m1 '^FAIL' "$f")" |
			tee -a "$out/upstream.txt"
	done
	return 0
}

fields_build() {
	gcc -O2 -Wall -I"$ST/tools/include" -o "$BUILD/fields_bench" "$ROOT/bench/fields_bench.c" \
		"$libbpf/libbpf.a" -lelf -lz || return
	# vmlinux.h and bpf_experimental.h of the selftests build
	"$LLVM_BIN/clang" -g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
		-I"$ST/tools/include" -I"$ST" -c "$ROOT/bench/fields_bench.bpf.c" \
		-o "$BUILD/fields_bench.bpf.o"
}

fields() {
	local run=$BUILD/run-$VARIANT-bench-fields
	stage fields-build fields_build
	TIMEOUT=${FIELDS_TIMEOUT:-1800} VM_TIMEOUT=$((${FIELDS_TIMEOUT:-1800} + 300)) \
		CMD="$BUILD/fields_bench $BUILD/fields_bench.bpf.o ${FIELDS_N:-20000} ${FIELDS_ROUNDS:-9}" \
		"$ROOT/scripts/vm.sh" bench-fields
	cp "$run/log/cmd.log" "$out/fields.txt" 2>/dev/null || : >"$out/fields.txt"
	cat "$out/fields.txt"
	if ! "$ROOT/scripts/report.py" "$run" >"$run/verdict.txt"; then
		log "bench: fields_bench did not run cleanly: $run/verdict.txt"
		grep '^FAIL' "$run/verdict.txt" | sed 's/^/FAILED: /' | tee -a "$out/fields.txt"
		status=1
	fi
}

# The series kernel with only LAYOUT_FUNC aligned to a page: it then starts
# a page, whatever the code before it. Built in the bisect worktree (at the
# series tip here), whose objects make bisect leaves, so that it is a
# relink when those are there.
layout_build() {
	local bis=$1 file=$2 func=$3 decl=$4
	if [ ! -d "$bis/linux" ]; then
		mkdir -p "$bis"
		git -C "$SRC" worktree prune
		git -C "$SRC" worktree add -q --detach "$bis/linux" base || return
	fi
	git -C "$bis/linux" checkout -q -f --detach "$(git -C "$SRC" rev-parse HEAD)" || return
	[ "$(grep -c "^BPF_CALL_[0-9](${func},\|^[a-z].*[ *]${func}(" "$bis/linux/$file")" = 1 ] ||
		{ echo "no single definition of $func in $file"; return 1; }
	sed -i "0,/^BPF_CALL_[0-9](${func},\|^[a-z].*[ *]${func}(/s//${decl} __aligned(4096);\n&/" \
		"$bis/linux/$file" || return
	git -C "$bis/linux" diff --stat
	BUILD=$bis "$ROOT/scripts/build.sh" kernel
	local rc=$?
	git -C "$bis/linux" checkout -q -- "$file"
	return $rc
}

layout() {
	local bis=$BUILD/bisect boots=${LAYOUT_BOOTS:-3} w=${BENCH_WARMUP:-3} d=${BENCH_DURATION:-10}
	local file=${LAYOUT_FILE:-kernel/bpf/bpf_task_storage.c}
	local func=${LAYOUT_FUNC:-bpf_task_storage_get_recur}
	local decl=${LAYOUT_DECL:-u64 bpf_task_storage_get_recur(u64, u64, u64, u64, u64)}
	local cases=${LAYOUT_CASES:-local-storage-cache-seq-get}
	local i k kernel run t v a n a32 ld=$out/layout-$func
	SELFTESTS_EXTRA=bench "$ROOT/scripts/build.sh" selftests
	stage layout-build layout_build "$bis" "$file" "$func" "$decl"
	rm -rf "$ld"; mkdir -p "$ld"
	# where the function sits in each kernel
	for k in base series layout; do
		case $k in
		base) v=$base/obj-$VARIANT/vmlinux ;;
		series) v=$OBJ/vmlinux ;;
		layout) v=$bis/obj-$VARIANT/vmlinux ;;
		esac
		a= n=
		read -r a n < <(nm -S "$v" | awk -v f="$func" '$4 == f { print $1, $2 }') || true
		[ -n "${a:-}" ] || { echo "$k: no $func in $v"; continue; }
		# the low 32 bits of the address tell its page
		a32=$((16#${a:8})) n=$((16#$n))
		printf '%-7s %s at %s, %d bytes, %s\n' "$k" "$func" "$a" "$n" \
			"$([ $((a32 / 4096)) = $(((a32 + n - 1) / 4096)) ] && echo within one page || echo crosses a page boundary)"
	done >"$ld/where.txt"
	for i in $(seq 1 "$boots"); do
		for k in base series layout; do
			case $k in
			base) kernel=$basekernel ;;
			series) kernel=$OBJ/arch/x86/boot/bzImage ;;
			layout) kernel=$bis/obj-$VARIANT/arch/x86/boot/bzImage ;;
			esac
			run=$BUILD/run-$VARIANT-bench-layout-$k
			log "bench: layout control, $k kernel, boot $i of $boots"
			t=$((w + d + 300))
			KERNEL=$kernel TIMEOUT=$t VM_TIMEOUT=$((t + 300)) \
				CMD="$ROOT/bench/upstream.sh $ST/bench $w $d $cases" "$ROOT/scripts/vm.sh" "bench-layout-$k"
			cp "$run/log/cmd.log" "$ld/$k-$i.log" 2>/dev/null ||
				echo "(no output: the VM did not run the benchmarks)" >"$ld/$k-$i.log"
			"$ROOT/scripts/report.py" "$run" >/dev/null || { log "bench: layout, $k kernel, boot $i did not run cleanly: $run"; status=1; }
		done
	done
	{
		echo "layout control: the series kernel with only $func ($file) aligned to a page"
		cat "$ld/where.txt"
		echo
		"$ROOT/bench/upstream_report.py" "$ld" base series layout
	} | tee "$ld.txt"
}

for p in "${parts[@]}"; do
	"$p"
done
exit $status

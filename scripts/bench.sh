#!/bin/bash
# Benchmarks, base kernel against patched kernel, same VM, same run.
# The base kernel comes from scripts/base.sh. bench/lock_bench runs in the VM
# on both kernels; bench/report.py prints the numbers and the ratios.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/base.sh"
base=$BUILD/base

bench=$BUILD/lock_bench
libbpf=$ST/tools/build/libbpf
stage bench-build gcc -O2 -Wall -I"$ST/tools/include" -o "$bench" "$ROOT/bench/lock_bench.c" \
	"$libbpf/libbpf.a" -lelf -lz

out=$BUILD/bench
mkdir -p "$out"
for k in base patched; do
	kernel=$OBJ/arch/x86/boot/bzImage
	[ $k = base ] && kernel=$base/obj-$VARIANT/arch/x86/boot/bzImage
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

# Build the patched kernel and the BPF selftests, boot them in QEMU, test.
# DEBUG=1 selects the debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak).
# TESTS="a b" limits `make check` to those test_progs tests.
VARIANT := $(if $(filter 1,$(DEBUG)),debug,vm)
export VARIANT
S := scripts

.PHONY: all run check check-base bisect bench bench-upstream bench-fields bench-layout soak regress veristat deps tree build kernel selftests export checkpatch clean
all: check

deps:
	@$(S)/deps.sh
tree: deps
	@$(S)/tree.sh
kernel: tree
	@$(S)/build.sh kernel
selftests: kernel
	@$(S)/build.sh selftests
build: selftests

# The main job: build, boot, print the special-field x map-type matrix.
run: build
	@$(S)/run.sh matrix

# The tests: build, boot, run tests/check.list, "N passed, M failed".
check: build
	@$(S)/run.sh check $(TESTS)

# The baseline tests on the unpatched kernel (build/base), with selftests built for it.
check-base: tree
	@$(S)/run.sh check-base

# Every prefix of the series: kernel and test_progs build, the tests added so
# far pass (build/bisect/report.txt). FIRST=/LAST= limit the patches.
bisect: tree
	@$(S)/bisect.sh $(FIRST) $(LAST)

# Base kernel against patched kernel (bench/lock_bench), ratios in build/bench/report.txt;
# list release and eviction costs (graph_bench) in build/bench/graph.txt;
# and the two below (bench-upstream, bench-fields).
bench: build
	@$(S)/bench.sh

# The selftests' bench tool (hashmap, htab-mem, local storage cases) on the base
# and the patched kernel, BENCH_BOOTS (3) alternating boots each: medians,
# spreads and series/base ratios in build/bench/upstream.txt.
bench-upstream: build
	@$(S)/bench.sh upstream

# Maps whose values hold a lock, timer or list head against the same maps without
# and against HASH, on the patched kernel (bench/fields_bench): build/bench/fields.txt.
bench-fields: build
	@$(S)/bench.sh fields

# The layout control of a bench-upstream ratio: the series kernel with only one
# function (LAYOUT_FUNC) moved to the start of a page, against base and series
# on LAYOUT_CASES: build/bench/layout-<LAYOUT_FUNC>.txt.
bench-layout: build
	@$(S)/bench.sh layout

# The series' *_stress tests on the debug kernel, SOAK_ROUNDS (1000) rounds each;
# fails on a splat or a kmemleak report: build/soak/report.txt.
soak: tree
	@VARIANT=debug $(S)/build.sh kernel
	@$(S)/soak.sh

# Every test_progs test, test_verifier and test_maps on the base kernel and on
# the series kernel: verdicts side by side in build/regress/report.txt
# (REGRESS_TESTS="a b" runs only those tests).
regress: build
	@$(S)/regress.sh

# veristat over every selftests BPF object on both kernels: verified insns and
# states, verdict changes, largest deltas in build/veristat/report.txt.
veristat: build
	@$(S)/veristat.sh

# Developer loop: commit in build/linux, then regenerate patches/.
export:
	@$(S)/export.sh
checkpatch:
	@$(S)/checkpatch.sh

clean:
	rm -rf build

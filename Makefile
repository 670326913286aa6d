# Build the patched kernel and the BPF selftests, boot them in QEMU, test.
# DEBUG=1 selects the debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak).
# TESTS="a b" limits `make check` to those test_progs tests.
VARIANT := $(if $(filter 1,$(DEBUG)),debug,vm)
export VARIANT
S := scripts

.PHONY: all run check check-base bisect bench deps tree build kernel selftests export checkpatch clean
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
# list release and eviction costs (graph_bench) in build/bench/graph.txt.
bench: build
	@$(S)/bench.sh

# Developer loop: commit in build/linux, then regenerate patches/.
export:
	@$(S)/export.sh
checkpatch:
	@$(S)/checkpatch.sh

clean:
	rm -rf build

#!/bin/bash
# Runs in the test VM (scripts/bench.sh passes it as CMD): the selftests'
# bench tool on the cases of make bench-upstream, one after the other.
# usage: upstream.sh BENCH WARMUP DURATION [CASE,...]   (default: every case)
# Prints "=== case NAME" before and "=== end NAME rc RC SECONDS" after each
# case's output; bench/upstream_report.py reads that.
bench=$1 warmup=$2 duration=$3 only=${4:-}
[ -x "$bench" ] || { echo "no bench tool at $bench"; exit 1; }

# name | arguments (-p/-a as in the selftests' run_bench_*.sh, for 2 CPUs)
cases=(
	"bpf-hashmap-full-update|-p1 -a bpf-hashmap-full-update"
	"bpf-hashmap-lookup|-p1 -a bpf-hashmap-lookup --key_size 4 --max_entries 1000 --nr_entries 500 --nr_loops 1000000"
	"htab-mem.overwrite|-p2 htab-mem --use-case overwrite"
	"htab-mem.add_del_on_diff_cpu|-p2 htab-mem --use-case add_del_on_diff_cpu"
	"local-storage-cache-seq-get|--nr_maps 16 local-storage-cache-seq-get"
	"local-storage-cache-hashmap-control|--nr_maps 1 --hashmap_nr_keys_used 1000 local-storage-cache-hashmap-control"
	"local-storage-create.task|local-storage-create --storage-type task"
	"local-storage-create.socket|local-storage-create --storage-type socket"
)
fail=0
for c in "${cases[@]}"; do
	name=${c%%|*} args=${c#*|}
	[ -z "$only" ] || [[ ",$only," = *",$name,"* ]] || continue
	echo "=== case $name"
	s0=$SECONDS
	# shellcheck disable=SC2086
	"$bench" -w"$warmup" -d"$duration" $args 2>&1
	rc=$?
	echo "=== end $name rc $rc $((SECONDS - s0))"
	[ $rc = 0 ] || fail=1
done
exit $fail

// SPDX-License-Identifier: GPL-2.0
/* Cost of map syscalls on values with and without a bpf_spin_lock, with and
 * without BPF_F_LOCK. Prints "<case> <ns per op>" per case, or
 * "<case> n/a <errno>" where the kernel refuses the map or the flag.
 * Runs inside the test VM, once per kernel; bench/report.py compares.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

struct val {
	unsigned int lock;
	unsigned int pad;
	unsigned long long a, b;
};

static int nr_cpus;

/* Value type: { bpf_spin_lock or u32; u32 pad; u64 a; u64 b; } */
static int value_btf(bool lock, __u32 *key_id, __u32 *val_id)
{
	struct btf *btf = btf__new_empty();
	int u32, u64, l, v, fd;

	if (!btf)
		return -ENOMEM;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	l = btf__add_struct(btf, "bpf_spin_lock", 4);
	btf__add_field(btf, "val", u32, 0, 0);
	v = btf__add_struct(btf, "val", sizeof(struct val));
	btf__add_field(btf, "lock", lock ? l : u32, 0, 0);
	btf__add_field(btf, "pad", u32, 32, 0);
	btf__add_field(btf, "a", u64, 64, 0);
	btf__add_field(btf, "b", u64, 128, 0);
	if (btf__load_into_kernel(btf))
		return -errno;
	*key_id = u32;
	*val_id = v;
	fd = dup(btf__fd(btf));
	btf__free(btf);
	return fd;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of 5 runs of n ops, in ns per op; negative errno if refused. */
static double measure(enum bpf_map_type type, bool lock, bool update, __u64 flags, int n)
{
	bool percpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	size_t sz = sizeof(struct val) * (percpu ? nr_cpus : 1);
	struct val *v = calloc(1, sz);
	int fd, btf_fd, key = 0, r, i, err = 0;
	double best = 0;

	btf_fd = value_btf(lock, &opts.btf_key_type_id, &opts.btf_value_type_id);
	if (btf_fd < 0)
		return btf_fd;
	opts.btf_fd = btf_fd;
	fd = bpf_map_create(type, "lock_bench", sizeof(int), sizeof(struct val), 64, &opts);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (bpf_map_update_elem(fd, &key, v, 0)) {
		err = -errno;
		goto out;
	}
	for (r = 0; r < 5; r++) {
		double t0 = now_ns(), t;

		for (i = 0; i < n; i++) {
			v[0].a = v[0].b = i;
			if (update)
				err = bpf_map_update_elem(fd, &key, v, flags);
			else
				err = bpf_map_lookup_elem_flags(fd, &key, v, flags);
			if (err) {
				err = -errno;
				goto out;
			}
		}
		t = (now_ns() - t0) / n;
		if (!r || t < best)
			best = t;
	}
out:
	if (fd >= 0)
		close(fd);
	close(btf_fd);
	free(v);
	return err ? err : best;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum bpf_map_type type;
		bool lock, update;
		__u64 flags;
	} cases[] = {
		{ "percpu_hash.lookup.nolock",        BPF_MAP_TYPE_PERCPU_HASH, false, false, 0 },
		{ "percpu_hash.lookup.lock",          BPF_MAP_TYPE_PERCPU_HASH, true,  false, 0 },
		{ "percpu_hash.lookup.lock.F_LOCK",   BPF_MAP_TYPE_PERCPU_HASH, true,  false, BPF_F_LOCK },
		{ "percpu_hash.update.nolock",        BPF_MAP_TYPE_PERCPU_HASH, false, true,  0 },
		{ "percpu_hash.update.lock",          BPF_MAP_TYPE_PERCPU_HASH, true,  true,  0 },
		{ "percpu_hash.update.lock.F_LOCK",   BPF_MAP_TYPE_PERCPU_HASH, true,  true,  BPF_F_LOCK },
		{ "hash.update.lock.F_LOCK",          BPF_MAP_TYPE_HASH,        true,  true,  BPF_F_LOCK },
		{ "lru_hash.update.lock.F_LOCK",      BPF_MAP_TYPE_LRU_HASH,    true,  true,  BPF_F_LOCK },
		{ "hash.update.nolock",               BPF_MAP_TYPE_HASH,        false, true,  0 },
		{ "lru_hash.update.nolock",           BPF_MAP_TYPE_LRU_HASH,    false, true,  0 },
	};
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	unsigned int i;

	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double r = measure(cases[i].type, cases[i].lock, cases[i].update,
				   cases[i].flags, n);

		if (r < 0)
			printf("bench %s n/a %d\n", cases[i].name, (int)r);
		else
			printf("bench %s %.1f\n", cases[i].name, r);
		fflush(stdout);
	}
	return 0;
}

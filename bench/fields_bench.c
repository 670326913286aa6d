// SPDX-License-Identifier: GPL-2.0
/* Cost of map operations on values with a special field, against the same
 * map type without it and against HASH with the same field, on one kernel
 * (the patched one: the base refuses most of these maps).
 *
 * usage: fields_bench OBJ [N [ROUNDS]]
 *   OBJ     bench/fields_bench.bpf.o (built by scripts/bench.sh)
 *   N       operations per measurement (default 20000)
 *   ROUNDS  measurements per cell (default 9); every round measures every
 *           cell once, so that a slow phase of the host hits all cells alike
 *
 * Operations:
 *   lookup    a program looks up an existing key (its task's storage) and
 *             writes a field of the value
 *   update    a program updates an existing key (BPF_ANY): the new value
 *             replaces the old one, whose fields are released
 *   recreate  a program deletes a key (its task's storage) and inserts it
 *             again (BPF_NOEXIST; bpf_task_storage_get(F_CREATE))
 *   sys_upd   user space updates an existing key (for task storage: its
 *             own, through a pidfd) with bpf(BPF_MAP_UPDATE_ELEM)
 *
 * Prints each cell's median ns per operation with the min and max of the
 * rounds, then the ratios of the medians the series is about.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define NKEYS	64	/* as in fields_bench.bpf.c */
#define NR_OPS	4
#define MAX_ROUNDS 64

static const char *const op_names[NR_OPS] = { "lookup", "update", "recreate", "sys_upd" };

struct row {
	const char *label;	/* as printed */
	const char *map;	/* map name in the object, prefix of its programs */
	bool task;		/* task storage: no update from a program */
	bool percpu;
	double v[NR_OPS][MAX_ROUNDS];
	double med[NR_OPS], min[NR_OPS], max[NR_OPS];
	int err[NR_OPS];	/* negative errno, or 1: a run did fewer than N ops */
};

static struct row rows[] = {
	{ "hash",		"hash" },
	{ "hash+lock",		"hash_lock" },
	{ "hash+timer",		"hash_timer" },
	{ "hash+list",		"hash_list" },
	{ "percpu_hash",	"phash",	.percpu = true },
	{ "percpu_hash+lock",	"phash_lock",	.percpu = true },
	{ "lru_hash",		"lru" },
	{ "lru_hash+lock",	"lru_lock" },
	{ "task",		"task",		.task = true },
	{ "task+timer",		"task_timer",	.task = true },
	{ "task+list",		"task_list",	.task = true },
};
#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

static struct bpf_object *obj;
static int nr_cpus, pidfd;
static char *valbuf;	/* zeroes, big enough for any per-CPU value */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct row *row_by_label(const char *label)
{
	unsigned int i;

	for (i = 0; i < NR_ROWS; i++)
		if (!strcmp(rows[i].label, label))
			return &rows[i];
	return NULL;
}

/* One sys_upd measurement: n updates of existing keys; ns per op or -errno. */
static double sys_update(struct row *r, int n)
{
	int fd = bpf_object__find_map_fd_by_name(obj, r->map);
	double t0 = now_ns();
	int i, k;

	if (fd < 0)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		k = i & (NKEYS - 1);
		if (bpf_map_update_elem(fd, r->task ? &pidfd : &k, valbuf, BPF_ANY))
			return -errno;
	}
	return (now_ns() - t0) / n;
}

/* One program measurement: ns per op, -errno, or -1e9 if ops failed. */
static double prog_run(struct row *r, const char *op, int n)
{
	struct { __u32 n; } args = { .n = n };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .ctx_in = &args, .ctx_size_in = sizeof(args));
	struct bpf_program *prog;
	char name[64];
	double t0, t;

	snprintf(name, sizeof(name), "%s_%s", r->map, op);
	prog = bpf_object__find_program_by_name(obj, name);
	if (!prog)
		return -ENOENT;
	t0 = now_ns();
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &topts))
		return -errno;
	t = (now_ns() - t0) / n;
	if (topts.retval != (__u32)n) {
		fprintf(stderr, "%s: %u of %d operations succeeded\n", name, topts.retval, n);
		return -1e9;
	}
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int fill(void)
{
	unsigned int i;
	int k, fd;

	for (i = 0; i < NR_ROWS; i++) {
		fd = bpf_object__find_map_fd_by_name(obj, rows[i].map);
		if (fd < 0)
			return -ENOENT;
		for (k = 0; k < (rows[i].task ? 1 : NKEYS); k++)
			if (bpf_map_update_elem(fd, rows[i].task ? &pidfd : &k, valbuf, BPF_NOEXIST)) {
				fprintf(stderr, "fill %s: %s\n", rows[i].map, strerror(errno));
				return -errno;
			}
	}
	return 0;
}

static void print_ratio(const char *title, const char *num, const char *den)
{
	struct row *a = row_by_label(num), *b = row_by_label(den);
	int op;

	printf("%-40s", title);
	for (op = 0; op < NR_OPS; op++) {
		if (!a || !b || a->err[op] || b->err[op] || !a->med[op] || !b->med[op]) {
			printf(" %10s", "-");
			continue;
		}
		double q = a->med[op] / b->med[op];

		printf(" %9.2f%s", q, q > 1.2 ? "!" : " ");
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 20000;
	int rounds = argc > 3 ? atoi(argv[3]) : 9;
	unsigned int i;
	int rd, op, err;

	if (argc < 2 || n <= 0 || rounds <= 0 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: %s OBJ [N [ROUNDS<=%d]]\n", argv[0], MAX_ROUNDS);
		return 2;
	}
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0)
		return 1;
	valbuf = calloc(nr_cpus, 64);
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (!valbuf || pidfd < 0) {
		perror("setup");
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "cannot load %s: %s (a kernel without these maps?)\n",
			argv[1], strerror(-err));
		return 1;
	}
	if (fill())
		return 1;

	for (rd = 0; rd < rounds; rd++)
		for (i = 0; i < NR_ROWS; i++)
			for (op = 0; op < NR_OPS; op++) {
				struct row *r = &rows[i];
				double t;

				if (r->err[op] || (r->task && op == 1))
					continue;
				t = op == 3 ? sys_update(r, n) : prog_run(r, op_names[op], n);
				if (t < 0)
					r->err[op] = t == -1e9 ? 1 : (int)t;
				else
					r->v[op][rd] = t;
			}

	printf("fields_bench: %d operations per measurement, %d rounds, %d CPUs\n", n, rounds, nr_cpus);
	printf("ns per operation: median of the rounds (min-max)\n");
	printf("%-18s", "map");
	for (op = 0; op < NR_OPS; op++)
		printf(" %20s", op_names[op]);
	printf("\n");
	for (i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];

		printf("%-18s", r->label);
		for (op = 0; op < NR_OPS; op++) {
			char cell[64];

			if (r->task && op == 1) {
				snprintf(cell, sizeof(cell), "-");
			} else if (r->err[op]) {
				snprintf(cell, sizeof(cell), "error %d", r->err[op]);
			} else {
				qsort(r->v[op], rounds, sizeof(double), cmp_double);
				r->min[op] = r->v[op][0];
				r->max[op] = r->v[op][rounds - 1];
				r->med[op] = rounds % 2 ? r->v[op][rounds / 2] :
					(r->v[op][rounds / 2 - 1] + r->v[op][rounds / 2]) / 2;
				snprintf(cell, sizeof(cell), "%.0f (%.0f-%.0f)",
					 r->med[op], r->min[op], r->max[op]);
			}
			printf(" %20s", cell);
		}
		printf("\n");
	}

	printf("\nratios of the medians (goal: at most 1.20; '!' marks more)\n");
	printf("%-40s", "");
	for (op = 0; op < NR_OPS; op++)
		printf(" %10s", op_names[op]);
	printf("\n");
	printf("(a) per-CPU hash with a lock\n");
	print_ratio("  percpu_hash+lock / hash+lock", "percpu_hash+lock", "hash+lock");
	print_ratio("  percpu_hash+lock / hash", "percpu_hash+lock", "hash");
	print_ratio("  percpu_hash+lock / percpu_hash", "percpu_hash+lock", "percpu_hash");
	print_ratio("  (hash+lock / hash)", "hash+lock", "hash");
	printf("(b) LRU hash with a lock\n");
	print_ratio("  lru_hash+lock / hash+lock", "lru_hash+lock", "hash+lock");
	print_ratio("  lru_hash+lock / lru_hash", "lru_hash+lock", "lru_hash");
	print_ratio("  (lru_hash / hash)", "lru_hash", "hash");
	printf("(c) task storage with a timer or a list head\n");
	print_ratio("  task+timer / task", "task+timer", "task");
	print_ratio("  task+list / task", "task+list", "task");
	print_ratio("  (hash+timer / hash)", "hash+timer", "hash");
	print_ratio("  (hash+list / hash)", "hash+list", "hash");

	for (i = 0; i < NR_ROWS; i++)
		for (op = 0; op < NR_OPS; op++)
			if (rows[i].err[op])
				return 1;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Many short-lived tasks that hold references to themselves in their own
 * task storage (directly, through a local object, through a list node, in
 * a value with an armed timer) and cgroups that hold themselves in their
 * cgrp storage, created and removed while other programs read their
 * storages and take the references out and put them back: sched_switch on
 * both tasks of every switch, and a thread that runs a task iterator and a
 * cgroup iterator in a loop. At the end every task must have been freed and
 * every cgroup released, no prog_test_ref_kfunc reference held, and no
 * program must have got a value of a map with references for a task after
 * its reap or a cgroup after its removal. For debug kernels: KASAN,
 * lockdep and kmemleak watch the release paths under this traffic.
 *
 * LSC_STRESS_ROUNDS sets the rounds (default 400): each forks CHILDREN
 * tasks; a cgroup is created and removed every CGRP_EVERY rounds' worth.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <test_progs.h>
#include "cgroup_helpers.h"
#include "local_storage_cycle_stress.skel.h"

/* Same values in progs/local_storage_cycle_stress.c */
#define LSC_MAGIC	0x7e570000L
#define SCMD_TASK	1
#define SCMD_CGRP	2

#define ROUNDS		400
#define CHILDREN	4
#define CGRP_EVERY	4
#define CGRP_LIVE	4	/* cgroups alive at a time, for the reader */
/* for the release of thousands of owners after grace periods, at most */
#define WAIT_MS		30000
#define STEP_MS		20

struct ctx {
	struct local_storage_cycle_stress *skel;
	struct bpf_link *iter_task;
	struct bpf_link *iter_cgrp;
	int cgrp_rounds;
	volatile bool stop;
	/* results of the threads, asserted by the main thread */
	int iter_err;
	int iter_runs;
	int cgrp_err;
	int cgrp_done;
};

static long lsc_cmd(long cmd, long param)
{
	return syscall(__NR_getpgid, LSC_MAGIC + cmd, param);
}

static int run_iter(struct bpf_link *link)
{
	char buf[64];
	int fd, n;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return fd;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n;
}

/* Run both iterators until told to stop. */
static void *reader(void *arg)
{
	struct ctx *c = arg;

	while (!c->stop) {
		if (run_iter(c->iter_task) || run_iter(c->iter_cgrp)) {
			c->iter_err = -errno ?: -1;
			break;
		}
		c->iter_runs++;
	}
	return NULL;
}

static void cgrp_path(char *buf, size_t size, int i)
{
	snprintf(buf, size, "/lsc_stress_%d", i);
}

/* Create a cgroup, fill its storage, remove the one created CGRP_LIVE
 * rounds before; cgrp_rounds times, then remove the rest.
 */
static void *cgroups(void *arg)
{
	struct ctx *c = arg;
	char path[64];
	__u64 cgid;
	int i, fd;

	for (i = 0; i < c->cgrp_rounds; i++) {
		cgrp_path(path, sizeof(path), i);
		fd = create_and_get_cgroup(path);
		if (fd < 0) {
			c->cgrp_err = 1;
			break;
		}
		close(fd);
		c->cgrp_done++;
		cgid = get_cgroup_id(path);
		if (!cgid)
			c->cgrp_err = 2;
		else
			lsc_cmd(SCMD_CGRP, cgid);
		if (i >= CGRP_LIVE) {
			cgrp_path(path, sizeof(path), i - CGRP_LIVE);
			remove_cgroup(path);
		}
		if (c->cgrp_err)
			break;
	}
	for (i = c->cgrp_done - CGRP_LIVE; i < c->cgrp_done; i++) {
		if (i < 0)
			continue;
		cgrp_path(path, sizeof(path), i);
		remove_cgroup(path);
	}
	return NULL;
}

static long count_refs(struct local_storage_cycle_stress *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.count_refs), &opts) ||
	    opts.retval)
		return -1;
	return skel->bss->refs;
}

static struct local_storage_cycle_stress *open_skel(bool extra)
{
	struct local_storage_cycle_stress *skel;

	skel = local_storage_cycle_stress__open();
	if (!skel)
		return NULL;
	bpf_map__set_autocreate(skel->maps.xtask_st, extra);
	bpf_program__set_autoload(skel->progs.store_x, extra);
	/* the iterators are attached by hand, the cgroup one needs a cgroup */
	bpf_program__set_autoattach(skel->progs.rd_iter, false);
	bpf_program__set_autoattach(skel->progs.rd_cgrp, false);
	if (local_storage_cycle_stress__load(skel)) {
		local_storage_cycle_stress__destroy(skel);
		return NULL;
	}
	return skel;
}

/* One round: CHILDREN children fill their storages and exit, all reaped. */
static int fork_round(void)
{
	pid_t pids[CHILDREN];
	int i, n = 0, status, err = 0;

	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			err = -1;
			break;
		}
		if (pids[i] == 0) {
			lsc_cmd(SCMD_TASK, 0);
			/* let the readers see it alive */
			sched_yield();
			_exit(0);
		}
		n++;
	}
	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			err = -1;
	return err ?: n;
}

void test_local_storage_cycle_stress(void)
{
	struct local_storage_cycle_stress *skel;
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	struct ctx c = {};
	pthread_t rd, cg;
	int rounds = ROUNDS, forked = 0, i, n, t, root_fd = -1;
	bool extra = true, rd_started = false, cg_started = false;
	long base;
	char *env;

	env = getenv("LSC_STRESS_ROUNDS");
	if (env && atoi(env) > 0)
		rounds = atoi(env);
	c.cgrp_rounds = rounds / CGRP_EVERY ?: 1;

	skel = open_skel(true);
	if (!skel) {
		/* kernels without timers and lists in task storage: the
		 * cycles through the other fields are still to be broken
		 */
		extra = false;
		skel = open_skel(false);
		printf("%s: no timers and lists in task storage, left out\n",
		       __func__);
	}
	if (!ASSERT_OK_PTR(skel, "load"))
		return;
	c.skel = skel;
	skel->bss->parent_tgid = getpid();
	skel->bss->syscall_nr = __NR_getpgid;

	/* before any thread: it enters a mount namespace of its own */
	if (!ASSERT_OK(setup_cgroup_environment(), "setup cgroups"))
		goto out;
	root_fd = get_root_cgroup();
	if (!ASSERT_GE(root_fd, 0, "root cgroup"))
		goto cleanup;

	if (!ASSERT_OK(local_storage_cycle_stress__attach(skel), "attach"))
		goto cleanup;
	c.iter_task = bpf_program__attach_iter(skel->progs.rd_iter, NULL);
	if (!ASSERT_OK_PTR(c.iter_task, "attach iter/task"))
		goto cleanup;
	linfo.cgroup.cgroup_fd = root_fd;
	linfo.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	c.iter_cgrp = bpf_program__attach_iter(skel->progs.rd_cgrp, &opts);
	if (!ASSERT_OK_PTR(c.iter_cgrp, "attach iter/cgroup"))
		goto cleanup;

	base = count_refs(skel);
	if (!ASSERT_GT(base, 0, "base refs"))
		goto cleanup;

	if (!ASSERT_OK(pthread_create(&rd, NULL, reader, &c), "reader"))
		goto cleanup;
	rd_started = true;
	if (!ASSERT_OK(pthread_create(&cg, NULL, cgroups, &c), "cgroups"))
		goto stop;
	cg_started = true;

	for (i = 0; i < rounds; i++) {
		n = fork_round();
		if (n < CHILDREN) {
			ASSERT_GE(n, CHILDREN, "fork round");
			break;
		}
		forked += n;
	}
stop:
	if (cg_started)
		pthread_join(cg, NULL);
	c.stop = true;
	if (rd_started)
		pthread_join(rd, NULL);

	ASSERT_EQ(c.iter_err, 0, "iterators");
	ASSERT_GT(c.iter_runs, 0, "iterator runs");
	ASSERT_EQ(c.cgrp_err, 0, "cgroup rounds");
	ASSERT_EQ(c.cgrp_done, c.cgrp_rounds, "cgroups done");
	ASSERT_EQ(skel->bss->err, 0, "program err");
	ASSERT_EQ(skel->bss->watch_full, 0, "watch maps full");
	/* each task and cgroup filled, or refused for a busy storage lock,
	 * which must stay rare for the test to mean anything
	 */
	ASSERT_EQ(skel->bss->tstored + skel->bss->tbusy, forked, "tasks filled");
	ASSERT_LT(skel->bss->tbusy, forked / 10 + 1, "tasks busy");
	if (extra) {
		ASSERT_EQ(skel->bss->xstored + skel->bss->xbusy, forked,
			  "timers and lists filled");
		ASSERT_LT(skel->bss->xbusy, forked / 10 + 1, "timers busy");
	}
	ASSERT_EQ(skel->bss->cstored + skel->bss->cbusy, c.cgrp_done,
		  "cgroups filled");
	ASSERT_LT(skel->bss->cbusy, c.cgrp_done / 10 + 1, "cgroups busy");

	/* every task freed, every cgroup released, after grace periods */
	for (t = 0; t < WAIT_MS; t += STEP_MS) {
		if (skel->bss->tfreed == skel->bss->tstored &&
		    skel->bss->creleased == skel->bss->cstored)
			break;
		usleep(STEP_MS * 1000);
	}
	ASSERT_EQ(skel->bss->tfreed, skel->bss->tstored, "tasks freed");
	ASSERT_EQ(skel->bss->creleased, skel->bss->cstored, "cgroups released");
	for (t = 0; t < WAIT_MS && count_refs(skel) != base; t += STEP_MS)
		usleep(STEP_MS * 1000);
	ASSERT_EQ(count_refs(skel), base, "prog_test_ref refs");

	/* no value of a map with references after the reap or removal */
	ASSERT_EQ(skel->bss->sealed_leak, 0, "task_st after reap");
	ASSERT_EQ(skel->bss->sealed_data_bad, 0, "data_st after reap");
	ASSERT_EQ(skel->bss->csealed_leak, 0, "cgrp_st at cgroup_release");
	/* the self fields only ever held their owner */
	ASSERT_EQ(skel->bss->mismatch, 0, "task self mismatch");
	ASSERT_EQ(skel->bss->cmismatch, 0, "cgroup self mismatch");
	ASSERT_EQ(skel->bss->put_back_full, 0, "put back into a refilled field");
	/* the readers did meet filled storages */
	ASSERT_GT(skel->bss->switch_seen, 0, "sched_switch saw storages");
	ASSERT_GT(skel->bss->iter_seen, 0, "iter/task saw storages");
	ASSERT_GT(skel->bss->citer_seen, 0, "iter/cgroup saw storages");
	printf("%s: %d tasks (%s, busy %d/%d), %d cgroups (busy %d), %d reader runs, sched_switch %d, iter/task %d, iter/cgroup %d, %d sched_process_free\n",
	       __func__, forked, extra ? "with timers and lists" : "no timers, no lists",
	       skel->bss->tbusy, skel->bss->xbusy, c.cgrp_done, skel->bss->cbusy,
	       c.iter_runs, skel->bss->switch_seen,
	       skel->bss->iter_seen, skel->bss->citer_seen,
	       skel->bss->sealed_runs);
cleanup:
	bpf_link__destroy(c.iter_task);
	bpf_link__destroy(c.iter_cgrp);
	if (root_fd >= 0)
		close(root_fd);
	cleanup_cgroup_environment();
out:
	local_storage_cycle_stress__destroy(skel);
}

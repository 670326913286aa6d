// SPDX-License-Identifier: GPL-2.0
/* A task that holds a reference to itself in its task storage, a cgroup in
 * its cgrp storage, directly or through a local object, a list node or the
 * storage of another task: once the owner is done (the task exited and was
 * reaped, the cgroup removed), what the storage holds must be released, so
 * that the owner is freed. Each case checks that the owner itself is freed
 * (free_task() ran for the task, the cgroup_release tracepoint fired for the
 * cgroup), and first that a control without the reference is freed, so that
 * a broken observer fails the control and not the case.
 *
 * Also checked: once the task is reaped (the cgroup removed), programs get
 * no value of a map that can hold references and still get the values of
 * the others; and references in the storage are dropped at the reap (the
 * removal) even while something else keeps the owner alive.
 */
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/perf_event.h>
#include <test_progs.h>
#include "cgroup_helpers.h"
#include "local_storage_cycle.skel.h"

/* Same values in progs/local_storage_cycle.c */
#define LSC_MAGIC	0x7e570000L
enum {
	CMD_PLAIN = 1,
	CMD_SELF,
	CMD_OBJ,
	CMD_LIST,
	CMD_PEER,
	CMD_AT_EXIT,
	CMD_SEALED,
	CMD_COUNTED,
	CMD_PINNED,
	CMD_CGRP_PLAIN,
	CMD_CGRP_SELF,
	CMD_CGRP_OBJ,
	CMD_CGRP_HELD,
	CMD_CGRP_CHECK,
};

struct twatch {
	int pid;
	int freed;
	int at_exit;
};

struct cwatch {
	int released;
};

/* Owners are released after grace periods: poll for this long, in steps. */
#define WAIT_MS		10000
#define STEP_MS		10

#define SEALED_DATA	0x5ea1edL

/* Have the programs act on the calling task, see the programs. */
static long lsc_cmd(long cmd, long param)
{
	return syscall(__NR_getpgid, LSC_MAGIC + cmd, param);
}

static struct local_storage_cycle *open_skel(bool list)
{
	struct local_storage_cycle *skel;

	skel = local_storage_cycle__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	/* lists in task storage are new: only where the case needs them */
	bpf_map__set_autocreate(skel->maps.list_st, list);
	bpf_program__set_autoload(skel->progs.on_enter_list, list);
	if (!ASSERT_OK(local_storage_cycle__load(skel), "load"))
		goto err;
	skel->bss->parent_tgid = getpid();
	skel->bss->syscall_nr = __NR_getpgid;
	if (!ASSERT_OK(local_storage_cycle__attach(skel), "attach"))
		goto err;
	return skel;
err:
	local_storage_cycle__destroy(skel);
	return NULL;
}

/* A child process that waits for its command, runs it and exits. */
struct child {
	pid_t pid;
	int go;
	bool reaped;
};

static int child_start(struct child *c)
{
	long msg[2];
	int p[2];

	c->pid = -1;
	c->go = -1;
	c->reaped = true;
	if (pipe(p))
		return -1;
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (c->pid == 0) {
		close(p[1]);
		if (read(p[0], msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		lsc_cmd(msg[0], msg[1]);
		_exit(0);
	}
	close(p[0]);
	c->go = p[1];
	c->reaped = false;
	return 0;
}

/* Make the child run @cmd and exit; with @cmd 0, only exit. */
static int child_go(struct child *c, long cmd, long param)
{
	long msg[2] = { cmd, param };
	int n = 0;

	if (c->go < 0)
		return -1;
	if (cmd)
		n = write(c->go, msg, sizeof(msg));
	close(c->go);
	c->go = -1;
	return cmd && n != sizeof(msg) ? -1 : 0;
}

/* Wait until the child exited, without reaping it. */
static int child_exited(struct child *c)
{
	siginfo_t info = {};

	if (waitid(P_PID, c->pid, &info, WEXITED | WNOWAIT))
		return -1;
	return info.si_code == CLD_EXITED && info.si_status == 0 ? 0 : -1;
}

static int child_reap(struct child *c)
{
	int status;

	if (c->reaped)
		return 0;
	child_go(c, 0, 0);
	if (waitpid(c->pid, &status, 0) != c->pid)
		return -1;
	c->reaped = true;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* How often free_task() ran for the task of @pid, -1 if it was never seen */
static int task_freed(struct local_storage_cycle *skel, pid_t pid)
{
	int fd = bpf_map__fd(skel->maps.twatch);
	struct twatch w;
	__u64 key;
	int err;

	for (err = bpf_map_get_next_key(fd, NULL, &key); !err;
	     err = bpf_map_get_next_key(fd, &key, &key))
		if (!bpf_map_lookup_elem(fd, &key, &w) && w.pid == pid)
			return w.freed;
	return -1;
}

static int wait_task_freed(struct local_storage_cycle *skel, pid_t pid)
{
	int t, n;

	for (t = 0; ; t += STEP_MS) {
		n = task_freed(skel, pid);
		if (n > 0 || t >= WAIT_MS)
			return n;
		usleep(STEP_MS * 1000);
	}
}

static int cgrp_released(struct local_storage_cycle *skel, __u64 cgid)
{
	struct cwatch w;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.cwatch), &cgid, &w))
		return -1;
	return w.released;
}

static int wait_cgrp_released(struct local_storage_cycle *skel, __u64 cgid)
{
	int t, n;

	for (t = 0; ; t += STEP_MS) {
		n = cgrp_released(skel, cgid);
		if (n > 0 || t >= WAIT_MS)
			return n;
		usleep(STEP_MS * 1000);
	}
}

static long count_refs(struct local_storage_cycle *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.count_refs), &opts) ||
	    opts.retval)
		return -1;
	return skel->bss->refs;
}

static long wait_refs(struct local_storage_cycle *skel, long want)
{
	long n;
	int t;

	for (t = 0; ; t += STEP_MS) {
		n = count_refs(skel);
		if (n == want || t >= WAIT_MS)
			return n;
		usleep(STEP_MS * 1000);
	}
}

static int run_prog(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	return err ?: opts.retval;
}

/* A child runs @cmd, exits and is reaped; returns its pid, -1 on failure. */
static pid_t run_child(struct local_storage_cycle *skel, long cmd, long param)
{
	int stored = skel->bss->stored;
	struct child c;

	if (!ASSERT_OK(child_start(&c), "fork"))
		return -1;
	if (!ASSERT_OK(child_go(&c, cmd, param), "go") ||
	    !ASSERT_OK(child_reap(&c), "reap")) {
		child_reap(&c);
		return -1;
	}
	/* the command ran: the task is one the programs watch */
	if (!ASSERT_EQ(skel->bss->err, 0, "err") ||
	    !ASSERT_EQ(skel->bss->stored, stored + 1, "stored"))
		return -1;
	return c.pid;
}

/* The control: the same storage without the reference, freed on every
 * kernel. If this fails, the observer is broken, not the release.
 */
static bool control_task(struct local_storage_cycle *skel)
{
	struct child c;
	pid_t pid;

	if (!ASSERT_OK(child_start(&c), "fork"))
		return false;
	pid = c.pid;
	if (!ASSERT_OK(child_go(&c, CMD_PLAIN, 0), "go") ||
	    !ASSERT_OK(child_reap(&c), "reap") ||
	    !ASSERT_EQ(skel->bss->err, 0, "err") ||
	    !ASSERT_EQ(skel->bss->stored, 1, "stored"))
		return false;
	return ASSERT_EQ(wait_task_freed(skel, pid), 1, "control task freed");
}

/* task_self, chain, chain_list: one child, its storage holds it. */
static void test_one_task(long cmd)
{
	struct local_storage_cycle *skel;
	struct child c;
	pid_t pid;

	skel = open_skel(cmd == CMD_LIST);
	if (!skel)
		return;
	if (!control_task(skel))
		goto out;

	if (!ASSERT_OK(child_start(&c), "fork"))
		goto out;
	pid = c.pid;
	if (!ASSERT_OK(child_go(&c, cmd, 0), "go") ||
	    !ASSERT_OK(child_reap(&c), "reap"))
		goto out;
	if (!ASSERT_EQ(skel->bss->err, 0, "err") ||
	    !ASSERT_EQ(skel->bss->stored, 2, "stored"))
		goto out;
	/* fails where nothing releases the storage: the task holds itself */
	ASSERT_EQ(wait_task_freed(skel, pid), 1, "task freed");
out:
	local_storage_cycle__destroy(skel);
}

/* A's storage holds B, B's holds A: both exit, both are reaped. */
static void test_two_tasks(void)
{
	struct local_storage_cycle *skel;
	struct child a, b;

	skel = open_skel(false);
	if (!skel)
		return;
	if (!control_task(skel))
		goto out;

	if (!ASSERT_OK(child_start(&a), "fork a"))
		goto out;
	if (!ASSERT_OK(child_start(&b), "fork b")) {
		child_reap(&a);
		goto out;
	}
	/* each stores the other while both are alive or not yet reaped */
	ASSERT_OK(child_go(&a, CMD_PEER, b.pid), "go a");
	ASSERT_OK(child_go(&b, CMD_PEER, a.pid), "go b");
	ASSERT_OK(child_exited(&a), "exit a");
	ASSERT_OK(child_exited(&b), "exit b");
	ASSERT_EQ(skel->bss->err, 0, "err");
	ASSERT_EQ(skel->bss->stored, 3, "stored");
	ASSERT_EQ(task_freed(skel, a.pid), 0, "a not freed before reap");
	ASSERT_EQ(task_freed(skel, b.pid), 0, "b not freed before reap");
	if (!ASSERT_OK(child_reap(&a), "reap a") ||
	    !ASSERT_OK(child_reap(&b), "reap b"))
		goto out;
	ASSERT_EQ(wait_task_freed(skel, a.pid), 1, "a freed");
	ASSERT_EQ(wait_task_freed(skel, b.pid), 1, "b freed");
out:
	local_storage_cycle__destroy(skel);
}

/* A program at sched_process_exit stores the exiting task into its own
 * storage: after exit, before the reap.
 */
static void test_at_exit(void)
{
	struct local_storage_cycle *skel;
	pid_t pid;

	skel = open_skel(false);
	if (!skel)
		return;
	if (!control_task(skel))
		goto out;
	pid = run_child(skel, CMD_AT_EXIT, 0);
	if (pid < 0)
		goto out;
	if (!ASSERT_EQ(skel->bss->exit_stored, 1, "stored at exit"))
		goto out;
	ASSERT_EQ(wait_task_freed(skel, pid), 1, "task freed");
out:
	local_storage_cycle__destroy(skel);
}

/* At sched_process_free (after the reap), task_st (kptrs) must give no
 * value, with or without F_CREATE; data_st (plain data) and lock_st (a spin
 * lock) must give theirs, with what was written before the exit.
 */
static void test_sealed(void)
{
	struct local_storage_cycle *skel;
	pid_t pid;
	int t;

	skel = open_skel(false);
	if (!skel)
		return;
	pid = run_child(skel, CMD_SEALED, SEALED_DATA);
	if (pid < 0)
		goto out;
	for (t = 0; !skel->bss->sealed_runs && t < WAIT_MS; t += STEP_MS)
		usleep(STEP_MS * 1000);
	if (!ASSERT_EQ(skel->bss->sealed_runs, 1, "sched_process_free ran"))
		goto out;
	/* the base kernel gives the value: the task can store itself again */
	ASSERT_EQ(skel->bss->sealed_get, 0, "kptr map value after reap");
	ASSERT_EQ(skel->bss->sealed_create, 0, "kptr map value created after reap");
	ASSERT_EQ(skel->data->sealed_data, SEALED_DATA, "plain data after reap");
	ASSERT_EQ(skel->data->sealed_lock, SEALED_DATA, "spin lock value after reap");
	ASSERT_EQ(wait_task_freed(skel, pid), 1, "task freed");
out:
	local_storage_cycle__destroy(skel);
}

static int open_perf(pid_t pid)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
	};

	return syscall(__NR_perf_event_open, &attr, pid, -1, -1, 0);
}

/* The child's storage holds a prog_test_ref_kfunc reference, and something
 * else keeps the child alive after the reap: the array of the programs
 * (@pinned false: a bpf_task_acquire() reference) or a perf event on the
 * child (@pinned true: a task_struct reference). The reference in the
 * storage must be dropped at the reap, while the child lives on; the child
 * must be freed once the other holder lets it go, and in every case the
 * count ends where it started, or bpf_testmod could not be unloaded.
 */
static void test_release_counted(bool pinned)
{
	struct local_storage_cycle *skel;
	int perf_fd = -1;
	struct child c;
	long base;

	skel = open_skel(false);
	if (!skel)
		return;
	base = count_refs(skel);
	if (!ASSERT_GT(base, 0, "base refs"))
		goto out;
	if (!ASSERT_OK(child_start(&c), "fork"))
		goto out;
	if (pinned) {
		perf_fd = open_perf(c.pid);
		if (!ASSERT_GE(perf_fd, 0, "perf_event_open")) {
			child_reap(&c);
			goto out;
		}
	}
	if (!ASSERT_OK(child_go(&c, pinned ? CMD_PINNED : CMD_COUNTED, 0), "go") ||
	    !ASSERT_OK(child_exited(&c), "exit")) {
		child_reap(&c);
		goto drop;
	}
	ASSERT_EQ(skel->bss->err, 0, "err");
	ASSERT_EQ(skel->bss->stored, 1, "stored");
	/* exited, not reaped: the storage still holds its reference */
	ASSERT_EQ(count_refs(skel), base + 1, "refs before reap");
	if (!ASSERT_OK(child_reap(&c), "reap"))
		goto drop;
	/* the base kernel keeps it until the task_struct is freed */
	ASSERT_EQ(wait_refs(skel, base), base, "refs after reap");
	ASSERT_EQ(task_freed(skel, c.pid), 0, "task alive while held");
drop:
	if (pinned)
		close(perf_fd);
	else
		ASSERT_OK(run_prog(skel->progs.drop_hold), "drop_hold");
	ASSERT_EQ(wait_task_freed(skel, c.pid), 1, "task freed");
	ASSERT_EQ(wait_refs(skel, base), base, "refs at the end");
out:
	local_storage_cycle__destroy(skel);
}

/* Create cgroup @path, run @cmd on it, remove it. Returns its id, 0 on
 * failure.
 */
static __u64 cgrp_run(struct local_storage_cycle *skel, const char *path,
		      long cmd, bool remove)
{
	int stored = skel->bss->stored;
	__u64 cgid;
	int fd;

	fd = create_and_get_cgroup(path);
	if (!ASSERT_GE(fd, 0, "create cgroup"))
		return 0;
	close(fd);
	cgid = get_cgroup_id(path);
	if (!ASSERT_NEQ(cgid, 0, "cgroup id"))
		goto err;
	lsc_cmd(cmd, cgid);
	if (!ASSERT_EQ(skel->bss->err, 0, "err") ||
	    !ASSERT_EQ(skel->bss->stored, stored + 1, "stored"))
		goto err;
	if (remove)
		remove_cgroup(path);
	return cgid;
err:
	remove_cgroup(path);
	return 0;
}

/* cgroup_self, cgroup_chain: the cgroup's storage holds it. */
static void test_cgroup(long cmd)
{
	struct local_storage_cycle *skel;
	__u64 cgid;

	skel = open_skel(false);
	if (!skel)
		return;
	if (!ASSERT_OK(setup_cgroup_environment(), "setup cgroups"))
		goto out;

	cgid = cgrp_run(skel, "/lsc_control", CMD_CGRP_PLAIN, true);
	if (!cgid || !ASSERT_EQ(wait_cgrp_released(skel, cgid), 1,
				"control cgroup released"))
		goto cleanup;

	cgid = cgrp_run(skel, "/lsc_cycle", cmd, true);
	if (!cgid)
		goto cleanup;
	/* fails where nothing releases the storage: the cgroup holds itself */
	ASSERT_EQ(wait_cgrp_released(skel, cgid), 1, "cgroup released");
cleanup:
	cleanup_cgroup_environment();
out:
	local_storage_cycle__destroy(skel);
}

/* The cgroup's storage holds a prog_test_ref_kfunc reference, and an array
 * holds the cgroup, which so lives on after its removal. The reference must
 * be dropped at the removal; then programs get no value of cgrp_st and
 * still get cdata_st's; once the array lets it go, the cgroup is released.
 */
static void test_cgroup_sealed(void)
{
	struct local_storage_cycle *skel;
	__u64 cgid = 0;
	long base;

	skel = open_skel(false);
	if (!skel)
		return;
	base = count_refs(skel);
	if (!ASSERT_GT(base, 0, "base refs"))
		goto out;
	if (!ASSERT_OK(setup_cgroup_environment(), "setup cgroups"))
		goto out;

	cgid = cgrp_run(skel, "/lsc_held", CMD_CGRP_HELD, false);
	if (!cgid)
		goto cleanup;
	ASSERT_EQ(count_refs(skel), base + 1, "refs before rmdir");
	remove_cgroup("/lsc_held");
	/* the base kernel keeps it until the cgroup is freed */
	ASSERT_EQ(wait_refs(skel, base), base, "refs after rmdir");

	lsc_cmd(CMD_CGRP_CHECK, 0);
	ASSERT_EQ(skel->bss->err, 0, "err");
	if (ASSERT_EQ(skel->bss->csealed_runs, 1, "checked")) {
		ASSERT_EQ(skel->bss->csealed_get, 0, "kptr map value after rmdir");
		ASSERT_EQ(skel->bss->csealed_create, 0,
			  "kptr map value created after rmdir");
		ASSERT_EQ(skel->data->csealed_data, LSC_MAGIC, "plain data after rmdir");
	}
	ASSERT_EQ(cgrp_released(skel, cgid), 0, "cgroup alive while held");
cleanup:
	if (cgid) {
		ASSERT_OK(run_prog(skel->progs.drop_chold), "drop_chold");
		ASSERT_EQ(wait_cgrp_released(skel, cgid), 1, "cgroup released");
	}
	ASSERT_EQ(wait_refs(skel, base), base, "refs at the end");
	cleanup_cgroup_environment();
out:
	local_storage_cycle__destroy(skel);
}

void test_local_storage_cycle(void)
{
	if (test__start_subtest("task_self"))
		test_one_task(CMD_SELF);
	if (test__start_subtest("chain"))
		test_one_task(CMD_OBJ);
	if (test__start_subtest("chain_list"))
		test_one_task(CMD_LIST);
	if (test__start_subtest("two_tasks"))
		test_two_tasks();
	if (test__start_subtest("at_exit"))
		test_at_exit();
	if (test__start_subtest("sealed"))
		test_sealed();
	if (test__start_subtest("release_counted"))
		test_release_counted(false);
	if (test__start_subtest("release_pinned"))
		test_release_counted(true);
	if (test__start_subtest("cgroup_self"))
		test_cgroup(CMD_CGRP_SELF);
	if (test__start_subtest("cgroup_chain"))
		test_cgroup(CMD_CGRP_OBJ);
	if (test__start_subtest("cgroup_sealed"))
		test_cgroup_sealed();
}

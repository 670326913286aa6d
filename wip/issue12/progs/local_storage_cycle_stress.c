// SPDX-License-Identifier: GPL-2.0
/* Many short-lived tasks and cgroups that hold references to themselves in
 * their own storage, while other programs read and juggle what the storages
 * hold. prog_tests/local_storage_cycle_stress.c counts that every one of
 * them is freed and that nothing leaked.
 *
 * A task or thread of test_progs gets its storage filled by calling
 * getpgid(LSC_MAGIC + cmd, param), which otherwise fails with ESRCH.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_experimental.h"
#include "../bpf_testmod/bpf_testmod_kfunc.h"

char _license[] SEC("license") = "GPL";

struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;
struct cgroup *bpf_cgroup_acquire(struct cgroup *p) __ksym;
struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym;
void bpf_cgroup_release(struct cgroup *p) __ksym;

/* Same values in prog_tests/local_storage_cycle_stress.c */
#define LSC_MAGIC	0x7e570000L
#define SCMD_TASK	1	/* fill the storages of the calling task */
#define SCMD_CGRP	2	/* fill the storage of cgroup id param */

#define CLOCK_MONOTONIC	1
#define TIMER_NS	(100ULL * 1000 * 1000 * 1000)	/* never fires here */

struct holder {
	struct task_struct __kptr *task;
};

struct cholder {
	struct cgroup __kptr *cgrp;
};

struct lnode {
	struct bpf_list_node node;
	struct task_struct __kptr *task;
};

struct tval {
	struct task_struct __kptr *self;
	struct holder __kptr *obj;
	struct prog_test_ref_kfunc __kptr *ref;
};

/* A timer armed, a reference and a list in the same value. */
struct xval {
	struct task_struct __kptr *self;
	struct bpf_timer timer;
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(lnode, node);
};

struct dval {
	long pid;
};

struct cval {
	struct cgroup __kptr *self;
	struct cholder __kptr *obj;
	struct prog_test_ref_kfunc __kptr *ref;
};

#define STORAGE(name, mtype, vtype)				\
	struct {						\
		__uint(type, mtype);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);		\
		__type(key, int);				\
		__type(value, vtype);				\
	} name SEC(".maps")

STORAGE(task_st, BPF_MAP_TYPE_TASK_STORAGE, struct tval);
/* Timers and lists in task storage are new: user space leaves xtask_st and
 * store_x out where they do not load.
 */
STORAGE(xtask_st, BPF_MAP_TYPE_TASK_STORAGE, struct xval);
STORAGE(data_st, BPF_MAP_TYPE_TASK_STORAGE, struct dval);
STORAGE(cgrp_st, BPF_MAP_TYPE_CGRP_STORAGE, struct cval);

/* The tasks (by task_struct address) and cgroups (by id) whose storages
 * were filled and that were not freed yet.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, int);
} twatch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, int);
} cwatch SEC(".maps");

/* Set by user space */
int parent_tgid;
int syscall_nr;

/* Read by user space */
int err;		/* the first error, E_* */
int watch_full;		/* a watch map was full */
/* No storage created: another program held this CPU's storage lock (it was
 * preempted in it), as bpf_task_storage_get() and bpf_cgrp_storage_get()
 * allow. These owners are not counted as filled.
 */
int tbusy;
int xbusy;
int cbusy;
int tstored;		/* tasks whose task_st and data_st were filled */
int xstored;		/* tasks whose xtask_st was filled */
int tfreed;		/* of those, freed */
int cstored;		/* cgroups whose cgrp_st was filled */
int creleased;		/* of those, released */
int sealed_runs;	/* sched_process_free for a watched task */
int sealed_leak;	/* a value of a map with references after the reap */
int sealed_data_bad;	/* data_st missing or wrong after the reap */
int mismatch;		/* a task's self field held another task */
int cmismatch;		/* a cgroup's self field held another cgroup */
int csealed_leak;	/* a value of cgrp_st at cgroup_release */
int switch_seen;	/* sched_switch found a filled task_st */
int iter_seen;		/* iter/task found a filled task_st */
int citer_seen;		/* iter/cgroup found a filled cgrp_st */
int put_back_full;	/* a juggled reference found its field refilled */
int timer_fired;
long refs;

#define E_GET		1
#define E_ACQ		2
#define E_NEW		3
#define E_FULL		4
#define E_CGRP		5
#define E_TIMER		6

static __always_inline int set_err(int e)
{
	if (!err)
		err = e;
	return 0;
}

static __always_inline long get_cmd(struct pt_regs *regs, long id, u64 *param)
{
	struct task_struct *task = bpf_get_current_task_btf();
	long cmd;

	if (id != syscall_nr)
		return 0;
	cmd = PT_REGS_PARM1_CORE_SYSCALL(regs) - LSC_MAGIC;
	if (cmd != SCMD_TASK && cmd != SCMD_CGRP)
		return 0;
	if (task->tgid != parent_tgid && task->real_parent->tgid != parent_tgid)
		return 0;
	*param = PT_REGS_PARM2_CORE_SYSCALL(regs);
	return cmd;
}

static __always_inline int store_task(struct task_struct __kptr **slot,
				      struct task_struct *task)
{
	struct task_struct *t;

	t = bpf_task_acquire(task);
	if (!t)
		return E_ACQ;
	t = bpf_kptr_xchg(slot, t);
	if (t) {
		bpf_task_release(t);
		return E_FULL;
	}
	return 0;
}

static __always_inline int store_ref(struct prog_test_ref_kfunc __kptr **slot)
{
	struct prog_test_ref_kfunc *p;
	unsigned long arg = 0;

	p = bpf_kfunc_call_test_acquire(&arg);
	if (!p)
		return E_ACQ;
	p = bpf_kptr_xchg(slot, p);
	if (p) {
		bpf_kfunc_call_test_release(p);
		return E_FULL;
	}
	return 0;
}

static __always_inline int fill_task(struct task_struct *task)
{
	struct task_struct *t;
	struct holder *h;
	struct tval *v;
	struct dval *d;
	u64 key = (u64)task;
	int one = 1, e;

	if (bpf_map_update_elem(&twatch, &key, &one, BPF_NOEXIST)) {
		__sync_fetch_and_add(&watch_full, 1);
		return 0;
	}
	d = bpf_task_storage_get(&data_st, task, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	v = bpf_task_storage_get(&task_st, task, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!d || !v) {
		bpf_map_delete_elem(&twatch, &key);
		__sync_fetch_and_add(&tbusy, 1);
		return 0;
	}
	d->pid = task->pid;
	e = store_task(&v->self, task);
	if (e)
		return e;
	e = store_ref(&v->ref);
	if (e)
		return e;
	h = bpf_obj_new(typeof(*h));
	if (!h)
		return E_NEW;
	t = bpf_task_acquire(task);
	if (!t) {
		bpf_obj_drop(h);
		return E_ACQ;
	}
	t = bpf_kptr_xchg(&h->task, t);
	if (t)
		bpf_task_release(t);
	h = bpf_kptr_xchg(&v->obj, h);
	if (h) {
		bpf_obj_drop(h);
		return E_FULL;
	}
	__sync_fetch_and_add(&tstored, 1);
	return 0;
}

static __always_inline int fill_cgrp(u64 cgid)
{
	struct cgroup *cg, *c;
	struct cholder *h;
	struct cval *v;
	int one = 1, e = 0;

	if (bpf_map_update_elem(&cwatch, &cgid, &one, BPF_NOEXIST)) {
		__sync_fetch_and_add(&watch_full, 1);
		return 0;
	}
	cg = bpf_cgroup_from_id(cgid);
	if (!cg)
		return E_CGRP;
	v = bpf_cgrp_storage_get(&cgrp_st, cg, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v) {
		bpf_cgroup_release(cg);
		bpf_map_delete_elem(&cwatch, &cgid);
		__sync_fetch_and_add(&cbusy, 1);
		return 0;
	}
	e = store_ref(&v->ref);
	if (e) {
		bpf_cgroup_release(cg);
		return e;
	}
	h = bpf_obj_new(typeof(*h));
	if (!h) {
		bpf_cgroup_release(cg);
		return E_NEW;
	}
	c = bpf_cgroup_acquire(cg);
	if (!c) {
		bpf_obj_drop(h);
		bpf_cgroup_release(cg);
		return E_ACQ;
	}
	c = bpf_kptr_xchg(&h->cgrp, c);
	if (c)
		bpf_cgroup_release(c);
	h = bpf_kptr_xchg(&v->obj, h);
	if (h) {
		bpf_obj_drop(h);
		e = E_FULL;
	}
	/* the reference of bpf_cgroup_from_id() goes into the storage */
	cg = bpf_kptr_xchg(&v->self, cg);
	if (cg) {
		bpf_cgroup_release(cg);
		e = E_FULL;
	}
	if (!e)
		__sync_fetch_and_add(&cstored, 1);
	return e;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(store, struct pt_regs *regs, long id)
{
	u64 param = 0;
	long cmd;
	int e;

	cmd = get_cmd(regs, id, &param);
	if (!cmd)
		return 0;
	if (cmd == SCMD_TASK)
		e = fill_task(bpf_get_current_task_btf());
	else
		e = fill_cgrp(param);
	return e ? set_err(e) : 0;
}

static int timer_cb(void *map, int *key, struct xval *v)
{
	__sync_fetch_and_add(&timer_fired, 1);
	return 0;
}

/* Left out where timers and lists in task storage do not load. */
SEC("tp_btf/sys_enter")
int BPF_PROG(store_x, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *t;
	struct lnode *n;
	struct xval *x;
	u64 param = 0;
	int e;

	if (get_cmd(regs, id, &param) != SCMD_TASK)
		return 0;
	x = bpf_task_storage_get(&xtask_st, task, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!x) {
		__sync_fetch_and_add(&xbusy, 1);
		return 0;
	}
	e = store_task(&x->self, task);
	if (e)
		return set_err(e);
	if (bpf_timer_init(&x->timer, &xtask_st, CLOCK_MONOTONIC) ||
	    bpf_timer_set_callback(&x->timer, timer_cb) ||
	    bpf_timer_start(&x->timer, TIMER_NS, 0))
		return set_err(E_TIMER);
	n = bpf_obj_new(typeof(*n));
	if (!n)
		return set_err(E_NEW);
	t = bpf_task_acquire(task);
	if (!t) {
		bpf_obj_drop(n);
		return set_err(E_ACQ);
	}
	t = bpf_kptr_xchg(&n->task, t);
	if (t)
		bpf_task_release(t);
	bpf_spin_lock(&x->lock);
	bpf_list_push_back(&x->head, &n->node);
	bpf_spin_unlock(&x->lock);
	__sync_fetch_and_add(&xstored, 1);
	return 0;
}

SEC("fentry/free_task")
int BPF_PROG(on_free_task, struct task_struct *task)
{
	u64 key = (u64)task;

	if (!bpf_map_delete_elem(&twatch, &key))
		__sync_fetch_and_add(&tfreed, 1);
	return 0;
}

/* Released: removed long before, its storage gives no value of cgrp_st. */
SEC("tp_btf/cgroup_release")
int BPF_PROG(on_cgrp_release, struct cgroup *cgrp, const char *path)
{
	u64 id = cgrp->kn->id;

	if (bpf_map_delete_elem(&cwatch, &id))
		return 0;
	__sync_fetch_and_add(&creleased, 1);
	if (bpf_cgrp_storage_get(&cgrp_st, cgrp, NULL, 0) ||
	    bpf_cgrp_storage_get(&cgrp_st, cgrp, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE))
		__sync_fetch_and_add(&csealed_leak, 1);
	return 0;
}

/* After the reap: no value of task_st, data_st's with what was written. */
SEC("tp_btf/sched_process_free")
int BPF_PROG(on_sched_free, struct task_struct *task)
{
	u64 key = (u64)task;
	struct tval *v;
	struct dval *d;

	if (!bpf_map_lookup_elem(&twatch, &key))
		return 0;
	__sync_fetch_and_add(&sealed_runs, 1);
	v = bpf_task_storage_get(&task_st, task, NULL, 0);
	if (v)
		__sync_fetch_and_add(&sealed_leak, 1);
	v = bpf_task_storage_get(&task_st, task, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v)
		__sync_fetch_and_add(&sealed_leak, 1);
	d = bpf_task_storage_get(&data_st, task, NULL, 0);
	if (!d || d->pid != task->pid)
		__sync_fetch_and_add(&sealed_data_bad, 1);
	return 0;
}

/* Read what @task's storage holds: no references taken or dropped, this
 * runs in the scheduler.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(rd_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct task_struct *s;
	struct tval *v;

	v = bpf_task_storage_get(&task_st, prev, NULL, 0);
	if (v) {
		__sync_fetch_and_add(&switch_seen, 1);
		s = v->self;
		if (s && s != prev)
			__sync_fetch_and_add(&mismatch, 1);
	}
	v = bpf_task_storage_get(&task_st, next, NULL, 0);
	if (v) {
		__sync_fetch_and_add(&switch_seen, 1);
		s = v->self;
		if (s && s != next)
			__sync_fetch_and_add(&mismatch, 1);
	}
	return 0;
}

/* Take the task out of its self field and put it back, and the same with
 * the local object: races with the release taking them for good.
 */
SEC("iter/task")
int rd_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_struct *t;
	struct holder *h;
	struct tval *v;

	if (!task)
		return 0;
	v = bpf_task_storage_get(&task_st, task, NULL, 0);
	if (!v)
		return 0;
	__sync_fetch_and_add(&iter_seen, 1);
	t = bpf_kptr_xchg(&v->self, NULL);
	if (t) {
		if (t != task)
			__sync_fetch_and_add(&mismatch, 1);
		t = bpf_kptr_xchg(&v->self, t);
		if (t) {
			__sync_fetch_and_add(&put_back_full, 1);
			bpf_task_release(t);
		}
	}
	h = bpf_kptr_xchg(&v->obj, NULL);
	if (h) {
		h = bpf_kptr_xchg(&v->obj, h);
		if (h) {
			__sync_fetch_and_add(&put_back_full, 1);
			bpf_obj_drop(h);
		}
	}
	return 0;
}

/* The same for cgroups. The cgroup iterator runs the program on live
 * cgroups only (cgroup_iter_seq_show() skips removed ones), under
 * cgroup_mutex, so this runs between the stores and the removals.
 */
SEC("iter/cgroup")
int rd_cgrp(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;
	struct cholder *h;
	struct cgroup *c;
	struct cval *v;

	if (!cgrp)
		return 0;
	v = bpf_cgrp_storage_get(&cgrp_st, cgrp, NULL, 0);
	if (!v)
		return 0;
	__sync_fetch_and_add(&citer_seen, 1);
	c = bpf_kptr_xchg(&v->self, NULL);
	if (c) {
		if (c != cgrp)
			__sync_fetch_and_add(&cmismatch, 1);
		c = bpf_kptr_xchg(&v->self, c);
		if (c) {
			__sync_fetch_and_add(&put_back_full, 1);
			bpf_cgroup_release(c);
		}
	}
	h = bpf_kptr_xchg(&v->obj, NULL);
	if (h) {
		h = bpf_kptr_xchg(&v->obj, h);
		if (h) {
			__sync_fetch_and_add(&put_back_full, 1);
			bpf_obj_drop(h);
		}
	}
	return 0;
}

SEC("syscall")
int count_refs(void *ctx)
{
	struct prog_test_ref_kfunc *p;
	unsigned long arg = 0;

	p = bpf_kfunc_call_test_acquire(&arg);
	if (!p)
		return E_ACQ;
	refs = p->cnt.refs.counter;
	bpf_kfunc_call_test_release(p);
	return 0;
}

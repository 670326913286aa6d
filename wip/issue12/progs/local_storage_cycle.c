// SPDX-License-Identifier: GPL-2.0
/* References from the local storage of an owner back to the owner itself:
 * a task in its own task storage, a cgroup in its own cgrp storage, directly,
 * through a local object or a list node, or through the storage of another
 * task. prog_tests/local_storage_cycle.c checks that the owner is freed all
 * the same once it is done (a task exited and reaped, a cgroup removed), by
 * watching free_task() and the cgroup_release tracepoint for the owners
 * whose storage the programs here filled.
 *
 * The programs act on a task when it calls getpgid(LSC_MAGIC + cmd, param):
 * LSC_MAGIC is above PID_MAX_LIMIT, so the call does nothing but fail with
 * ESRCH, and the command says what to store.
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
struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
struct cgroup *bpf_cgroup_acquire(struct cgroup *p) __ksym;
struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym;
void bpf_cgroup_release(struct cgroup *p) __ksym;

/* Same values in prog_tests/local_storage_cycle.c */
#define LSC_MAGIC	0x7e570000L
enum {
	CMD_PLAIN = 1,	/* storage in task_st, nothing in it: the control */
	CMD_SELF,	/* task_st holds the task */
	CMD_OBJ,	/* task_st holds a local object that holds the task */
	CMD_LIST,	/* list_st holds a list node that holds the task */
	CMD_PEER,	/* task_st holds the task of pid param */
	CMD_AT_EXIT,	/* task_st holds the task, stored at sched_process_exit */
	CMD_SEALED,	/* task_st empty, data_st and lock_st hold param */
	CMD_COUNTED,	/* task_st holds a prog_test_ref, hold the task */
	CMD_PINNED,	/* task_st holds a prog_test_ref */
	CMD_CGRP_PLAIN,	/* storage of cgroup id param, nothing in it */
	CMD_CGRP_SELF,	/* cgrp_st of cgroup param holds the cgroup */
	CMD_CGRP_OBJ,	/* ... a local object that holds the cgroup */
	CMD_CGRP_HELD,	/* ... a prog_test_ref, cdata_st LSC_MAGIC, chold it */
	CMD_CGRP_CHECK,	/* look at the storage of the cgroup in chold */
	CMD_MAX,
};

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
	struct task_struct __kptr *task;
	struct holder __kptr *obj;
	struct prog_test_ref_kfunc __kptr *ref;
};

struct dval {
	long data;
};

struct kval {
	struct bpf_spin_lock lock;
	long data;
};

struct lval {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(lnode, node);
};

struct cval {
	struct cgroup __kptr *cgrp;
	struct cholder __kptr *obj;
	struct prog_test_ref_kfunc __kptr *ref;
};

struct hval {
	struct task_struct __kptr *task;
};

struct chval {
	struct cgroup __kptr *cgrp;
};

/* Values of a task or cgroup whose storage a program filled. */
struct twatch {
	int pid;
	int freed;	/* free_task() ran for it */
	int at_exit;	/* store at sched_process_exit */
};

struct cwatch {
	int released;	/* cgroup_release fired for it */
};

#define STORAGE(name, mtype, vtype)				\
	struct {						\
		__uint(type, mtype);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);		\
		__type(key, int);				\
		__type(value, vtype);				\
	} name SEC(".maps")

STORAGE(task_st, BPF_MAP_TYPE_TASK_STORAGE, struct tval);
/* no reference in the values of these two: readable after the reap */
STORAGE(data_st, BPF_MAP_TYPE_TASK_STORAGE, struct dval);
STORAGE(lock_st, BPF_MAP_TYPE_TASK_STORAGE, struct kval);
/* only created by chain_list: the base kernel has no lists in task storage */
STORAGE(list_st, BPF_MAP_TYPE_TASK_STORAGE, struct lval);
STORAGE(cgrp_st, BPF_MAP_TYPE_CGRP_STORAGE, struct cval);
STORAGE(cdata_st, BPF_MAP_TYPE_CGRP_STORAGE, struct dval);

/* Keeps a task alive outside of its storage (release_counted). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct hval);
} hold SEC(".maps");

/* Keeps a cgroup alive after its removal (cgroup_sealed). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct chval);
} chold SEC(".maps");

/* Keyed by the task_struct's address: it cannot be reused before free_task()
 * has run for it, and a pid could be.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, struct twatch);
} twatch SEC(".maps");

/* Keyed by cgroup id, which is never reused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, struct cwatch);
} cwatch SEC(".maps");

/* Set by user space */
int parent_tgid;	/* test_progs: the commands of it and its children */
int syscall_nr;		/* __NR_getpgid */

/* Read by user space */
int err;		/* the first error, E_* */
int stored;		/* commands done */
int exit_stored;	/* stores at sched_process_exit done */
long refs;		/* count_refs */
u64 sealed_task;	/* CMD_SEALED: the task sched_process_free looks at */
int sealed_runs;	/* sched_process_free ran for it */
int sealed_get;		/* task_st lookup returned a value */
int sealed_create;	/* task_st lookup with F_CREATE returned a value */
long sealed_data = -1;	/* data_st value, -1 if none */
long sealed_lock = -1;	/* lock_st value, -1 if none */
int csealed_runs;	/* CMD_CGRP_CHECK ran */
int csealed_get;	/* cgrp_st lookup returned a value */
int csealed_create;	/* cgrp_st lookup with F_CREATE returned a value */
long csealed_data = -1;	/* cdata_st value, -1 if none */

#define E_CMD		1	/* unknown command */
#define E_GET		2	/* no storage */
#define E_ACQ		3	/* no reference */
#define E_NEW		4	/* bpf_obj_new() failed */
#define E_FULL		5	/* a field already held something */
#define E_WATCH		6	/* watch map update failed */
#define E_CGRP		7	/* no such cgroup */
#define E_HOLD		8	/* no hold element */

static __always_inline int set_err(int e)
{
	if (!err)
		err = e;
	return 0;
}

static __always_inline int watch_task(struct task_struct *task, int at_exit)
{
	struct twatch w = { .pid = task->pid, .at_exit = at_exit };
	u64 key = (u64)task;

	return bpf_map_update_elem(&twatch, &key, &w, BPF_ANY);
}

/* Store a reference to @task into @v->task. */
static __always_inline int store_task(struct tval *v, struct task_struct *task)
{
	struct task_struct *t;

	t = bpf_task_acquire(task);
	if (!t)
		return E_ACQ;
	t = bpf_kptr_xchg(&v->task, t);
	if (t) {
		bpf_task_release(t);
		return E_FULL;
	}
	return 0;
}

/* Store a local object holding a reference to @task into @v->obj. */
static __always_inline int store_obj(struct tval *v, struct task_struct *task)
{
	struct task_struct *t;
	struct holder *h;

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
	return 0;
}

/* Push a list node holding a reference to @task into its list_st value. */
static __always_inline int store_list(struct task_struct *task)
{
	struct task_struct *t;
	struct lnode *n;
	struct lval *lv;

	lv = bpf_task_storage_get(&list_st, task, NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!lv)
		return E_GET;
	n = bpf_obj_new(typeof(*n));
	if (!n)
		return E_NEW;
	t = bpf_task_acquire(task);
	if (!t) {
		bpf_obj_drop(n);
		return E_ACQ;
	}
	t = bpf_kptr_xchg(&n->task, t);
	if (t)
		bpf_task_release(t);
	bpf_spin_lock(&lv->lock);
	bpf_list_push_back(&lv->head, &n->node);
	bpf_spin_unlock(&lv->lock);
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

/* Hold a reference to @task in the array, outside of its storage. */
static __always_inline int hold_task(struct task_struct *task)
{
	struct task_struct *t;
	struct hval *h;
	int key = 0;

	h = bpf_map_lookup_elem(&hold, &key);
	if (!h)
		return E_HOLD;
	t = bpf_task_acquire(task);
	if (!t)
		return E_ACQ;
	t = bpf_kptr_xchg(&h->task, t);
	if (t) {
		bpf_task_release(t);
		return E_FULL;
	}
	return 0;
}

static __always_inline int task_cmd(struct task_struct *task, long cmd, u64 param)
{
	struct task_struct *peer;
	struct tval *v;
	struct dval *d;
	struct kval *k;
	int e;

	if (watch_task(task, cmd == CMD_AT_EXIT))
		return E_WATCH;
	v = bpf_task_storage_get(&task_st, task, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return E_GET;

	switch (cmd) {
	case CMD_PLAIN:
	case CMD_AT_EXIT:
		return 0;
	case CMD_SELF:
		return store_task(v, task);
	case CMD_OBJ:
		return store_obj(v, task);
	case CMD_PEER:
		peer = bpf_task_from_pid(param);
		if (!peer)
			return E_ACQ;
		peer = bpf_kptr_xchg(&v->task, peer);
		if (peer) {
			bpf_task_release(peer);
			return E_FULL;
		}
		return 0;
	case CMD_SEALED:
		d = bpf_task_storage_get(&data_st, task, NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		k = bpf_task_storage_get(&lock_st, task, NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!d || !k)
			return E_GET;
		d->data = param;
		bpf_spin_lock(&k->lock);
		k->data = param;
		bpf_spin_unlock(&k->lock);
		sealed_task = (u64)task;
		return 0;
	case CMD_COUNTED:
		e = store_ref(&v->ref);
		return e ?: hold_task(task);
	case CMD_PINNED:
		return store_ref(&v->ref);
	}
	return E_CMD;
}

static __always_inline int cgrp_cmd(long cmd, u64 cgid)
{
	struct cwatch w = {};
	struct cgroup *cg, *c;
	struct cholder *h;
	struct chval *ch;
	struct dval *d;
	struct cval *v;
	int key = 0;
	int e = 0;

	if (bpf_map_update_elem(&cwatch, &cgid, &w, BPF_ANY))
		return E_WATCH;
	cg = bpf_cgroup_from_id(cgid);
	if (!cg)
		return E_CGRP;
	v = bpf_cgrp_storage_get(&cgrp_st, cg, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v) {
		bpf_cgroup_release(cg);
		return E_GET;
	}
	switch (cmd) {
	case CMD_CGRP_PLAIN:
		break;
	case CMD_CGRP_SELF:
		/* the reference of bpf_cgroup_from_id() goes into the storage */
		cg = bpf_kptr_xchg(&v->cgrp, cg);
		if (cg)
			e = E_FULL;
		break;
	case CMD_CGRP_HELD:
		e = store_ref(&v->ref);
		if (e)
			break;
		d = bpf_cgrp_storage_get(&cdata_st, cg, NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!d) {
			e = E_GET;
			break;
		}
		d->data = LSC_MAGIC;
		ch = bpf_map_lookup_elem(&chold, &key);
		if (!ch) {
			e = E_HOLD;
			break;
		}
		c = bpf_cgroup_acquire(cg);
		if (!c) {
			e = E_ACQ;
			break;
		}
		c = bpf_kptr_xchg(&ch->cgrp, c);
		if (c) {
			bpf_cgroup_release(c);
			e = E_FULL;
		}
		break;
	case CMD_CGRP_OBJ:
		h = bpf_obj_new(typeof(*h));
		if (!h) {
			e = E_NEW;
			break;
		}
		c = bpf_cgroup_acquire(cg);
		if (!c) {
			bpf_obj_drop(h);
			e = E_ACQ;
			break;
		}
		c = bpf_kptr_xchg(&h->cgrp, c);
		if (c)
			bpf_cgroup_release(c);
		h = bpf_kptr_xchg(&v->obj, h);
		if (h) {
			bpf_obj_drop(h);
			e = E_FULL;
		}
		break;
	default:
		e = E_CMD;
	}
	if (cg)
		bpf_cgroup_release(cg);
	return e;
}

/* CMD_CGRP_CHECK: the cgroup in chold was removed, its storage must give no
 * value of a map that can hold references, and still the values of the
 * others.
 */
static __always_inline int cgrp_check(void)
{
	struct chval *ch;
	struct cgroup *cg;
	struct dval *d;
	struct cval *v;
	int key = 0;

	ch = bpf_map_lookup_elem(&chold, &key);
	if (!ch)
		return E_HOLD;
	cg = ch->cgrp;
	if (!cg)
		return E_CGRP;
	v = bpf_cgrp_storage_get(&cgrp_st, cg, NULL, 0);
	csealed_get = !!v;
	v = bpf_cgrp_storage_get(&cgrp_st, cg, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	csealed_create = !!v;
	d = bpf_cgrp_storage_get(&cdata_st, cg, NULL, 0);
	if (d)
		csealed_data = d->data;
	__sync_fetch_and_add(&csealed_runs, 1);
	return 0;
}

/* The command of the current task, 0 if it has none for us. */
static __always_inline long get_cmd(struct pt_regs *regs, long id, u64 *param)
{
	struct task_struct *task = bpf_get_current_task_btf();
	long cmd;

	if (id != syscall_nr)
		return 0;
	cmd = PT_REGS_PARM1_CORE_SYSCALL(regs) - LSC_MAGIC;
	if (cmd <= 0 || cmd >= CMD_MAX)
		return 0;
	if (task->tgid != parent_tgid && task->real_parent->tgid != parent_tgid)
		return 0;
	*param = PT_REGS_PARM2_CORE_SYSCALL(regs);
	return cmd;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_enter, struct pt_regs *regs, long id)
{
	u64 param = 0;
	long cmd;
	int e;

	cmd = get_cmd(regs, id, &param);
	if (!cmd || cmd == CMD_LIST)
		return 0;
	if (cmd == CMD_CGRP_CHECK)
		e = cgrp_check();
	else if (cmd >= CMD_CGRP_PLAIN)
		e = cgrp_cmd(cmd, param);
	else
		e = task_cmd(bpf_get_current_task_btf(), cmd, param);
	if (e)
		return set_err(e);
	__sync_fetch_and_add(&stored, 1);
	return 0;
}

/* Loaded by chain_list only, with list_st. */
SEC("?tp_btf/sys_enter")
int BPF_PROG(on_enter_list, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	u64 param = 0;
	int e;

	if (get_cmd(regs, id, &param) != CMD_LIST)
		return 0;
	e = watch_task(task, 0) ? E_WATCH : store_list(task);
	if (e)
		return set_err(e);
	__sync_fetch_and_add(&stored, 1);
	return 0;
}

/* CMD_AT_EXIT: a program running on the task after it exited stores it. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	u64 key = (u64)task;
	struct twatch *w;
	struct tval *v;
	int e;

	w = bpf_map_lookup_elem(&twatch, &key);
	if (!w || !w->at_exit)
		return 0;
	v = bpf_task_storage_get(&task_st, task, NULL, 0);
	if (!v)
		return set_err(E_GET);
	e = store_task(v, task);
	if (e)
		return set_err(e);
	__sync_fetch_and_add(&exit_stored, 1);
	return 0;
}

SEC("fentry/free_task")
int BPF_PROG(on_free_task, struct task_struct *task)
{
	u64 key = (u64)task;
	struct twatch *w;

	w = bpf_map_lookup_elem(&twatch, &key);
	if (w)
		__sync_fetch_and_add(&w->freed, 1);
	return 0;
}

SEC("tp_btf/cgroup_release")
int BPF_PROG(on_cgrp_release, struct cgroup *cgrp, const char *path)
{
	u64 id = cgrp->kn->id;
	struct cwatch *w;

	w = bpf_map_lookup_elem(&cwatch, &id);
	if (w)
		__sync_fetch_and_add(&w->released, 1);
	return 0;
}

/* CMD_SEALED: the task was reaped, its storage must give no value of a map
 * that can hold references, and still the values of the others.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(on_sched_free, struct task_struct *task)
{
	struct tval *v;
	struct dval *d;
	struct kval *k;

	if ((u64)task != sealed_task)
		return 0;
	v = bpf_task_storage_get(&task_st, task, NULL, 0);
	sealed_get = !!v;
	v = bpf_task_storage_get(&task_st, task, NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	sealed_create = !!v;
	d = bpf_task_storage_get(&data_st, task, NULL, 0);
	if (d)
		sealed_data = d->data;
	k = bpf_task_storage_get(&lock_st, task, NULL, 0);
	if (k)
		sealed_lock = k->data;
	__sync_fetch_and_add(&sealed_runs, 1);
	return 0;
}

/* The reference count of prog_test_ref_kfunc, this program's included. */
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

/* release_counted: drop the reference of the array, the task's last one. */
SEC("syscall")
int drop_hold(void *ctx)
{
	struct task_struct *t;
	struct hval *h;
	int key = 0;

	h = bpf_map_lookup_elem(&hold, &key);
	if (!h)
		return E_HOLD;
	t = bpf_kptr_xchg(&h->task, NULL);
	if (!t)
		return E_ACQ;
	bpf_task_release(t);
	return 0;
}

/* cgroup_sealed: drop the reference of the array, the cgroup's last one. */
SEC("syscall")
int drop_chold(void *ctx)
{
	struct chval *ch;
	struct cgroup *c;
	int key = 0;

	ch = bpf_map_lookup_elem(&chold, &key);
	if (!ch)
		return E_HOLD;
	c = bpf_kptr_xchg(&ch->cgrp, NULL);
	if (!c)
		return E_ACQ;
	bpf_cgroup_release(c);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* BPF side of bench/fields_bench.c: lookups, updates and delete+insert
 * cycles from a program, on maps whose values hold a special field and on
 * the same maps without it. One syscall program per (map, operation): it runs
 * the operation args->n times in a bpf_loop() and returns how many succeeded.
 *
 * All values are 40 bytes, so that only the field differs between two rows.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "bpf_experimental.h"

char _license[] SEC("license") = "GPL";

#define NKEYS		64	/* keys 0..NKEYS-1, filled by user space */
#define MAX_ENTRIES	256	/* room for LRU updates without evictions */

struct args {
	__u32 n;
};

struct node {
	long key;
	struct bpf_list_node l;
};

struct v_plain {
	long pad[3];
	long a, b;
};

struct v_lock {
	struct bpf_spin_lock lock;
	long pad[2];
	long a, b;
};

struct v_timer {
	struct bpf_timer t;
	long pad;
	long a, b;
};

struct v_list {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(node, l);
	long a, b;
};

struct loop_ctx {
	long ok;
};

/* A syscall program running name_op_cb() a->n times; returns how many did. */
#define LOOP_PROG(name, op)						\
SEC("syscall") int name##_##op(struct args *a)				\
{									\
	struct loop_ctx c = {};						\
									\
	bpf_loop(a->n, name##_##op##_cb, &c, 0);			\
	return c.ok;							\
}

/* Keyed maps: lookup (and write), update of an existing key, delete and
 * insert again.
 */
#define KEYED(name, mtype, vtype)						\
struct {									\
	__uint(type, mtype);							\
	__uint(max_entries, MAX_ENTRIES);					\
	__type(key, __u32);							\
	__type(value, vtype);							\
} name SEC(".maps");								\
static int name##_lookup_cb(__u32 i, struct loop_ctx *c)			\
{										\
	__u32 k = i & (NKEYS - 1);						\
	vtype *v = bpf_map_lookup_elem(&name, &k);				\
										\
	if (v) {								\
		v->a = i;							\
		c->ok++;							\
	}									\
	return 0;								\
}										\
static int name##_update_cb(__u32 i, struct loop_ctx *c)			\
{										\
	__u32 k = i & (NKEYS - 1);						\
	vtype v = {};								\
										\
	v.a = i;								\
	if (!bpf_map_update_elem(&name, &k, &v, BPF_ANY))			\
		c->ok++;							\
	return 0;								\
}										\
static int name##_recreate_cb(__u32 i, struct loop_ctx *c)			\
{										\
	__u32 k = i & (NKEYS - 1);						\
	vtype v = {};								\
										\
	v.a = i;								\
	bpf_map_delete_elem(&name, &k);						\
	if (!bpf_map_update_elem(&name, &k, &v, BPF_NOEXIST))			\
		c->ok++;							\
	return 0;								\
}										\
LOOP_PROG(name, lookup)										\
LOOP_PROG(name, update)										\
LOOP_PROG(name, recreate)

/* Task storage of the calling task: get (and write), delete and create
 * again. Programs cannot update task storage: user space does that.
 */
#define TASK(name, vtype)							\
struct {									\
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);				\
	__uint(map_flags, BPF_F_NO_PREALLOC);					\
	__type(key, int);							\
	__type(value, vtype);							\
} name SEC(".maps");								\
static int name##_lookup_cb(__u32 i, struct loop_ctx *c)			\
{										\
	struct task_struct *t = bpf_get_current_task_btf();			\
	vtype *v = bpf_task_storage_get(&name, t, 0, 0);			\
										\
	if (v) {								\
		v->a = i;							\
		c->ok++;							\
	}									\
	return 0;								\
}										\
static int name##_recreate_cb(__u32 i, struct loop_ctx *c)			\
{										\
	struct task_struct *t = bpf_get_current_task_btf();			\
	vtype *v;								\
										\
	bpf_task_storage_delete(&name, t);					\
	v = bpf_task_storage_get(&name, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);	\
	if (v) {								\
		v->a = i;							\
		c->ok++;							\
	}									\
	return 0;								\
}										\
LOOP_PROG(name, lookup)										\
LOOP_PROG(name, recreate)

KEYED(hash, BPF_MAP_TYPE_HASH, struct v_plain)
KEYED(hash_lock, BPF_MAP_TYPE_HASH, struct v_lock)
KEYED(hash_timer, BPF_MAP_TYPE_HASH, struct v_timer)
KEYED(hash_list, BPF_MAP_TYPE_HASH, struct v_list)
KEYED(phash, BPF_MAP_TYPE_PERCPU_HASH, struct v_plain)
KEYED(phash_lock, BPF_MAP_TYPE_PERCPU_HASH, struct v_lock)
KEYED(lru, BPF_MAP_TYPE_LRU_HASH, struct v_plain)
KEYED(lru_lock, BPF_MAP_TYPE_LRU_HASH, struct v_lock)
TASK(task, struct v_plain)
TASK(task_timer, struct v_timer)
TASK(task_list, struct v_list)

/* Never run (user space does not call it): it makes clang emit struct
 * node, which the list heads' __contains() names, into the object's BTF.
 */
SEC("syscall") int node_type(struct args *a)
{
	return bpf_core_type_id_local(struct node);
}

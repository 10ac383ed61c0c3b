/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_cgroup.bpf.h: cgroup CPU weights (--cgroup_weights).
 *
 * The kernel hands a sched_ext scheduler every cgroup (ops.cgroup_init at
 * attach and on mkdir, cgroup_exit on rmdir), cpu.weight changes
 * (cgroup_set_weight) and task moves (cgroup_move). Each cgroup gets a
 * slot in the mmap'able array `cgroups` (id, parent, cpu.weight, level)
 * and keeps its slot number in its cgroup storage; a task remembers its
 * cgroup's slot and its snapshot carries it. The arithmetic is the
 * planner's (planner/cgroup_shares.h): from the slots and the task
 * snapshots it works out each cgroup's factor every tune interval and
 * writes it into cgroup_factors; here a task's effective weight is its
 * weight x factor, refreshed when it becomes runnable, at every tick, when
 * its weight changes and when it moves. Nothing on the wake-up path writes
 * a shared cache line: the factor is one array read.
 *
 * Scale: a factor is m / 2^s (shared/intf.h); an effective weight is x
 * ATLAS_WEIGHT_SCALE, at least 1 and at most ATLAS_MAX_EFF_WEIGHT.
 *
 * Both modes' programs include this file: the slots, the factors and the
 * bodies of the cgroup ops are the same; who works the factors out
 * differs (balanced mode: the planner, from the task snapshots; user mode:
 * usersched/cgroup_weigher, from each slot's runnable time).
 */
#ifndef SCX_ATLAS_BPF_CGROUP_H
#define SCX_ATLAS_BPF_CGROUP_H

#include "bpf/atlas_common.bpf.h"

const volatile bool cgroup_weights = false; /* --cgroup_weights */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_CGROUPS);
	__type(key, u32);
	__type(value, struct atlas_cgroup);
} cgroups SEC(".maps");

/*
 * Written by userspace (mmap): m / 2^s, 0 = not yet known (1.0). 64-bit
 * values: an mmap'ed array lays its elements out 8 bytes apart whatever
 * their size, so u32 values would not be where userspace writes them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_CGROUPS);
	__type(key, u32);
	__type(value, u64);
} cgroup_factors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, ATLAS_MAX_CGROUPS);
	__type(value, u32);
} free_cgroup_slots SEC(".maps");

/* Slots ever handed out: [0, cgroup_slots_used) holds every cgroup's. */
__u32 cgroup_slots_used;

struct cgroup_ctx {
	u32 slot; /* ATLAS_NO_CGROUP: none was free */
};

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cgroup_ctx);
} cgroup_ctxs SEC(".maps");

/* The slot of a cgroup, or ATLAS_NO_CGROUP. */
static __always_inline u16 cgroup_slot_of(struct cgroup *cgrp)
{
	struct cgroup_ctx *cgc;

	if (!cgroup_weights || !cgrp)
		return ATLAS_NO_CGROUP;
	cgc = bpf_cgrp_storage_get(&cgroup_ctxs, cgrp, 0, 0);
	return cgc ? (u16)cgc->slot : ATLAS_NO_CGROUP;
}

/* The id of the cgroup in `slot`, or 0. */
static __always_inline u64 cgroup_slot_id(u16 slot)
{
	u32 key = slot;
	struct atlas_cgroup *info;

	if (key >= ATLAS_MAX_CGROUPS)
		return 0;
	info = bpf_map_lookup_elem(&cgroups, &key);
	return info ? info->id : 0;
}

/*
 * `weight` (p->scx.weight's scale) x the factor of cgroup `slot`, x
 * ATLAS_WEIGHT_SCALE.
 */
static __always_inline u32 effective_weight(u32 weight, u16 slot)
{
	u32 key = slot, f, shift;
	u64 *factor;
	u64 w;

	if (!cgroup_weights || key >= ATLAS_MAX_CGROUPS)
		return weight * ATLAS_WEIGHT_SCALE;
	factor = bpf_map_lookup_elem(&cgroup_factors, &key);
	f = factor ? (u32)*factor : 0;
	shift = ATLAS_FACTOR_SHIFT(f);
	if (!f || shift > 63)
		return weight * ATLAS_WEIGHT_SCALE;
	w = (u64)weight * ATLAS_WEIGHT_SCALE * ATLAS_FACTOR_MANT(f);
	w = (w + (shift ? 1ULL << (shift - 1) : 0)) >> shift;
	return w < 1 ? 1 : w > ATLAS_MAX_EFF_WEIGHT ? ATLAS_MAX_EFF_WEIGHT : (u32)w;
}

/* Takes a slot for a new cgroup and describes the cgroup in it. */
static __always_inline u32 cgroup_slot_alloc(struct cgroup *cgrp, u32 weight)
{
	struct atlas_cgroup *info;
	struct cgroup *parent;
	u64 parent_id = 0;
	u32 slot;

	if (bpf_map_pop_elem(&free_cgroup_slots, &slot)) {
		slot = __sync_fetch_and_add(&cgroup_slots_used, 1);
		if (slot >= ATLAS_MAX_CGROUPS) {
			__sync_fetch_and_sub(&cgroup_slots_used, 1);
			stat_inc(ATLAS_STAT_CGROUP_NO_SLOT);
			return ATLAS_NO_CGROUP;
		}
	}
	info = bpf_map_lookup_elem(&cgroups, &slot);
	if (!info)
		return ATLAS_NO_CGROUP;
	if (cgrp->level > 0) {
		parent = bpf_cgroup_ancestor(cgrp, cgrp->level - 1);
		if (parent) {
			parent_id = parent->kn->id;
			bpf_cgroup_release(parent);
		}
	}
	info->parent_id = parent_id;
	info->weight = weight;
	info->level = cgrp->level;
	/* Written last: a reader takes a slot of id 0 as free. */
	__sync_lock_test_and_set(&info->id, cgrp->kn->id);
	return slot;
}

static __always_inline void cgroup_slot_free(u32 slot)
{
	struct atlas_cgroup *info = bpf_map_lookup_elem(&cgroups, &slot);
	u64 *factor = bpf_map_lookup_elem(&cgroup_factors, &slot);

	if (!info)
		return;
	__sync_lock_test_and_set(&info->id, 0);
	if (factor)
		*factor = 0;
	bpf_map_push_elem(&free_cgroup_slots, &slot, 0);
}

/* ops.cgroup_init: a slot for the new cgroup. */
static __always_inline s32 cgroup_init_slot(struct cgroup *cgrp, u32 weight)
{
	struct cgroup_ctx *cgc;

	if (!cgroup_weights)
		return 0;
	cgc = bpf_cgrp_storage_get(&cgroup_ctxs, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cgc)
		return -ENOMEM;
	cgc->slot = cgroup_slot_alloc(cgrp, weight);
	return 0;
}

/* ops.cgroup_exit: its slot back to the free ones. */
static __always_inline void cgroup_exit_slot(struct cgroup *cgrp)
{
	struct cgroup_ctx *cgc = bpf_cgrp_storage_get(&cgroup_ctxs, cgrp, 0, 0);

	if (!cgc || cgc->slot >= ATLAS_MAX_CGROUPS)
		return;
	cgroup_slot_free(cgc->slot);
	cgc->slot = ATLAS_NO_CGROUP;
}

/* ops.cgroup_set_weight: the slot's cpu.weight. */
static __always_inline void cgroup_set_slot_weight(struct cgroup *cgrp, u32 weight)
{
	struct cgroup_ctx *cgc = bpf_cgrp_storage_get(&cgroup_ctxs, cgrp, 0, 0);
	struct atlas_cgroup *info;
	u32 slot;

	if (!cgc || cgc->slot >= ATLAS_MAX_CGROUPS)
		return;
	slot = cgc->slot;
	info = bpf_map_lookup_elem(&cgroups, &slot);
	if (info)
		info->weight = weight;
}

#endif /* SCX_ATLAS_BPF_CGROUP_H */

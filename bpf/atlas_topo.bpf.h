/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_topo.bpf.h: the topology as cpumasks (bpf_cpumask kptrs), built
 * in ops.init from the rodata layout: one per domain, node and core (SMT
 * siblings), plus the CPUs in any domain, the performance CPUs of a hybrid
 * part, and the direct- and kick-greedy masks the tuner chooses (rebuilt
 * in ops.tick when it changes them). ops.init counts every mask back into
 * topo_check, which userspace verifies before it reports itself enabled.
 */
#ifndef SCX_ATLAS_BPF_TOPO_H
#define SCX_ATLAS_BPF_TOPO_H

#include "bpf/atlas_ctx.bpf.h"

struct mask_ctx {
	struct bpf_cpumask __kptr *mask;
};

#define MASK_MAP(name, nr)                        \
	struct {                                  \
		__uint(type, BPF_MAP_TYPE_ARRAY); \
		__uint(max_entries, nr);          \
		__type(key, u32);                 \
		__type(value, struct mask_ctx);   \
	} name SEC(".maps")

MASK_MAP(domain_masks, ATLAS_MAX_DOMAINS);
MASK_MAP(node_masks, ATLAS_MAX_NODES);
MASK_MAP(core_masks, ATLAS_MAX_CPUS);
MASK_MAP(scratch_masks, ATLAS_MAX_CPUS); /* per CPU, for intersections */

enum misc_mask {
	MASK_DIRECT_GREEDY,
	MASK_KICK_GREEDY,
	MASK_PERFORMANCE,
	MASK_ONLINE, /* every CPU in some domain */
	NR_MISC_MASKS
};
MASK_MAP(misc_masks, NR_MISC_MASKS);

static u64 greedy_built_gen;

/* The mask at map[idx], or NULL. Callers are in an RCU read section. */
static __always_inline struct bpf_cpumask *mask_of(void *map, u32 idx)
{
	struct mask_ctx *mctx = bpf_map_lookup_elem(map, &idx);

	return mctx ? mctx->mask : NULL;
}

/* This CPU's scratch mask. */
static __always_inline struct bpf_cpumask *scratch_mask(void)
{
	return mask_of(&scratch_masks, bpf_get_smp_processor_id());
}

static __always_inline void rebuild_misc_mask(u32 which, const u64 *doms)
{
	struct bpf_cpumask *mask = bpf_cpumask_create(), *dmask;
	struct mask_ctx *mctx;
	u32 d;

	if (!mask)
		return;
	bpf_for(d, 0, nr_domains)
	{
		if (!bit_test(doms, d))
			continue;
		dmask = mask_of(&domain_masks, d);
		if (dmask)
			bpf_cpumask_or(mask, (const struct cpumask *)mask,
				       (const struct cpumask *)dmask);
	}
	mctx = bpf_map_lookup_elem(&misc_masks, &which);
	if (mctx)
		mask = bpf_kptr_xchg(&mctx->mask, mask);
	if (mask)
		bpf_cpumask_release(mask);
}

static __always_inline void maybe_rebuild_greedy_masks(void)
{
	u64 gen = tune_gen, built = greedy_built_gen;

	if (gen == built || __sync_val_compare_and_swap(&greedy_built_gen, built, gen) != built)
		return;
	rebuild_misc_mask(MASK_DIRECT_GREEDY, direct_greedy_doms);
	rebuild_misc_mask(MASK_KICK_GREEDY, kick_greedy_doms);
}

/* Gives entries [0, nr) of a mask map an empty cpumask each. */
static __always_inline s32 create_masks(void *map, u32 nr)
{
	struct bpf_cpumask *mask;
	struct mask_ctx *mctx;
	u32 i;

	bpf_for(i, 0, nr)
	{
		mctx = bpf_map_lookup_elem(map, &i);
		if (!mctx)
			return -ENOENT;
		mask = bpf_cpumask_create();
		if (!mask)
			return -ENOMEM;
		mask = bpf_kptr_xchg(&mctx->mask, mask);
		if (mask)
			bpf_cpumask_release(mask);
	}
	return 0;
}

static __always_inline u32 mask_weight(void *map, u32 idx)
{
	struct bpf_cpumask *mask = mask_of(map, idx);

	return mask ? bpf_cpumask_weight((const struct cpumask *)mask) : 0;
}

/* Builds the topology cpumasks and counts them back into topo_check. */
static s32 build_topology_masks(void)
{
	struct bpf_cpumask *mask;
	u32 cpu, dom, node, i, weight;
	s32 ret;

	if ((ret = create_masks(&domain_masks, nr_domains)) ||
	    (ret = create_masks(&node_masks, ATLAS_MAX_NODES)) ||
	    (ret = create_masks(&core_masks, nr_cores)) ||
	    (ret = create_masks(&scratch_masks, nr_cpu_ids)) ||
	    (ret = create_masks(&misc_masks, NR_MISC_MASKS)))
		return ret;

	bpf_rcu_read_lock();
	bpf_for(cpu, 0, nr_cpu_ids)
	{
		if (cpu >= ATLAS_MAX_CPUS)
			break;
		dom = cpu_domain[cpu];
		if (dom >= ATLAS_MAX_DOMAINS)
			continue; /* ATLAS_NO_DOMAIN: offline */
		node = node_of_domain(dom);
		if ((mask = mask_of(&domain_masks, dom)))
			bpf_cpumask_set_cpu(cpu, mask);
		if ((mask = mask_of(&node_masks, node)))
			bpf_cpumask_set_cpu(cpu, mask);
		if ((mask = mask_of(&core_masks, cpu_core[cpu])))
			bpf_cpumask_set_cpu(cpu, mask);
		if ((mask = mask_of(&misc_masks, MASK_ONLINE)))
			bpf_cpumask_set_cpu(cpu, mask);
		if (domain_kind[dom] == ATLAS_KIND_PERFORMANCE &&
		    (mask = mask_of(&misc_masks, MASK_PERFORMANCE)))
			bpf_cpumask_set_cpu(cpu, mask);
	}
	bpf_for(i, 0, nr_domains)
	{
		if (i >= ATLAS_MAX_DOMAINS)
			break;
		weight = mask_weight(&domain_masks, i);
		topo_check.domain_cpus[i] = weight;
		topo_check.nr_cpus += weight;
	}
	bpf_for(i, 0, ATLAS_MAX_NODES)
	{
		if (i >= ATLAS_MAX_NODES)
			break;
		topo_check.node_cpus[i] = mask_weight(&node_masks, i);
	}
	bpf_for(i, 0, nr_cores)
	{
		if (mask_weight(&core_masks, i) > 1)
			topo_check.nr_smt_cores++;
	}
	bpf_rcu_read_unlock();
	return 0;
}

#endif /* SCX_ATLAS_BPF_TOPO_H */

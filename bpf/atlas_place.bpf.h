/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_place.bpf.h: where a waking or new task runs.
 *
 * Fork balancing: a new task allowed everywhere joins the domain with the
 * fewest tasks per CPU (--fork_balance=tasks; =load compares the runnable
 * weight at that instant, which herds a burst of children that block at
 * once into the other domain; =off keeps the parent's).
 *
 * An idle CPU of the task's own domain: the kernel's idle picker
 * restricted to the domain (scx_bpf_select_cpu_and, 6.16+: previous CPU
 * if idle and its core too, the waker's CPU on a wake-sync wake-up when it
 * shares the cache, a whole idle core, any idle CPU), else the same
 * sequence in BPF (older kernels, or --kernel_idle_pick=false). Never a CPU
 * outside the domain: a task placed there would be counted in one domain
 * and run in another.
 *
 * Hybrid parts: a busy task (duty cycle above one half) of an efficiency
 * domain, allowed everywhere, takes an idle performance CPU of its node
 * before any CPU of its own domain, as the kernel moves a misfit task to a
 * bigger CPU; it stays a task of its domain (a guest where it runs) until
 * the planner, which weighs domains by capacity, moves it.
 *
 * No idle CPU in the domain: a task allowed everywhere may
 * take an idle CPU of another domain the tuner allows ("direct greedy"),
 * in its node when its own domain would queue at least --greedy_threshold
 * tasks with it, and in other nodes when it queues at least
 * --greedy_threshold_x_numa tasks. It stays a task of its domain (a guest
 * where it runs).
 */
#ifndef SCX_ATLAS_BPF_PLACE_H
#define SCX_ATLAS_BPF_PLACE_H

#include "bpf/atlas_load.bpf.h"

/*
 * The task's domain cpumask, intersected with its cpumask when it may not
 * run everywhere (in this CPU's scratch mask).
 */
static __always_inline const struct cpumask *task_domain_mask(struct task_struct *p,
							      struct task_ctx *taskc)
{
	struct bpf_cpumask *dmask = mask_of(&domain_masks, taskc->dom), *scratch;

	if (!dmask)
		return NULL;
	if (taskc->all_cpus)
		return (const struct cpumask *)dmask;
	scratch = scratch_mask();
	if (!scratch)
		return NULL;
	bpf_cpumask_and(scratch, (const struct cpumask *)dmask, p->cpus_ptr);
	return (const struct cpumask *)scratch;
}

/* An idle CPU in misc mask `which` and NUMA node `node`, or -1. */
static __always_inline s32 pick_idle_in(u32 which, u32 node)
{
	struct bpf_cpumask *mask = mask_of(&misc_masks, which), *nmask = mask_of(&node_masks, node),
			   *scratch = scratch_mask();

	if (!mask || !nmask || !scratch)
		return -1;
	bpf_cpumask_and(scratch, (const struct cpumask *)mask, (const struct cpumask *)nmask);
	return scx_bpf_pick_idle_cpu((const struct cpumask *)scratch, 0);
}

/* Like pick_idle_in(), in any node but `node`. */
static __always_inline s32 pick_idle_elsewhere(u32 which, u32 node)
{
	u32 n;
	s32 cpu;

	bpf_for(n, 0, nr_nodes)
	{
		if (n == node)
			continue;
		cpu = pick_idle_in(which, n);
		if (cpu >= 0)
			return cpu;
	}
	return -1;
}

/*
 * Whether domain `dom` queues enough for a CPU of another domain of its node
 * to take its tasks: at least --greedy_threshold, counting `placing` more
 * (the task being placed, not queued yet). A threshold of 1 needs no look
 * at the queue: the task is or will be in it.
 */
static __always_inline bool greedy_queued(u32 dom, s32 placing)
{
	if (greedy_threshold <= 1)
		return greedy_threshold;
	return scx_bpf_dsq_nr_queued(dom) + placing >= (s32)greedy_threshold;
}

/*
 * Whether the tuner's greedy set `doms` (direct_greedy_doms or
 * kick_greedy_doms) holds a domain other than `dom`. Else its mask holds
 * at most `dom`'s CPUs, where the caller's idle pick just found none, and
 * the greedy pick (three lookups, an and and a pick) is skipped: with one
 * domain, every time. Read unlocked: the tuner's change reaches the masks
 * at the next tick anyway.
 */
static __always_inline bool greedy_elsewhere(const u64 *doms, u32 dom)
{
	u64 lo = doms[0], hi = doms[1];

	dom &= ATLAS_MAX_DOMAINS - 1;
	if (dom < 64)
		lo &= ~(1ULL << dom);
	else
		hi &= ~(1ULL << (dom - 64));
	return lo | hi;
}

/*
 * Fork balancing (see the top of this file). Reads are unlocked: a stale
 * figure only makes the choice a little worse.
 */
static __always_inline u32 fork_domain(struct task_ctx *taskc)
{
	u32 best = taskc->dom & (ATLAS_MAX_DOMAINS - 1), d;
	u64 best_score = ~0ULL, score;
	struct atlas_dom_load *dl;

	bpf_for(d, 0, nr_domains)
	{
		if (!bit_test(taskc->allowed_doms, d))
			continue;
		dl = bpf_map_lookup_elem(&dom_loads, &d);
		if (!dl)
			continue;
		if (fork_balance == ATLAS_FORK_LOAD)
			score = (dl->weight_now > 0 ? (u64)dl->weight_now << 16 : 0) / dom_cpus(d);
		else
			score = (dl->nr_tasks << 16) / dom_cpus(d);
		if (score < best_score || (score == best_score && d == taskc->dom)) {
			best_score = score;
			best = d;
		}
	}
	return best;
}

/*
 * An idle CPU of the task's domain, claimed, or -1: the kernel's picker
 * where the kernel has it, else the same order in BPF. `dmask` is the
 * task's domain mask (task_domain_mask).
 */
static __always_inline s32 pick_idle_in_domain(struct task_struct *p, struct task_ctx *taskc,
					       const struct cpumask *dmask, s32 prev_cpu,
					       u64 wake_flags)
{
	const struct cpumask *idle;
	bool prev_ok = bpf_cpumask_test_cpu(prev_cpu, dmask);
	s32 cpu;

	if (!wake_sync)
		wake_flags &= ~SCX_WAKE_SYNC;
	if (kernel_idle_pick && __COMPAT_HAS_scx_bpf_select_cpu_and) {
		cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags, dmask, 0);
		if (cpu >= 0) {
			stat_inc(cpu == prev_cpu ? ATLAS_STAT_SEL_PREV_IDLE
						 : ATLAS_STAT_SEL_DOM_IDLE);
			return cpu;
		}
		return -1;
	}

	/* The same policy in BPF, for kernels before 6.16. */
	if ((wake_flags & SCX_WAKE_SYNC) &&
	    !(((struct task_struct *)bpf_get_current_task_btf())->flags & PF_EXITING)) {
		cpu = bpf_get_smp_processor_id();
		/* The waker is about to sleep; its CPU, if in the domain and
		 * nobody waits there. */
		if (bpf_cpumask_test_cpu(cpu, dmask) &&
		    !scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | cpu) &&
		    !scx_bpf_dsq_nr_queued(cpu_dsq(cpu))) {
			if (prev_ok && scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
				stat_inc(ATLAS_STAT_SEL_PREV_IDLE);
				return prev_cpu;
			}
			stat_inc(ATLAS_STAT_SEL_SYNC);
			return cpu;
		}
	}
	if (prev_ok) {
		idle = scx_bpf_get_idle_smtmask();
		if (bpf_cpumask_test_cpu(prev_cpu, idle) &&
		    scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
			scx_bpf_put_idle_cpumask(idle);
			stat_inc(ATLAS_STAT_SEL_PREV_CORE);
			return prev_cpu;
		}
		scx_bpf_put_idle_cpumask(idle);
	}
	cpu = scx_bpf_pick_idle_cpu(dmask, SCX_PICK_IDLE_CORE);
	if (cpu >= 0) {
		stat_inc(ATLAS_STAT_SEL_DOM_CORE);
		return cpu;
	}
	if (prev_ok && scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
		stat_inc(ATLAS_STAT_SEL_PREV_IDLE);
		return prev_cpu;
	}
	cpu = scx_bpf_pick_idle_cpu(dmask, 0);
	if (cpu >= 0)
		stat_inc(ATLAS_STAT_SEL_DOM_IDLE);
	return cpu;
}

/*
 * A busy task of an efficiency domain: an idle performance CPU, claimed, or
 * -1 (see the top of this file).
 */
static __always_inline s32 pick_perf_for(struct task_ctx *taskc, u32 dom)
{
	s32 cpu;

	if (domain_kind[dom & (ATLAS_MAX_DOMAINS - 1)] != ATLAS_KIND_EFFICIENCY ||
	    !taskc->all_cpus || taskc->dcyc.avg <= ATLAS_LOAD_ONE / 2)
		return -1;
	cpu = pick_idle_in(MASK_PERFORMANCE, node_of_domain(dom));
	if (cpu >= 0)
		stat_inc(ATLAS_STAT_SEL_PERF_CORE);
	return cpu;
}

/*
 * No idle CPU in the task's domain: one elsewhere it may take, claimed, or
 * -1 (see the top of this file).
 */
static __always_inline s32 pick_idle_elsewhere_for(struct task_ctx *taskc, u32 dom)
{
	u32 node = node_of_domain(dom);
	s32 cpu;

	if (!taskc->all_cpus || !greedy_elsewhere(direct_greedy_doms, dom))
		return -1;
	if (greedy_queued(dom, 1)) {
		cpu = pick_idle_in(MASK_DIRECT_GREEDY, node);
		if (cpu >= 0) {
			/* The greedy mask may hold the task's own domain. */
			stat_inc(domain_of_cpu(cpu) == dom ? ATLAS_STAT_SEL_DOM_IDLE
							   : ATLAS_STAT_SEL_GREEDY);
			return cpu;
		}
	}
	if (greedy_threshold_x_numa && scx_bpf_dsq_nr_queued(dom) >= (s32)greedy_threshold_x_numa) {
		cpu = pick_idle_elsewhere(MASK_DIRECT_GREEDY, node);
		if (cpu >= 0) {
			stat_inc(ATLAS_STAT_SEL_GREEDY_XNUMA);
			return cpu;
		}
	}
	return -1;
}

/*
 * Whether `cpu` is one of the task's CPUs of domain `dom`: `mask` is the
 * task's domain mask (task_domain_mask), the domain's own for a task
 * allowed everywhere, which the layout answers without a cpumask.
 */
static __always_inline bool task_cpu_in_domain(struct task_ctx *taskc, s32 cpu, u32 dom,
					       const struct cpumask *mask)
{
	return taskc->all_cpus ? cpu_in_domain(cpu, dom) : bpf_cpumask_test_cpu(cpu, mask);
}

/* A CPU of the task's domain to report when nothing is idle: its previous
 * one if there, else any (the kernel only uses it to queue the wake-up). */
static __always_inline s32 busy_cpu_in_domain(struct task_ctx *taskc, u32 dom, s32 prev_cpu,
					      const struct cpumask *dmask)
{
	s32 cpu;

	if (!dmask || task_cpu_in_domain(taskc, prev_cpu, dom, dmask))
		return prev_cpu;
	cpu = bpf_cpumask_any_distribute(dmask);
	return cpu < nr_cpu_ids ? cpu : prev_cpu;
}

#endif /* SCX_ATLAS_BPF_PLACE_H */

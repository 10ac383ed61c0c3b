/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_load.bpf.h: load tracking, the planner's view of tasks, and
 * migrations.
 *
 * A task's duty cycle is a running average (shared/intf.h struct
 * atlas_ravg, half-life --load_half_life) of 1 while runnable and 0 while
 * not, fed by ops.runnable/ops.quiescent. A domain's load is the average
 * of the summed weight of its runnable tasks, which is sum(duty cycle x
 * weight) without touching every task; its runnable average likewise
 * counts tasks. BPF keeps only exact counters and their time integrals,
 * per (CPU, domain), written by that CPU alone (struct
 * atlas_dom_cpu_load); userspace sums them and averages between its
 * reads. Shared state cost the wake-up path dearly in the TCG guest: a
 * per-domain spinlock, and as much again atomic counters on one line per
 * domain (wakebench p99 x0.13 and requests/s x1.98 without them). Per-CPU
 * running averages of signed shares drifted apart; integrals do not.
 * Every task also owns a slot in task_snaps, its planner's view (domain,
 * duty cycle, weight, reachable domains): the planner reads both with no
 * syscall.
 *
 * Migrations: userspace writes {uid, target} under a pid in the
 * migrations map; at the task's next wake-up, enqueue or tick the request
 * is applied if the uid matches and the task's cpumask reaches the target:
 * the task's load, the instant part and its history (load and runnable
 * averages), moves with it.
 */
#ifndef SCX_ATLAS_BPF_LOAD_H
#define SCX_ATLAS_BPF_LOAD_H

#include "bpf/atlas_topo.bpf.h"
#include "bpf/atlas_cgroup.bpf.h"
#include "bpf/atlas_ravg.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_DOMAINS);
	__type(key, u32);
	__type(value, struct atlas_dom_load);
} dom_loads SEC(".maps");

/* nr_cpu_ids x nr_domains entries: userspace sizes it before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct atlas_dom_cpu_load);
} dom_cpu_loads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_TASK_SLOTS);
	__type(key, u32);
	__type(value, struct atlas_task_snap);
} task_snaps SEC(".maps");

/* Slots freed by exiting tasks, reused last-freed first. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, ATLAS_MAX_TASK_SLOTS);
	__type(value, u32);
} free_slots SEC(".maps");

/* Slots ever handed out: [0, task_slots_used) holds every task's. */
__u32 task_slots_used;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_CPUS);
	__type(key, u32);
	__type(value, struct atlas_cpu_busy);
} cpu_busy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ATLAS_MAX_MIGRATIONS);
	__type(key, u32);
	__type(value, struct atlas_migration);
} migrations SEC(".maps");

/* ---- running averages: bpf/atlas_ravg.bpf.h ---------------------------- */

/*
 * Changes a domain's load in this CPU's entry (struct atlas_dom_cpu_load):
 * dweight to the runnable weight, drunnable to the runnable count, dload
 * and drunnable_hist to the migrated history. The integrals first run up
 * to now at the old values. Callers run in scheduler callbacks with
 * preemption off, so nothing else writes the entry meanwhile.
 */
static __always_inline void dom_load_adjust(u32 dom, s64 dweight, s64 drunnable, s64 dload_hist,
					    s64 drunnable_hist, u64 now)
{
	struct atlas_dom_cpu_load *e;
	u32 key = bpf_get_smp_processor_id() * nr_domains + dom;
	u64 dt;

	if (dom >= nr_domains) /* never: every domain id comes from the layout */
		return;
	e = bpf_map_lookup_elem(&dom_cpu_loads, &key);
	if (!e)
		return;
	__sync_fetch_and_add(&e->seq, 1);
	dt = now - e->updated_at;
	if ((s64)dt > 0) {
		e->weight_ns += (u64)e->weight * dt;
		e->runnable_ns += (u64)e->runnable * dt;
		e->updated_at = now;
	}
	e->weight += dweight;
	e->runnable += drunnable;
	e->moved_load += dload_hist;
	e->moved_runnable += drunnable_hist;
	__sync_fetch_and_add(&e->seq, 1);
}

/*
 * A domain's task count, and for --fork_balance=load its runnable weight
 * now: shared atomics, touched only when there is something to count.
 */
static __always_inline void dom_count_adjust(u32 dom, s64 dtasks, s64 dweight)
{
	struct atlas_dom_load *dl;

	if (fork_balance != ATLAS_FORK_LOAD)
		dweight = 0;
	if (!dtasks && !dweight)
		return;
	dom &= ATLAS_MAX_DOMAINS - 1;
	dl = bpf_map_lookup_elem(&dom_loads, &dom);
	if (!dl)
		return;
	if (dtasks)
		__sync_fetch_and_add(&dl->nr_tasks, dtasks);
	if (dweight)
		__sync_fetch_and_add(&dl->weight_now, dweight);
}

/*
 * The weight a task counts with in its domain's load: its weight, capped at
 * the planner's infeasible-weight cap. What was added is kept in load_w and
 * taken away again, whatever the cap is by then.
 */
static __always_inline u32 load_weight(u32 weight)
{
	u32 cap = load_weight_cap;

	return cap && weight > cap ? cap : weight;
}

/* The task became runnable (weight counted once, whatever calls us). */
static __always_inline void load_task_runnable(struct task_struct *p, struct task_ctx *taskc)
{
	u64 now;

	if (taskc->runnable)
		return;
	taskc->runnable = true;
	taskc->weight = effective_weight(p->scx.weight, taskc->cgroup);
	taskc->load_w = load_weight(taskc->weight);
	if (!load_tracking)
		return;
	now = bpf_ktime_get_ns();
	ravg_update(&taskc->dcyc, now);
	taskc->dcyc.cur = ATLAS_LOAD_ONE;
	dom_load_adjust(taskc->dom, taskc->load_w, 1, 0, 0, now);
	dom_count_adjust(taskc->dom, 0, taskc->weight);
}

static __always_inline void load_task_quiescent(struct task_ctx *taskc)
{
	u64 now;

	if (!taskc->runnable)
		return;
	taskc->runnable = false;
	if (!load_tracking)
		return;
	now = bpf_ktime_get_ns();
	ravg_update(&taskc->dcyc, now);
	taskc->dcyc.cur = 0;
	dom_load_adjust(taskc->dom, -(s64)taskc->load_w, -1, 0, 0, now);
	dom_count_adjust(taskc->dom, 0, -(s64)taskc->weight);
}

/* ---- domains of a task ---------------------------------------------------- */

static __always_inline void compute_allowed(struct task_struct *p, struct task_ctx *taskc,
					    const struct cpumask *cpumask)
{
	struct bpf_cpumask *dmask, *online;
	u32 d;

	taskc->allowed_doms[0] = 0;
	taskc->allowed_doms[1] = 0;
	bpf_for(d, 0, nr_domains)
	{
		if (d >= ATLAS_MAX_DOMAINS)
			break;
		dmask = mask_of(&domain_masks, d);
		if (dmask && bpf_cpumask_intersects(cpumask, (const struct cpumask *)dmask))
			taskc->allowed_doms[(d / 64) & 1] |= 1ULL << (d % 64);
	}
	online = mask_of(&misc_masks, MASK_ONLINE);
	taskc->all_cpus = online && bpf_cpumask_subset((const struct cpumask *)online, cpumask);
	taskc->snap_at = 0; /* show the new domains at the next snapshot */
}

/* The domain for a task: its CPU's if reachable, else the nearest reachable. */
static __always_inline u32 pick_domain(struct task_struct *p, struct task_ctx *taskc)
{
	u32 dom = domain_of_cpu(scx_bpf_task_cpu(p)), node = node_of_domain(dom), d, any = dom;
	bool found = false;

	if (bit_test(taskc->allowed_doms, dom))
		return dom;
	bpf_for(d, 0, nr_domains)
	{
		if (!bit_test(taskc->allowed_doms, d))
			continue;
		if (node_of_domain(d) == node)
			return d;
		if (!found) {
			any = d;
			found = true;
		}
	}
	return any;
}

/*
 * Moves a task to another domain: its load (the instant part and the
 * history of both averages), its task count, and its vtime (the same
 * distance from the new domain's clock as from the old one's).
 */
static __always_inline void move_task(struct task_ctx *taskc, u32 to)
{
	u32 from = taskc->dom & (ATLAS_MAX_DOMAINS - 1);
	s64 w = taskc->runnable ? taskc->load_w : 0, r = taskc->runnable ? 1 : 0, hist = 0,
	    hist_r = 0;
	u64 now = bpf_ktime_get_ns();

	to &= ATLAS_MAX_DOMAINS - 1;
	if (load_tracking) {
		ravg_update(&taskc->dcyc, now);
		hist = (s64)(taskc->dcyc.avg * taskc->load_w);
		hist_r = (s64)taskc->dcyc.avg;
	}
	if (load_tracking) {
		dom_load_adjust(from, -w, -r, -hist, -hist_r, now);
		dom_load_adjust(to, w, r, hist, hist_r, now);
	}
	dom_count_adjust(from, -1, taskc->runnable ? -(s64)taskc->weight : 0);
	dom_count_adjust(to, 1, taskc->runnable ? taskc->weight : 0);
	taskc->vtime = taskc->vtime - dom_state_of(from)->vtime_now + dom_state_of(to)->vtime_now;
	taskc->dom = to;
	taskc->snap_at = 0; /* show the new domain at the next snapshot */
}

/* Applies a pending migration request for the task, if there is one. */
static __always_inline void apply_migration(struct task_struct *p, struct task_ctx *taskc)
{
	struct atlas_migration *m;
	struct bpf_cpumask *tmask;
	u32 pid = p->pid, target;

	if (migrations_pending <= 0)
		return;
	m = bpf_map_lookup_elem(&migrations, &pid);
	if (!m)
		return;
	target = m->target_dom;
	tmask = target < nr_domains ? mask_of(&domain_masks, target) : NULL;
	if (m->uid != taskc->uid) {
		stat_inc(ATLAS_STAT_MIGRATE_STALE);
	} else if (!tmask || !bpf_cpumask_intersects(p->cpus_ptr, (const struct cpumask *)tmask)) {
		/* The live cpumask decides, not the cached allowed_doms. */
		stat_inc(ATLAS_STAT_MIGRATE_REJECTED);
	} else {
		if (target != taskc->dom)
			move_task(taskc, target);
		stat_inc(ATLAS_STAT_MIGRATE_APPLIED);
	}
	bpf_map_delete_elem(&migrations, &pid);
	__sync_fetch_and_sub(&migrations_pending, 1);
}

/* Whether the task has a migration request waiting. */
static __always_inline bool migration_pending(struct task_struct *p)
{
	u32 pid = p->pid;

	return migrations_pending > 0 && bpf_map_lookup_elem(&migrations, &pid);
}

/* A slot for a new task: a freed one, else a new one at the end. */
static __always_inline void task_slot_alloc(struct task_ctx *taskc)
{
	u32 slot;

	taskc->slot = -1;
	if (bpf_map_pop_elem(&free_slots, &slot)) {
		slot = __sync_fetch_and_add(&task_slots_used, 1);
		if (slot >= ATLAS_MAX_TASK_SLOTS) {
			__sync_fetch_and_sub(&task_slots_used, 1);
			stat_inc(ATLAS_STAT_TASK_NO_SLOT);
			return;
		}
	}
	taskc->slot = slot;
}

/* The task is gone: its slot reads empty and goes back on the stack. */
static __always_inline void task_slot_free(struct task_ctx *taskc)
{
	struct atlas_task_snap *snap;
	u32 slot;

	if (taskc->slot < 0)
		return;
	slot = taskc->slot;
	snap = bpf_map_lookup_elem(&task_snaps, &slot);
	if (snap)
		__sync_lock_test_and_set(&snap->uid, 0);
	bpf_map_push_elem(&free_slots, &slot, 0);
	taskc->slot = -1;
}

/*
 * Rewrites the task's slot, at most every ATLAS_SNAP_MIN_NS of `clock`
 * (the caller's atlas_now()): the slot's own clock, the one of the duty
 * cycle, is read only when it is rewritten.
 */
static __always_inline void snapshot_task(struct task_struct *p, struct task_ctx *taskc, u64 clock)
{
	struct atlas_task_snap *snap;
	u32 dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1), key;
	u64 now;

	if (taskc->slot < 0 || clock - taskc->snap_at < ATLAS_SNAP_MIN_NS)
		return;
	taskc->snap_at = clock;
	key = taskc->slot;
	snap = bpf_map_lookup_elem(&task_snaps, &key);
	if (!snap)
		return;
	now = bpf_ktime_get_ns();
	ravg_update(&taskc->dcyc, now);
	__sync_lock_test_and_set(&snap->uid, 0); /* readers skip it while rewritten */
	snap->updated_at = now;
	snap->dcyc = taskc->dcyc.avg;
	snap->dcyc_cur = taskc->dcyc.cur;
	snap->pid = p->pid;
	snap->dom = dom;
	snap->weight = p->scx.weight;
	snap->flags = taskc->all_cpus ? ATLAS_TASK_ALL_CPUS : 0;
	snap->cgroup = taskc->cgroup;
	snap->allowed_doms[0] = taskc->allowed_doms[0];
	snap->allowed_doms[1] = taskc->allowed_doms[1];
	__sync_lock_test_and_set(&snap->uid, taskc->uid);
}

/* Busy time of a CPU, for the tuner (accounted at stop and at tick). */
static __always_inline void account_busy(s32 cpu, u64 ns)
{
	u32 key = cpu;
	struct atlas_cpu_busy *busy = bpf_map_lookup_elem(&cpu_busy, &key);

	if (busy)
		busy->busy_ns += ns;
}

#endif /* SCX_ATLAS_BPF_LOAD_H */

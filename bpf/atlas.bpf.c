// SPDX-License-Identifier: GPL-2.0-only
/*
 * scx_atlas: the BPF half of a split-architecture load balancer.
 *
 * The kernel half makes every per-task decision, fast, from local state; the
 * userspace planner (planner/) looks at the whole machine every --interval
 * and moves load between domains by writing migration requests, which this
 * half carries out. Modelled on scx_rusty, with its known gaps closed.
 *
 * a. Domains. CPUs are grouped into scheduling domains (one per last-level
 *    cache by default; userspace builds the layout from hwloc and hands it
 *    over as rodata). Each domain owns a dispatch queue, created on its NUMA
 *    node, and each CPU one more for the tasks that may run only there
 *    (atlas_topo.bpf.h builds the cpumasks).
 *
 * b. Task context (atlas_ctx.bpf.h): the task's domain, a unique id (uid: a
 *    PID can be reused, a uid cannot), vtime, runtime since it last woke up,
 *    a hog score (how often it used up its slice), its duty cycle, the set
 *    of domains its cpumask reaches and whether it may run everywhere.
 *
 * c. Load tracking (atlas_load.bpf.h): duty cycles and domain loads as
 *    running averages the planner reads with no syscall; per-CPU busy time
 *    for the tuner, accounted at every stop and tick.
 *
 * d. Order and slice (atlas_queue.bpf.h): weighted vtime with deadlines
 *    from runtime since wake-up, lag bounded both ways so that no task
 *    waits for a time that grows with weights; a slice shared out by queue
 *    depth; wake-up preemption of hogs only.
 *
 * e. Placement (atlas_place.bpf.h): fork balancing by tasks per CPU; an
 *    idle CPU of the task's own domain (the kernel's idle picker restricted
 *    to the domain where it has one); else an idle performance CPU for a
 *    busy task of an efficiency domain, or an idle CPU of another domain
 *    the tuner allows (same node; other nodes when the domain's queue is
 *    deep). A pick goes straight to that CPU's local queue.
 *
 * f. dispatch: the earlier of the CPU's own queue and its domain's; then
 *    steal from the domain of its node queueing the most (at least
 *    --greedy_threshold); then from other nodes' domains queueing at least
 *    --greedy_threshold_x_numa. After an enqueue an idle CPU is kicked: one
 *    of the domain, else one in the tuner's kick-greedy mask (its node when
 *    the queue holds --greedy_threshold tasks, others when it holds
 *    --greedy_threshold_x_numa). Below the threshold a task waits for its
 *    own domain's CPUs rather than cross to another cache.
 *
 * g. Slice end with nothing else to run (SCX_OPS_ENQ_LAST): the task keeps
 *    its CPU with a new slice, wherever it runs, unless a migration request
 *    just moved it to another domain: then it is queued there.
 *
 * h. Migrations (atlas_load.bpf.h): applied at the task's next wake-up,
 *    enqueue or tick (ops.tick ends the slice of a running task that has a
 *    request, so even a CPU hog alone on its CPU gets there), with all of
 *    its load; scx_rusty loses such decisions (scx #611). ops.set_cpumask
 *    re-picks the domain when an affinity change leaves the old one
 *    unreachable.
 *
 * i. Exit. ops.exit copies kind, reason and message into exit_info, which
 *    userspace reports; CPU hotplug makes the kernel end the scheduler with
 *    SCX_ECODE_ACT_RESTART, and userspace reloads it on the new topology.
 *
 * Kernels: built against 7.x and the kernel's sched_ext BPF library
 * (<scx/common.bpf.h>); kfuncs added after 6.12 (scx_bpf_now,
 * scx_bpf_select_cpu_and, scx_bpf_dsq_peek, scx_bpf_task_set_slice) are
 * weak and each has a fallback that 6.12 runs (the library's compat
 * wrappers, or ours where it has none).
 *
 * Limits: ATLAS_MAX_CPUS CPUs, ATLAS_MAX_DOMAINS domains, ATLAS_MAX_NODES
 * nodes.
 */
#include "bpf/atlas_queue.bpf.h"

char _license[] SEC("license") = "GPL";

s32 BPF_STRUCT_OPS(atlas_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	const struct cpumask *dmask;
	u32 dom;
	s32 cpu;

	if (!taskc)
		return prev_cpu;
	apply_migration(p, taskc);
	if ((wake_flags & SCX_WAKE_FORK) && taskc->all_cpus && fork_balance != ATLAS_FORK_OFF) {
		dom = fork_domain(taskc);
		if (dom != taskc->dom) {
			move_task(taskc, dom);
			stat_inc(ATLAS_STAT_SEL_FORK_BALANCE);
		}
	}
	dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1);
	dmask = task_domain_mask(p, taskc);
	if (!dmask)
		return prev_cpu;
	cpu = pick_perf_for(taskc, dom);
	if (cpu < 0)
		cpu = pick_idle_in_domain(p, taskc, dmask, prev_cpu, wake_flags);
	if (cpu < 0)
		cpu = pick_idle_elsewhere_for(taskc, dom);
	if (cpu >= 0) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(taskc, dom), 0);
		return cpu;
	}
	stat_inc(ATLAS_STAT_SEL_BUSY);
	return busy_cpu_in_domain(taskc, dom, prev_cpu, dmask);
}

/* Queues a task that may run on one CPU only on that CPU's queue. */
static __always_inline void enqueue_pinned(struct task_struct *p, struct task_ctx *taskc, u32 dom,
					   u64 enq_flags)
{
	s32 cpu = scx_bpf_task_cpu(p);
	u64 slice = task_slice(taskc, dom), deadline;
	struct cpu_run *run;

	stat_inc(ATLAS_STAT_ENQ_PINNED);
	if (scx_bpf_test_and_clear_cpu_idle(cpu)) {
		stat_inc(ATLAS_STAT_ENQ_PINNED_IDLE);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice, enq_flags);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	deadline = task_deadline(taskc, dom, cpu_dsq(cpu));
	queue_insert(p, cpu_dsq(cpu), slice, deadline, enq_flags);
	if ((run = cpu_run_of(cpu)))
		run->pinned = 1;
	if (enq_flags & SCX_ENQ_WAKEUP)
		try_preempt(p, taskc, p->cpus_ptr, domain_of_cpu(cpu), deadline);
}

void BPF_STRUCT_OPS(atlas_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	const struct cpumask *dmask;
	u32 dom, before;
	u64 deadline, slice;
	s32 cpu;

	if (!taskc) {
		scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
		return;
	}
	before = taskc->dom;
	apply_migration(p, taskc);
	dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1);
	if ((p->flags & PF_KTHREAD) && (p->nr_cpus_allowed == 1 || kthreads_local)) {
		stat_inc(ATLAS_STAT_ENQ_KTHREAD_LOCAL);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(taskc, dom), enq_flags);
		return;
	}

	/*
	 * SCX_ENQ_LAST: its slice is over but nothing else wants this CPU:
	 * keep running it here, unless a migration just moved it to another
	 * domain (or, with --evict_guests, it belongs to another domain).
	 */
	if (enq_flags & SCX_ENQ_LAST) {
		cpu = scx_bpf_task_cpu(p);
		if (domain_of_cpu(cpu) == dom || (!evict_guests && before == dom)) {
			stat_inc(domain_of_cpu(cpu) == dom ? ATLAS_STAT_ENQ_LAST
							   : ATLAS_STAT_ENQ_LAST_GUEST);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(taskc, dom), enq_flags);
			return;
		}
	}

	if (p->nr_cpus_allowed == 1) {
		enqueue_pinned(p, taskc, dom, enq_flags);
		return;
	}
	/*
	 * A cpumask that reaches no domain: no domain's queue would ever be
	 * taken from by a CPU it may use (the layout matches the online CPUs
	 * and hotplug restarts us, so this should not happen; if it does, the
	 * task must not stall).
	 */
	if (!(taskc->allowed_doms[0] | taskc->allowed_doms[1])) {
		stat_inc(ATLAS_STAT_ENQ_NO_DOMAIN);
		scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, task_slice(taskc, dom), enq_flags);
		return;
	}
	dmask = task_domain_mask(p, taskc);
	slice = task_slice(taskc, dom);
	deadline = task_deadline(taskc, dom, dom);
	stat_inc(ATLAS_STAT_ENQ_DOMAIN);
	queue_insert(p, dom, slice, deadline, enq_flags);

	/* Make sure a CPU comes for it: an idle one of its domain... */
	cpu = dmask ? scx_bpf_pick_idle_cpu(dmask, 0) : -1;
	if (cpu >= 0) {
		stat_inc(ATLAS_STAT_ENQ_KICK_DOMAIN);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	/* ... or, for a waking task, one taken from a hog ... */
	if ((enq_flags & SCX_ENQ_WAKEUP) && dmask && try_preempt(p, taskc, dmask, dom, deadline))
		return;
	/* ... or an idle one allowed to steal it (a greedy one). */
	if (!taskc->all_cpus || !greedy_elsewhere(kick_greedy_doms, dom))
		return;
	cpu = greedy_queued(dom, 0) ? pick_idle_in(MASK_KICK_GREEDY, node_of_domain(dom)) : -1;
	if (cpu < 0 && greedy_threshold_x_numa &&
	    scx_bpf_dsq_nr_queued(dom) >= (s32)greedy_threshold_x_numa)
		cpu = pick_idle_elsewhere(MASK_KICK_GREEDY, node_of_domain(dom));
	if (cpu >= 0) {
		stat_inc(ATLAS_STAT_ENQ_KICK_GREEDY);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	}
}

/*
 * The domain other than `dom` that queues the most (at least `threshold`),
 * in `dom`'s node or (same_node false) in the others; -1 if none.
 */
static __always_inline s32 deepest_domain(u32 dom, bool same_node, u32 threshold)
{
	u32 node = node_of_domain(dom), d;
	s32 best = -1, best_queued = (s32)threshold - 1, queued;

	bpf_for(d, 0, nr_domains)
	{
		if (d == dom || (node_of_domain(d) == node) != same_node)
			continue;
		queued = scx_bpf_dsq_nr_queued(d);
		if (queued > best_queued) {
			best_queued = queued;
			best = d;
		}
	}
	return best;
}

/*
 * Whether this CPU's own DSQ holds a task, looked up only while the CPU's
 * pinned flag is up (struct cpu_run: both sides hold this CPU's run-queue
 * lock). The flag comes down when the DSQ is found empty.
 */
static __always_inline bool cpu_dsq_queued(s32 cpu)
{
	struct cpu_run *run = cpu_run_of(cpu);

	if (!run)
		return scx_bpf_dsq_nr_queued(cpu_dsq(cpu)) > 0;
	if (!run->pinned)
		return false;
	if (scx_bpf_dsq_nr_queued(cpu_dsq(cpu)) > 0)
		return true;
	run->pinned = 0;
	return false;
}

/*
 * Takes the first task of this CPU's own DSQ if it holds one. Dispatch
 * asks again after each step that may have let go of the CPU's run-queue
 * lock (a move from another DSQ, won or lost), as enqueue_pinned may have
 * queued meanwhile.
 */
static __always_inline bool dispatch_own(s32 cpu)
{
	if (!cpu_dsq_queued(cpu) || !scx_bpf_dsq_move_to_local(cpu_dsq(cpu), 0))
		return false;
	stat_inc(ATLAS_STAT_DISPATCH_CPU);
	return true;
}

void BPF_STRUCT_OPS(atlas_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 dom = domain_of_cpu(cpu), d;
	bool pinned = cpu_dsq_queued(cpu);
	s32 victim;
	u64 own, shared;

	/* The earlier of this CPU's queue and its domain's. */
	if (pinned &&
	    (fifo_sched || !dsq_head_deadline(dom, &shared) ||
	     (dsq_head_deadline(cpu_dsq(cpu), &own) && !time_before(shared, own))) &&
	    scx_bpf_dsq_move_to_local(cpu_dsq(cpu), 0)) {
		stat_inc(ATLAS_STAT_DISPATCH_CPU);
		return;
	}
	if (scx_bpf_dsq_move_to_local(dom, 0)) {
		stat_inc(ATLAS_STAT_DISPATCH_DOMAIN);
		return;
	}
	/* The move above may have let go of this CPU's lock: look again. */
	if (dispatch_own(cpu))
		return;
	/* Steal before going idle: this node first, then the others. */
	if (greedy_threshold && nr_domains > 1 &&
	    (victim = deepest_domain(dom, true, greedy_threshold)) >= 0 &&
	    scx_bpf_dsq_move_to_local(victim, 0)) {
		stat_inc(ATLAS_STAT_DISPATCH_STEAL);
		return;
	}
	if (greedy_threshold_x_numa && nr_nodes > 1 &&
	    (victim = deepest_domain(dom, false, greedy_threshold_x_numa)) >= 0 &&
	    scx_bpf_dsq_move_to_local(victim, 0)) {
		stat_inc(ATLAS_STAT_DISPATCH_STEAL_XNUMA);
		return;
	}
	/* A steal that lost its race let go of the lock too. */
	if (nr_domains > 1 && dispatch_own(cpu))
		return;
	stat_inc(ATLAS_STAT_DISPATCH_NONE);
	/* Idle while a domain queues: the work conservation we miss (or tasks
	 * this CPU may not run). */
	if (nr_domains == 1) {
		if (scx_bpf_dsq_nr_queued(dom) > 0)
			stat_inc(ATLAS_STAT_DISPATCH_NONE_QUEUED);
		return;
	}
	bpf_for(d, 0, nr_domains)
	{
		if (scx_bpf_dsq_nr_queued(d) > 0) {
			stat_inc(ATLAS_STAT_DISPATCH_NONE_QUEUED);
			break;
		}
	}
}

void BPF_STRUCT_OPS(atlas_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (!taskc)
		return;
	load_task_runnable(p, taskc);
	if (enq_flags & SCX_ENQ_WAKEUP)
		taskc->exec_since_wake = 0;
}

void BPF_STRUCT_OPS(atlas_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (taskc)
		load_task_quiescent(taskc);
}

/* The task's effective weight is now `weight`: recount its load. */
static __always_inline void task_weight_changed(struct task_ctx *taskc, u32 weight)
{
	if (taskc->runnable) {
		u32 load_w = load_weight(weight);

		if (load_tracking)
			dom_load_adjust(taskc->dom, (s64)load_w - taskc->load_w, 0, 0, 0,
					bpf_ktime_get_ns());
		dom_count_adjust(taskc->dom, 0, (s64)weight - taskc->weight);
		taskc->load_w = load_w;
	}
	taskc->weight = weight;
}

void BPF_STRUCT_OPS(atlas_set_weight, struct task_struct *p, u32 weight)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (taskc)
		task_weight_changed(taskc, effective_weight(weight, taskc->cgroup));
}

void BPF_STRUCT_OPS(atlas_running, struct task_struct *p)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	struct dom_state *ds;
	struct cpu_run *run;
	u32 dom, hog;

	if (!taskc)
		return;
	taskc->run_start = taskc->charged_at = atlas_now();
	dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1);
	ds = dom_state_of(dom);
	/* Placed straight on a CPU by select_cpu, it skipped enqueue's clamp. */
	clamp_vtime_floor(taskc, dom);
	if (time_before(ds->vtime_now, taskc->vtime))
		ds->vtime_now = taskc->vtime;
	if (wakeup_preempt && (run = cpu_run_of(scx_bpf_task_cpu(p)))) {
		hog = is_hog(taskc->hog);
		run->deadline = running_deadline(taskc);
		run->started_at = taskc->run_start;
		run->dom = dom;
		if (hog != run->hog) {
			__sync_fetch_and_add(&hog_cpus.n, hog ? 1 : -1);
			run->hog = hog;
		}
		run->avg_runtime = taskc->avg_runtime;
		/* Per-CPU kthreads run briefly and others wait for them. */
		run->preemptible = !((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1);
		run->claimed = 0;
	}
}

void BPF_STRUCT_OPS(atlas_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_run *run;
	u64 now;

	if (wakeup_preempt && (run = cpu_run_of(cpu)))
		run->preemptible = 0;
	if (!taskc)
		return;
	now = atlas_now();
	charge(taskc, cpu, clock_since(now, taskc->charged_at));
	taskc->avg_runtime = (taskc->avg_runtime * 3 + clock_since(now, taskc->run_start)) / 4;
	/* Out of slice while still runnable: it did not give the CPU up. */
	if (runnable && !p->scx.slice) {
		taskc->hog = (taskc->hog * 7 + ATLAS_HOG_ONE) / 8;
		stat_inc(ATLAS_STAT_STOP_EXPIRED);
	} else {
		taskc->hog = taskc->hog * 7 / 8;
	}
	snapshot_task(p, taskc, now);
}

void BPF_STRUCT_OPS(atlas_set_cpumask, struct task_struct *p, const struct cpumask *cpumask)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (!taskc)
		return;
	compute_allowed(p, taskc, cpumask);
	if (bit_test(taskc->allowed_doms, taskc->dom))
		return;
	move_task(taskc, pick_domain(p, taskc));
	stat_inc(ATLAS_STAT_AFFINITY_CHANGE);
}

s32 BPF_STRUCT_OPS(atlas_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx *taskc;
	u64 now = bpf_ktime_get_ns();

	taskc = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!taskc)
		return -ENOMEM;
	taskc->uid = __sync_add_and_fetch(&next_uid, 1);
	taskc->is_kworker = p->flags & PF_WQ_WORKER;
	taskc->cgroup = cgroup_slot_of(args->cgroup);
	taskc->weight = effective_weight(p->scx.weight, taskc->cgroup);
	taskc->dcyc.updated_at = now;
	compute_allowed(p, taskc, p->cpus_ptr);
	taskc->dom = pick_domain(p, taskc);
	dom_count_adjust(taskc->dom, 1, 0);
	task_slot_alloc(taskc);
	return 0;
}

void BPF_STRUCT_OPS(atlas_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	struct task_ctx *taskc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	struct atlas_migration *m;
	u32 pid = p->pid;

	if (!taskc)
		return;
	if (taskc->runnable) {
		if (load_tracking)
			dom_load_adjust(taskc->dom, -(s64)taskc->load_w, -1, 0, 0,
					bpf_ktime_get_ns());
		dom_count_adjust(taskc->dom, 0, -(s64)taskc->weight);
	}
	dom_count_adjust(taskc->dom, -1, 0);
	task_slot_free(taskc);
	/* A request for a task that is gone would stay in the map for good. */
	if (migrations_pending > 0 && (m = bpf_map_lookup_elem(&migrations, &pid)) &&
	    m->uid == taskc->uid && !bpf_map_delete_elem(&migrations, &pid))
		__sync_fetch_and_sub(&migrations_pending, 1);
}

void BPF_STRUCT_OPS(atlas_enable, struct task_struct *p)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (!taskc)
		return;
	/* Its affinity may have changed between init_task and now. */
	compute_allowed(p, taskc, p->cpus_ptr);
	if (!bit_test(taskc->allowed_doms, taskc->dom))
		move_task(taskc, pick_domain(p, taskc));
	taskc->vtime = dom_state_of(taskc->dom)->vtime_now;
}

void BPF_STRUCT_OPS(atlas_tick, struct task_struct *p)
{
	struct task_ctx *taskc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	u64 now;
	s32 cpu;

	maybe_rebuild_greedy_masks();
	if (taskc) {
		/* Account the run so far: busy time and vtime stay current. */
		now = atlas_now();
		cpu = scx_bpf_task_cpu(p);
		charge(taskc, cpu, clock_since(now, taskc->charged_at));
		taskc->charged_at = now;
		/* A task that keeps its CPU never reaches stopping. */
		snapshot_task(p, taskc, now);
		/*
		 * ... nor runnable, where the cgroup factor is read and the
		 * planner's weight cap applied: a hog runnable since before
		 * the cap changed would count its old weight in its domain's
		 * load for as long as it runs (a nice -20 hog kept its whole
		 * weight, 87 times a nice-0 task's, against a cap of 6-8:
		 * every pass then moved every task of its domain).
		 */
		{
			u32 w = cgroup_weights ? effective_weight(p->scx.weight, taskc->cgroup)
					       : taskc->weight;

			if (w != taskc->weight ||
			    (taskc->runnable && load_weight(w) != taskc->load_w))
				task_weight_changed(taskc, w);
		}
		if (p->scx.slice &&
		    tick_preempt_due(taskc, cpu, taskc->dom & (ATLAS_MAX_DOMAINS - 1), now)) {
			scx_bpf_task_set_slice(p, 0);
			stat_inc(ATLAS_STAT_TICK_PREEMPT);
		}
	}
	/*
	 * A task that never sleeps and has its CPU to itself is never
	 * enqueued again: end its slice so that a pending migration is seen.
	 */
	if (migration_pending(p))
		scx_bpf_task_set_slice(p, 0);
	if (debug_inject_error_after_ns &&
	    bpf_ktime_get_ns() - load_time_ns > debug_inject_error_after_ns)
		scx_bpf_error("injected error after %llu ms (--debug_inject_error_after)",
			      debug_inject_error_after_ns / 1000000);
}

/* The lead cap's timer (recap_queue, bpf/atlas_queue.bpf.h). */
#define ATLAS_RECAP_NS (100ULL * 1000 * 1000)

struct recap_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct recap_timer);
} recap_timers SEC(".maps");

static int recap_fn(void *map, int *key, struct bpf_timer *timer)
{
	u32 moved = 0, d;
	s32 cpu;

	bpf_for(d, 0, nr_domains)
	{
		if (d >= ATLAS_MAX_DOMAINS)
			break;
		moved += recap_queue(d, d);
	}
	bpf_for(cpu, 0, nr_cpu_ids)
	{
		if (cpu >= ATLAS_MAX_CPUS)
			break;
		d = cpu_domain[cpu];
		if (d < ATLAS_MAX_DOMAINS)
			moved += recap_queue(cpu_dsq(cpu), d);
	}
	if (moved)
		stat_add(ATLAS_STAT_LAG_RECAPPED, moved);
	bpf_timer_start(timer, ATLAS_RECAP_NS, 0);
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(atlas_init)
{
	u32 d, cpu;
	s32 ret;

	ret = build_topology_masks();
	topo_check.error = ret;
	topo_check.done = 1;
	if (ret) {
		scx_bpf_error("failed to build the topology cpumasks: %d", ret);
		return ret;
	}
	bpf_for(d, 0, nr_domains)
	{
		if (d >= ATLAS_MAX_DOMAINS)
			break;
		ret = scx_bpf_create_dsq(d, domain_node[d]);
		if (ret) {
			scx_bpf_error("failed to create DSQ of domain %u on node %d: %d", d,
				      domain_node[d], ret);
			return ret;
		}
	}
	bpf_for(cpu, 0, nr_cpu_ids)
	{
		if (cpu >= ATLAS_MAX_CPUS)
			break;
		d = cpu_domain[cpu];
		if (d >= ATLAS_MAX_DOMAINS)
			continue; /* ATLAS_NO_DOMAIN: offline */
		ret = scx_bpf_create_dsq(cpu_dsq(cpu), node_of_domain(d));
		if (ret) {
			scx_bpf_error("failed to create the DSQ of CPU %u: %d", cpu, ret);
			return ret;
		}
	}
	bpf_rcu_read_lock();
	maybe_rebuild_greedy_masks();
	bpf_rcu_read_unlock();
	load_time_ns = bpf_ktime_get_ns();
	if (lag_budget_ns && !fifo_sched) {
		struct recap_timer *rt = bpf_map_lookup_elem(&recap_timers, &(u32){0});

		if (!rt)
			return -ENOENT;
		bpf_timer_init(&rt->timer, &recap_timers, CLOCK_MONOTONIC);
		bpf_timer_set_callback(&rt->timer, recap_fn);
		ret = bpf_timer_start(&rt->timer, ATLAS_RECAP_NS, 0);
		if (ret) {
			scx_bpf_error("failed to start the lead cap's timer: %d", ret);
			return ret;
		}
	}
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(atlas_cgroup_init, struct cgroup *cgrp,
			     struct scx_cgroup_init_args *args)
{
	return cgroup_init_slot(cgrp, args->weight);
}

void BPF_STRUCT_OPS(atlas_cgroup_exit, struct cgroup *cgrp)
{
	cgroup_exit_slot(cgrp);
}

void BPF_STRUCT_OPS(atlas_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
	cgroup_set_slot_weight(cgrp, weight);
}

void BPF_STRUCT_OPS(atlas_cgroup_move, struct task_struct *p, struct cgroup *from,
		    struct cgroup *to)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (!taskc)
		return;
	taskc->cgroup = cgroup_slot_of(to);
	task_weight_changed(taskc, effective_weight(p->scx.weight, taskc->cgroup));
	stat_inc(ATLAS_STAT_CGROUP_MOVE);
}

void BPF_STRUCT_OPS(atlas_exit, struct scx_exit_info *ei)
{
	atlas_record_exit(&exit_info, exit_dump, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops atlas_ops = {
	.select_cpu = (void *)atlas_select_cpu,
	.enqueue = (void *)atlas_enqueue,
	.dispatch = (void *)atlas_dispatch,
	.runnable = (void *)atlas_runnable,
	.running = (void *)atlas_running,
	.stopping = (void *)atlas_stopping,
	.quiescent = (void *)atlas_quiescent,
	.set_weight = (void *)atlas_set_weight,
	.set_cpumask = (void *)atlas_set_cpumask,
	.init_task = (void *)atlas_init_task,
	.exit_task = (void *)atlas_exit_task,
	.enable = (void *)atlas_enable,
	.tick = (void *)atlas_tick,
	.cgroup_init = (void *)atlas_cgroup_init,
	.cgroup_exit = (void *)atlas_cgroup_exit,
	.cgroup_set_weight = (void *)atlas_cgroup_set_weight,
	.cgroup_move = (void *)atlas_cgroup_move,
	.init = (void *)atlas_init,
	.exit = (void *)atlas_exit,
	/* Be asked before a task whose slice ended is kept on an idle CPU. */
	.flags = SCX_OPS_ENQ_LAST,
	.name = "atlas",
};

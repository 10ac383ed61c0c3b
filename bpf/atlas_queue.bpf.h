/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_queue.bpf.h: the order of the queues, the slice, and wake-up
 * preemption.
 *
 * Queues. Each domain has a DSQ (id = domain) and each CPU one more (id =
 * ATLAS_MAX_DOMAINS + cpu) for the tasks that may run only there; both
 * are ordered by deadline (FIFO with --fifo), and a CPU runs the earlier
 * of its two heads.
 *
 * Weighted vtime with bounded lag. Running charges a task runtime x 100 /
 * weight (its effective weight: bpf/atlas_cgroup.bpf.h). Its deadline is its vtime plus its runtime since it last woke up
 * (at most a slice), in vtime: a task that runs briefly between sleeps
 * comes before one that has been running for a while. Lag is bounded both
 * ways against the domain's clock (the largest vtime started there): a
 * sleeper brings back at most one slice of its own running as credit
 * (clamp_vtime_floor), and a task is never
 * more than lag_budget / (1 + tasks queued) ahead (never less than the
 * minimum slice), so a task of any weight, however many others share its
 * CPU, waits about lag_budget plus one round of the queue, not a time that
 * grows with the weights (a nice-19 task behind 12 nice-0 hogs waited 6 s
 * without the cap; enough hogs would reach the watchdog).
 *
 * Slice: --slice_max (20 ms). Latency comes from preemption, not from short
 * slices: in the TCG guest, slices shared out by queue depth
 * (--slice_policy=depth: slice_max x cpus / (cpus + queued), at least
 * --slice_min) made hackbench 4 times slower, a deep queue of pipeline
 * stages cut in mid-batch. --slice_policy=util is the tuner's machine-wide
 * slice.
 *
 * Wake-up preemption (--wakeup_preempt): a waking task that found no idle
 * CPU takes a CPU from a hog (a task that used up its slice in most of its
 * last runs) that runs at least 4 times longer at a time than the waking
 * task, if the hog has run at least --preempt_min_run and its deadline is
 * later: a CPU-bound task gives way to a short sleeper (cyclictest's), but
 * tasks alike (hackbench's, which under a deep queue use up short slices
 * too) take turns at slice ends. Two candidates: the waking task's
 * previous CPU and one at random in its domain (pick-two). The waking task
 * is queued as usual and the victim is kicked: it takes the head of the
 * queue, the waking task if it is the earliest, so no queued task is
 * overtaken. A wake-up that found no victim (the hog had not yet run
 * --preempt_min_run, another waker claimed it) is caught at the next tick:
 * a hog whose CPU's queue or domain's queue has a sleeper (not a hog) with
 * an earlier deadline at its head ends its slice there (tick_preempt). In
 * the guest, a sleeper pinned behind two pinned hogs waited half as long
 * per wake-up with it (tests/vm/test_preempt.sh, run 4).
 */
#ifndef SCX_ATLAS_BPF_QUEUE_H
#define SCX_ATLAS_BPF_QUEUE_H

#include "bpf/atlas_place.bpf.h"

static __always_inline void queue_insert(struct task_struct *p, u64 dsq, u64 slice, u64 deadline,
					 u64 enq_flags)
{
	if (fifo_sched)
		scx_bpf_dsq_insert(p, dsq, slice, enq_flags);
	else
		scx_bpf_dsq_insert_vtime(p, dsq, slice, deadline, enq_flags);
}

/*
 * The first task of a DSQ: false if it is empty, else its deadline and,
 * when `hog` is given, whether it is a hog (unknown counts as one). The
 * task itself stays inside: the iterator's pointer is valid only in its
 * loop.
 */
static __always_inline bool dsq_head(u64 dsq, u64 *deadline, bool *hog)
{
	struct task_struct *p;
	struct task_ctx *tc;

	/* The peek kfunc of 6.19 and 7.0 can miss the head of a FIFO DSQ
	 * (compat.bpf.h's __COMPAT_scx_bpf_dsq_peek); that one returns the
	 * iterator's task past its loop, which this keeps inside it. */
	if (bpf_ksym_exists(scx_bpf_dsq_peek) && LINUX_KERNEL_VERSION >= KERNEL_VERSION(7, 1, 0)) {
		p = scx_bpf_dsq_peek(dsq);
		if (!p)
			return false;
		*deadline = p->scx.dsq_vtime;
		if (hog) {
			tc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
			*hog = !tc || is_hog(tc->hog);
		}
		return true;
	}
	bpf_for_each(scx_dsq, p, dsq, 0)
	{
		*deadline = p->scx.dsq_vtime;
		if (hog) {
			tc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
			*hog = !tc || is_hog(tc->hog);
		}
		return true;
	}
	return false;
}

static __always_inline bool dsq_head_deadline(u64 dsq, u64 *deadline)
{
	return dsq_head(dsq, deadline, NULL);
}

/* The slice of domain `dom` now, by --slice_policy. */
static __always_inline u64 domain_slice(u32 dom)
{
	u64 cpus = dom_cpus(dom), queued, slice;

	if (slice_policy == ATLAS_SLICE_UTIL)
		return tune_slice_ns;
	if (slice_policy == ATLAS_SLICE_FIXED)
		return slice_max_ns;
	queued = scx_bpf_dsq_nr_queued(dom & (ATLAS_MAX_DOMAINS - 1));
	slice = slice_max_ns * cpus / (cpus + queued);
	return slice < slice_min_ns ? slice_min_ns : slice;
}

/* A nice-0 task's weight (effective weights are x ATLAS_WEIGHT_SCALE). */
#define ATLAS_NICE0_WEIGHT (100 * ATLAS_WEIGHT_SCALE)

/* `ns` of the task's running in vtime: ns x 100 / weight. */
static __always_inline u64 to_vtime(struct task_ctx *taskc, u64 ns)
{
	u32 w = taskc->weight;

	/* Most tasks weigh a nice-0 task: no division (a call under TCG). */
	if (w == ATLAS_NICE0_WEIGHT || !w)
		return ns;
	return ns * ATLAS_NICE0_WEIGHT / w;
}

/*
 * The slice of a task that runs in domain `dom` now. With cgroup weights,
 * a task lighter than a nice-0 one gets a slice shortened in proportion
 * (at least --slice_min), as the kernel's fair class does: its vtime then
 * moves about one slice per run, whatever its weight, and stays under the
 * lead cap. With whole slices, a task of a nested cgroup weighing 1/16 of
 * a nice-0 task moved 320 ms per run, was capped at 200 ms, and its
 * cgroup got 0.20 of the CPU instead of 0.125 (tests/vm/test_cgroup_weights.sh).
 */
static __always_inline u64 task_slice(struct task_ctx *taskc, u32 dom)
{
	u64 slice = domain_slice(dom);

	if (!cgroup_weights || taskc->weight >= ATLAS_NICE0_WEIGHT)
		return slice;
	slice = slice * taskc->weight / ATLAS_NICE0_WEIGHT;
	return slice < slice_min_ns ? slice_min_ns : slice;
}

/* The largest lead over the domain's clock with `queued` tasks waiting. */
static __always_inline u64 lead_cap(u64 queued)
{
	u64 cap = lag_budget_ns / (1 + queued);

	return cap < slice_min_ns ? slice_min_ns : cap;
}

/*
 * A long sleeper brings back at most one slice of credit: one slice of its
 * own running, which for a task lighter than nice 0 is more vtime than a
 * slice (slice x 100 / weight). A busy task of weight w waits in vtime
 * about its request (slice x 100 / w) minus the heaviest one's behind the
 * domain's clock (the largest vtime started, pushed by the heaviest), so a
 * floor of one slice of vtime for every task took light tasks' earned
 * credit at every run: a cgroup of cpu.weight 300 beside one of 100 got
 * 0.83 of the CPU instead of 0.75. Tasks of nice 0 and heavier keep the
 * one-slice floor (a longer one for preempted hogs put a waking nice-19
 * task behind their backlog: 8.4 s in test_fairness).
 */
static __always_inline u64 clamp_vtime_floor(struct task_ctx *taskc, u32 dom)
{
	u64 behind = slice_max_ns;
	u64 floor;

	if (taskc->weight && taskc->weight < ATLAS_NICE0_WEIGHT)
		behind = to_vtime(taskc, slice_max_ns);
	floor = dom_state_of(dom)->vtime_now - behind;

	if (time_before(taskc->vtime, floor))
		taskc->vtime = floor;
	return taskc->vtime;
}

/*
 * The task's deadline at its vtime: vtime plus its runtime since it woke
 * up (at most a slice) in vtime. Also the one the running task of a CPU is
 * judged by (cpu_run).
 */
static __always_inline u64 running_deadline(struct task_ctx *taskc)
{
	u64 exec = taskc->exec_since_wake < slice_max_ns ? taskc->exec_since_wake : slice_max_ns;

	return taskc->vtime + to_vtime(taskc, exec);
}

/*
 * The deadline of a task about to be queued in `dsq` (of domain `dom`),
 * with the task's vtime clamped both ways (see the top of this file).
 */
static __always_inline u64 task_deadline(struct task_ctx *taskc, u32 dom, u64 dsq)
{
	u64 vtime_now = dom_state_of(dom)->vtime_now, deadline, limit;

	if (fifo_sched)
		return 0;
	clamp_vtime_floor(taskc, dom);
	deadline = running_deadline(taskc);
	/*
	 * The cap is at least slice_min ahead of the clock, and the vtime is
	 * at most the deadline: a deadline within that is never capped, and
	 * the queue's depth (a DSQ lookup) is not needed.
	 */
	if (!lag_budget_ns || !time_before(vtime_now + slice_min_ns, deadline))
		return deadline;
	limit = vtime_now + lead_cap(scx_bpf_dsq_nr_queued(dsq));
	if (time_before(limit, taskc->vtime))
		taskc->vtime = limit;
	if (time_before(limit, deadline)) {
		deadline = limit;
		stat_inc(ATLAS_STAT_LAG_CAPPED);
	}
	return deadline;
}

/*
 * The lead cap again, for the tasks already queued in `dsq` (of domain
 * `dom`): a deadline is capped at enqueue by the depth of the queue then,
 * and a task queued when few others waited got a wide cap; a crowd that
 * arrives after it lands ahead of it, task after task, and it waits its
 * lead times the crowd. In the guest, a nice-19 and a SCHED_IDLE task
 * pinned beside one hog, 23 more hogs woken 3 s later: 3.2-6.1 s waits
 * (a lead of 333 ms behind 25 nice-0 tasks); and at attach, the tasks
 * enqueued first find an empty queue (one CI run: a 10.7 s wait in
 * test_fairness). Called by a timer every ATLAS_RECAP_NS: walks the queue
 * from its tail and moves each task whose deadline is past the cap for the
 * depth now back to that cap (its vtime too), stopping at the first one
 * within it, so a queue in order costs one look at its tail. Returns the
 * tasks moved. A global function: verified once, not inlined in both of
 * the timer's loops (which went past the verifier's limit on the jump
 * history).
 */
__noinline int recap_queue(u64 dsq, u32 dom)
{
	s32 queued = scx_bpf_dsq_nr_queued(dsq);
	struct task_struct *p;
	struct task_ctx *tc;
	int moved = 0;
	u64 limit;

	if (queued < 2)
		return 0;
	limit = dom_state_of(dom)->vtime_now + lead_cap(queued - 1);
	bpf_rcu_read_lock();
	bpf_for_each(scx_dsq, p, dsq, SCX_DSQ_ITER_REV)
	{
		if (!time_before(limit, p->scx.dsq_vtime))
			break;
		tc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		if (tc && time_before(limit, tc->vtime))
			tc->vtime = limit;
		scx_bpf_dsq_move_set_vtime(BPF_FOR_EACH_ITER, limit);
		if (scx_bpf_dsq_move_vtime(BPF_FOR_EACH_ITER, p, dsq, 0))
			moved++;
	}
	bpf_rcu_read_unlock();
	return moved;
}

/*
 * Charges `ns` of running to the task and to `cpu`, the CPU it ran on (at
 * stop, and at every tick).
 */
static __always_inline void charge(struct task_ctx *taskc, s32 cpu, u64 ns)
{
	taskc->vtime += to_vtime(taskc, ns);
	taskc->exec_since_wake += ns;
	account_busy(cpu, ns);
}

/*
 * Whether a waking task with `deadline` that runs `avg_runtime` at a time
 * may take `cpu`: its task is a hog of the same domain that runs at least 4
 * times longer at a time (tasks alike take turns at slice ends instead),
 * has run at least preempt_min_run and has a later deadline, and nobody
 * else is on the way to it. The clock is read into *now only for a CPU
 * that passes the rest (most wake-ups find no hog).
 */
static __always_inline bool victim_ok(s32 cpu, u32 dom, u64 deadline, u64 avg_runtime, u64 *now)
{
	struct cpu_run *run = cpu_run_of(cpu);

	if (!run || !run->preemptible || !run->hog || run->claimed || run->dom != dom ||
	    run->avg_runtime < 4 * avg_runtime || !time_before(deadline, run->deadline))
		return false;
	if (!*now)
		*now = atlas_now();
	return clock_since(*now, run->started_at) >= preempt_min_run_ns;
}

/* Takes the victim for this waking task; false if another one was faster. */
static __always_inline bool claim_victim(s32 cpu)
{
	struct cpu_run *run = cpu_run_of(cpu);

	return run && __sync_val_compare_and_swap(&run->claimed, 0, 1) == 0;
}

/*
 * Wake-up preemption (see the top of this file) for task p, just queued
 * with `deadline` and allowed on the CPUs of `mask` (its domain's for a
 * task allowed everywhere). Returns whether a CPU was taken.
 */
static __always_inline bool try_preempt(struct task_struct *p, struct task_ctx *taskc,
					const struct cpumask *mask, u32 dom, u64 deadline)
{
	s32 prev, other, victim = -1;
	struct cpu_run *a, *b;
	u64 now = 0;

	if (!wakeup_preempt || fifo_sched || is_hog(taskc->hog) || !hog_cpus.n)
		return false;
	prev = scx_bpf_task_cpu(p);
	if (task_cpu_in_domain(taskc, prev, dom, mask) &&
	    victim_ok(prev, dom, deadline, taskc->avg_runtime, &now))
		victim = prev;
	/* A CPU of `mask`, or nr_cpu_ids and up if it is empty. */
	other = bpf_cpumask_any_distribute(mask);
	if (other != prev && other < nr_cpu_ids &&
	    victim_ok(other, dom, deadline, taskc->avg_runtime, &now)) {
		/* Of two candidates, the one running the later deadline. */
		a = victim >= 0 ? cpu_run_of(victim) : NULL;
		b = cpu_run_of(other);
		if (!a || (b && time_before(a->deadline, b->deadline)))
			victim = other;
	}
	if (victim < 0 || !claim_victim(victim))
		return false;
	scx_bpf_kick_cpu(victim, SCX_KICK_PREEMPT);
	stat_inc(ATLAS_STAT_ENQ_PREEMPT);
	return true;
}

/* Whether the first task of `dsq` is a sleeper due before `deadline`. */
static __always_inline bool sleeper_due_before(u64 dsq, u64 deadline)
{
	u64 head;
	bool hog;

	return dsq_head(dsq, &head, &hog) && time_before(head, deadline) && !hog;
}

/*
 * At a tick: whether the hog running on `cpu` should give way now to a
 * sleeper queued behind it with an earlier deadline, one that wake-up
 * preemption missed (the hog had not yet run --preempt_min_run, or the
 * claim went to another waker): the wait behind a hog is then at most a
 * tick, not the rest of its slice.
 */
static __always_inline bool tick_preempt_due(struct task_ctx *taskc, s32 cpu, u32 dom, u64 now)
{
	u64 deadline;

	if (!wakeup_preempt || fifo_sched || !is_hog(taskc->hog) ||
	    clock_since(now, taskc->run_start) < preempt_min_run_ns)
		return false;
	deadline = running_deadline(taskc);
	return sleeper_due_before(cpu_dsq(cpu), deadline) || sleeper_due_before(dom, deadline);
}

#endif /* SCX_ATLAS_BPF_QUEUE_H */

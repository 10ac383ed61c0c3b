/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scx_atlas user mode (--mode=user): the BPF side only forwards. Every task
 * the kernel enqueues is sent to the userspace policy (usersched/) through
 * the ring buffer `queued`; the policy answers through the user ring buffer
 * `dispatched` with a CPU (or "any": the shared vtime-ordered queue), a
 * slice and a vtime, and ops.dispatch carries the answers out.
 *
 * Safety:
 * - The scheduler's own threads (tgid usersched_tgid) never wait for
 *   themselves: they go to USERSCHED_DSQ, which every ops.dispatch serves
 *   first. A BPF timer kicks a CPU when a thread of the scheduler has waited
 *   there longer than heartbeat_ns (every CPU busy with long slices): one
 *   that the first waiting thread may run on (the scheduler may be pinned
 *   or confined to a cpuset); the wait counts from the first thread's, until
 *   none is left (a helper thread dispatched first does not end it).
 *   user_heartbeat counts the kicks, user_heartbeat_late the ticks that
 *   found the scheduler still waiting a full heartbeat after a kick.
 * - Per-CPU kthreads bypass userspace (they may be what a blocked
 *   scheduler waits for).
 * - A policy's slice is clamped to [20 us, max_slice_ns] (userspace sets a
 *   quarter of the watchdog's timeout, at most 1 s, or the default slice if
 *   longer); user_slice_clamped counts the answers clamped.
 * - A task inside migrate_disable() is dispatched to its own CPU whatever
 *   CPU the policy chose (user_migration_disabled counts them): 6.12 ejects
 *   a scheduler that moves one to another CPU's local DSQ.
 * - A CPU's local queue holds at most one task waiting (FIFO, ahead of the
 *   shared queue): an answer for a CPU whose local queue already holds one,
 *   or that this drain already sent one, goes to the shared queue instead
 *   (user_local_busy counts them). A policy that sends several tasks to a
 *   CPU that only looked idle (between two tasks, or kicked and not yet
 *   running) would otherwise queue each behind the others' slices: with
 *   1 s slices a task waited past the watchdog's 5 s there.
 * - When the ring to userspace is full, the task goes to the shared queue
 *   and user_congested counts it.
 * - An answer is applied only if the task's enqueue counter is the one it
 *   answers (user_cancelled counts the stale ones) and the task still
 *   exists (user_failed).
 * - If userspace stops answering, the kernel's watchdog (timeout_ms, set
 *   by userspace from --watchdog_timeout) ejects the scheduler and every
 *   task returns to the default scheduler.
 *
 * cgroup weights (--cgroup_weights): the cgroup slots and ops of
 * bpf/atlas_cgroup.bpf.h, and per slot the time its tasks were runnable
 * (cgroup_runnable: from ops.runnable to ops.quiescent, summed at
 * quiescent, at every tick of a running task and at a move), from which
 * usersched/cgroup_weigher works the factors out. Each queued task carries
 * its cgroup and its effective weight.
 */
#include "bpf/atlas_cgroup.bpf.h"

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0
#define USERSCHED_DSQ 1
#define MAX_DISPATCH_BATCH 32 /* the kernel's default dispatch_max_batch */

/* Set by userspace before load. */
const volatile __u32 nr_cpu_ids = 1;
const volatile __s32 usersched_tgid = 0;
const volatile __u64 default_slice_ns = 5000000ULL;
const volatile __u64 heartbeat_ns = 10000000ULL;
const volatile __u64 max_slice_ns = 1000000000ULL;
const volatile __u64 max_wait_ns = 1250000000ULL;
#define MIN_SLICE_NS 20000ULL

/* Written by BPF, read by userspace. */
struct atlas_exit_info exit_info;
char exit_dump[ATLAS_EXIT_DUMP_LEN];
__u64 nr_running; /* tasks running on a CPU now */
__u64 nr_shared_queued; /* tasks in SHARED_DSQ, as of the last dispatch */
static u32 nr_drains; /* ops.dispatch calls that reached the ring's drain */

struct utask_ctx {
	u64 enq_cnt;
	u64 started_at;
	u64 runnable_at; /* 0: not runnable (or cgroup weights off) */
	u64 queued_at; /* when ops.enqueue last saw it */
	u16 cgroup; /* its cgroup's slot, or ATLAS_NO_CGROUP */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct utask_ctx);
} utask_ctxs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/* ~6000 records of 88 bytes (80 and the ring's header) */
	__uint(max_entries, 512 * 1024);
} queued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096 * sizeof(struct atlas_dispatched_task));
} dispatched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_CPUS);
	__type(key, u32);
	__type(value, struct atlas_user_cpu);
} user_cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_CGROUPS);
	__type(key, u32);
	__type(value, struct atlas_cgroup_runnable);
} cgroup_runnable SEC(".maps");

/* The task's runnable time since runnable_at goes to its cgroup's slot. */
static __always_inline void account_runnable(struct task_struct *p, struct utask_ctx *tctx, u64 now)
{
	struct atlas_cgroup_runnable *cr;
	u32 slot = tctx->cgroup;
	u64 d;

	if (!tctx->runnable_at || slot >= ATLAS_MAX_CGROUPS)
		return;
	d = now - tctx->runnable_at;
	tctx->runnable_at = now;
	cr = bpf_map_lookup_elem(&cgroup_runnable, &slot);
	if (!cr || (s64)d <= 0)
		return;
	__sync_fetch_and_add(&cr->runnable_ns, d);
	__sync_fetch_and_add(&cr->weighted_ns, d * p->scx.weight);
}

struct heartbeat {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct heartbeat);
} heartbeats SEC(".maps");

static u64 usersched_waiting_since; /* 0 = not waiting in USERSCHED_DSQ */
static u64 heartbeat_kicked_at; /* the last kick for the current wait, or 0 */

static __always_inline bool is_usersched(const struct task_struct *p)
{
	return usersched_tgid != 0 && p->tgid == usersched_tgid;
}

static __always_inline struct atlas_user_cpu *user_cpu(s32 cpu)
{
	u32 key = cpu;

	if (cpu < 0 || cpu >= ATLAS_MAX_CPUS)
		return NULL;
	return bpf_map_lookup_elem(&user_cpus, &key);
}

s32 BPF_STRUCT_OPS(atlasu_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;

	/* Only where the wake-up is handled; the policy chooses where it runs. */
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
}

void BPF_STRUCT_OPS(atlasu_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct atlas_queued_task *msg;
	struct utask_ctx *tctx;

	if (is_usersched(p)) {
		if (!usersched_waiting_since)
			usersched_waiting_since = bpf_ktime_get_ns() ?: 1;
		scx_bpf_dsq_insert(p, USERSCHED_DSQ, default_slice_ns, enq_flags);
		stat_inc(ATLAS_STAT_USER_SELF);
		return;
	}
	if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, default_slice_ns, enq_flags);
		stat_inc(ATLAS_STAT_USER_KERNEL_DISPATCH);
		return;
	}
	tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);
	if (tctx)
		tctx->queued_at = bpf_ktime_get_ns();
	msg = tctx ? bpf_ringbuf_reserve(&queued, sizeof(*msg), 0) : NULL;
	if (!msg) {
		scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, default_slice_ns, p->scx.dsq_vtime,
					 enq_flags);
		stat_inc(ATLAS_STAT_USER_CONGESTED);
		return;
	}
	tctx->enq_cnt++;
	msg->pid = p->pid;
	msg->cpu = scx_bpf_task_cpu(p);
	msg->nr_cpus_allowed = p->nr_cpus_allowed;
	msg->weight = p->scx.weight;
	msg->enq_flags = enq_flags;
	msg->sum_exec_runtime = p->se.sum_exec_runtime;
	msg->vtime = p->scx.dsq_vtime;
	msg->enq_cnt = tctx->enq_cnt;
	bpf_probe_read_kernel_str(msg->comm, sizeof(msg->comm), p->comm);
	msg->cgroup = tctx->cgroup;
	msg->cgroup_id = cgroup_slot_id(tctx->cgroup);
	msg->eff_weight = effective_weight(p->scx.weight, tctx->cgroup);
	msg->pad = 0;
	bpf_ringbuf_submit(msg, 0);
	stat_inc(ATLAS_STAT_USER_QUEUED);
}

struct drain_ctx {
	u32 nr;
	u32 drain; /* this drain's number (atlas_user_cpu.sent_drain) */
};

/*
 * May a task go to @cpu's local queue? Not if one waits there already, nor
 * if this drain sent it one (inserts are flushed when ops.dispatch returns,
 * so the queue's count does not show them yet). A global function: verified
 * once, not in every state of the drain's callback (whose branches,
 * multiplied by the verifier's walk of up to MAX_DISPATCH_BATCH calls, went
 * past its limit on the jump history when this was inlined).
 */
__noinline int local_free(s32 cpu, u32 drain)
{
	struct atlas_user_cpu *uc = user_cpu(cpu);

	if (!uc || uc->sent_drain == drain || scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | cpu) > 0)
		return 0;
	uc->sent_drain = drain;
	return 1;
}

static long handle_dispatched(struct bpf_dynptr *dynptr, void *data)
{
	struct drain_ctx *dctx = data;
	struct atlas_dispatched_task msg;
	struct task_struct *p;
	struct utask_ctx *tctx;
	u64 slice;
	s32 cpu;

	if (bpf_dynptr_read(&msg, sizeof(msg), dynptr, 0, 0))
		return 0;
	p = bpf_task_from_pid(msg.pid);
	if (!p) {
		stat_inc(ATLAS_STAT_USER_FAILED);
		return 0;
	}
	tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);
	if (!tctx || tctx->enq_cnt != msg.enq_cnt) {
		stat_inc(ATLAS_STAT_USER_CANCELLED);
		bpf_task_release(p);
		return 0;
	}
	slice = msg.slice_ns ?: default_slice_ns;
	/* A policy's slice within [20 us, max_slice_ns]: no dispatch storm, no
	 * task on a CPU's queue behind a slice the watchdog would end. */
	if (slice < MIN_SLICE_NS || slice > max_slice_ns) {
		slice = slice < MIN_SLICE_NS ? MIN_SLICE_NS : max_slice_ns;
		stat_inc(ATLAS_STAT_USER_SLICE_CLAMPED);
	}
	cpu = msg.cpu;
	/* A task inside migrate_disable() runs where it is, whatever the
	 * policy chose. */
	if (cpu >= 0 && is_migration_disabled(p)) {
		s32 here = scx_bpf_task_cpu(p);

		if (cpu != here) {
			cpu = here;
			stat_inc(ATLAS_STAT_USER_MIGRATION_DISABLED);
		}
	}
	if (cpu >= 0 && cpu < nr_cpu_ids && bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
		if (local_free(cpu, dctx->drain)) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice, 0);
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
			goto out;
		}
		stat_inc(ATLAS_STAT_USER_LOCAL_BUSY);
	}
	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, slice, msg.vtime, 0);
out:
	stat_inc(ATLAS_STAT_USER_DISPATCH);
	bpf_task_release(p);
	/* One ops.dispatch may insert at most dispatch_max_batch tasks. */
	return ++dctx->nr >= MAX_DISPATCH_BATCH ? 1 : 0;
}

void BPF_STRUCT_OPS(atlasu_dispatch, s32 cpu, struct task_struct *prev)
{
	struct drain_ctx dctx = {};

	/* The scheduler first: it is what every queued task waits for. */
	if (scx_bpf_dsq_move_to_local(USERSCHED_DSQ, 0)) {
		if (!scx_bpf_dsq_nr_queued(USERSCHED_DSQ)) {
			usersched_waiting_since = 0;
			heartbeat_kicked_at = 0;
		}
		return;
	}
	dctx.drain = __sync_fetch_and_add(&nr_drains, 1) + 1;
	bpf_user_ringbuf_drain(&dispatched, handle_dispatched, &dctx, 0);
	scx_bpf_dsq_move_to_local(SHARED_DSQ, 0);
	nr_shared_queued = scx_bpf_dsq_nr_queued(SHARED_DSQ);
}

void BPF_STRUCT_OPS(atlasu_running, struct task_struct *p)
{
	struct atlas_user_cpu *uc = user_cpu(scx_bpf_task_cpu(p));
	struct utask_ctx *tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);

	if (uc)
		uc->running_pid = p->pid;
	if (tctx)
		tctx->started_at = bpf_ktime_get_ns();
	__sync_fetch_and_add(&nr_running, 1);
}

void BPF_STRUCT_OPS(atlasu_stopping, struct task_struct *p, bool runnable)
{
	struct atlas_user_cpu *uc = user_cpu(scx_bpf_task_cpu(p));
	struct utask_ctx *tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);

	if (uc) {
		uc->running_pid = 0;
		if (tctx && tctx->started_at)
			__sync_fetch_and_add(&uc->busy_ns, bpf_ktime_get_ns() - tctx->started_at);
	}
	__sync_fetch_and_sub(&nr_running, 1);
}

s32 BPF_STRUCT_OPS(atlasu_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct utask_ctx *tctx;

	tctx = bpf_task_storage_get(&utask_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -ENOMEM;
	tctx->cgroup = cgroup_slot_of(args->cgroup);
	return 0;
}

void BPF_STRUCT_OPS(atlasu_runnable, struct task_struct *p, u64 enq_flags)
{
	struct utask_ctx *tctx;

	if (!cgroup_weights)
		return;
	tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);
	if (tctx)
		tctx->runnable_at = bpf_ktime_get_ns() ?: 1;
}

void BPF_STRUCT_OPS(atlasu_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct utask_ctx *tctx;

	if (!cgroup_weights)
		return;
	tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);
	if (!tctx)
		return;
	account_runnable(p, tctx, bpf_ktime_get_ns());
	tctx->runnable_at = 0;
}

void BPF_STRUCT_OPS(atlasu_tick, struct task_struct *p)
{
	struct utask_ctx *tctx;

	if (!cgroup_weights)
		return;
	tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);
	if (!tctx)
		return;
	/* A running task is runnable: one that was already when the scheduler
	 * attached starts counting here. */
	if (!tctx->runnable_at)
		tctx->runnable_at = bpf_ktime_get_ns() ?: 1;
	else
		account_runnable(p, tctx, bpf_ktime_get_ns());
}

s32 BPF_STRUCT_OPS_SLEEPABLE(atlasu_cgroup_init, struct cgroup *cgrp,
			     struct scx_cgroup_init_args *args)
{
	return cgroup_init_slot(cgrp, args->weight);
}

void BPF_STRUCT_OPS(atlasu_cgroup_exit, struct cgroup *cgrp)
{
	cgroup_exit_slot(cgrp);
}

void BPF_STRUCT_OPS(atlasu_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
	cgroup_set_slot_weight(cgrp, weight);
}

/* The time so far counts for the old cgroup, the rest for the new one. */
void BPF_STRUCT_OPS(atlasu_cgroup_move, struct task_struct *p, struct cgroup *from,
		    struct cgroup *to)
{
	struct utask_ctx *tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);

	if (!tctx)
		return;
	account_runnable(p, tctx, bpf_ktime_get_ns());
	tctx->cgroup = cgroup_slot_of(to);
	stat_inc(ATLAS_STAT_CGROUP_MOVE);
}

/*
 * A CPU the first waiting thread of the scheduler may run on, or -1. From
 * the heartbeat's timer: 6.12's verifier wants the DSQ iterator inside an
 * RCU read section there ("expected an RCU CS"; 7.x does not ask).
 */
static __always_inline s32 usersched_cpu(void)
{
	struct task_struct *p;
	s32 cpu = -1;

	bpf_rcu_read_lock();
	bpf_for_each(scx_dsq, p, USERSCHED_DSQ, 0)
	{
		cpu = scx_bpf_task_cpu(p);
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			cpu = bpf_cpumask_any_distribute(p->cpus_ptr);
		break;
	}
	bpf_rcu_read_unlock();
	return cpu >= 0 && cpu < nr_cpu_ids ? cpu : -1;
}

/*
 * The shared queue's age limit, checked every AGE_EVERY_NS by the
 * heartbeat: a task that has waited there longer than max_wait_ns (a
 * quarter of the watchdog's timeout) goes to its head, whatever vtime the
 * policy gave it. A policy's order cannot foresee the tasks that come after
 * a task was dispatched: the default policy caps a task's lead by the tasks
 * waiting when it is queued, and a nice-19 task queued beside two hogs, 23
 * more hogs woken after it, waited 6.2 s and more behind them, and the 5 s
 * watchdog ejected the scheduler (2 runs of 2 in the guest). The tasks moved
 * keep the order they had, AGED_SPAN ahead of the head (a task moved once
 * and still waiting is moved again, still first). A global function, as
 * local_free (inlined in the heartbeat, the verifier's jump history
 * overflowed).
 */
#define AGE_EVERY_NS (100ULL * 1000 * 1000)
#define AGED_SPAN (1ULL << 32)
static u64 aged_at;
static u64 nr_aged_pass;

__noinline int age_shared(u64 now)
{
	struct task_struct *p;
	struct utask_ctx *tctx;
	u64 head = 0;

	bpf_rcu_read_lock();
	bpf_for_each(scx_dsq, p, SHARED_DSQ, 0)
	{
		head = p->scx.dsq_vtime;
		break;
	}
	/* A count in memory: one the verifier tracked in a register made every
	 * turn of the loop a new state. */
	nr_aged_pass = 0;
	bpf_for_each(scx_dsq, p, SHARED_DSQ, 0)
	{
		tctx = bpf_task_storage_get(&utask_ctxs, p, 0, 0);
		if (!tctx || now - tctx->queued_at <= max_wait_ns)
			continue;
		scx_bpf_dsq_move_set_vtime(BPF_FOR_EACH_ITER, head - AGED_SPAN + nr_aged_pass);
		if (scx_bpf_dsq_move_vtime(BPF_FOR_EACH_ITER, p, SHARED_DSQ, 0)) {
			nr_aged_pass++;
			stat_inc(ATLAS_STAT_USER_AGED);
		}
	}
	bpf_rcu_read_unlock();
	return 0;
}

static int heartbeat_fn(void *map, int *key, struct bpf_timer *timer)
{
	u64 since = usersched_waiting_since, now = bpf_ktime_get_ns();
	s32 cpu;

	if (now - aged_at >= AGE_EVERY_NS) {
		aged_at = now;
		age_shared(now);
	}

	/* The scheduler has waited for a CPU too long: make one dispatch. */
	if (since && now - since > heartbeat_ns && (cpu = usersched_cpu()) >= 0) {
		if (heartbeat_kicked_at && now - heartbeat_kicked_at >= heartbeat_ns)
			stat_inc(ATLAS_STAT_USER_HEARTBEAT_LATE);
		/* Preempted, that CPU dispatches, and the scheduler goes first. */
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
		heartbeat_kicked_at = now;
		stat_inc(ATLAS_STAT_USER_HEARTBEAT);
	}
	bpf_timer_start(timer, heartbeat_ns, 0);
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(atlasu_init)
{
	struct heartbeat *hb;
	u32 zero = 0;
	s32 err;

	err = scx_bpf_create_dsq(SHARED_DSQ, -1);
	if (err)
		return err;
	err = scx_bpf_create_dsq(USERSCHED_DSQ, -1);
	if (err)
		return err;
	hb = bpf_map_lookup_elem(&heartbeats, &zero);
	if (!hb)
		return -ENOENT;
	bpf_timer_init(&hb->timer, &heartbeats, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&hb->timer, heartbeat_fn);
	return bpf_timer_start(&hb->timer, heartbeat_ns, 0);
}

void BPF_STRUCT_OPS(atlasu_exit, struct scx_exit_info *ei)
{
	atlas_record_exit(&exit_info, exit_dump, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops atlas_user_ops = {
	.select_cpu = (void *)atlasu_select_cpu,
	.enqueue = (void *)atlasu_enqueue,
	.dispatch = (void *)atlasu_dispatch,
	.running = (void *)atlasu_running,
	.stopping = (void *)atlasu_stopping,
	.init_task = (void *)atlasu_init_task,
	.runnable = (void *)atlasu_runnable,
	.quiescent = (void *)atlasu_quiescent,
	.tick = (void *)atlasu_tick,
	.cgroup_init = (void *)atlasu_cgroup_init,
	.cgroup_exit = (void *)atlasu_cgroup_exit,
	.cgroup_set_weight = (void *)atlasu_cgroup_set_weight,
	.cgroup_move = (void *)atlasu_cgroup_move,
	.init = (void *)atlasu_init,
	.exit = (void *)atlasu_exit,
	.flags = SCX_OPS_ENQ_LAST,
	.timeout_ms = 5000,
	.name = "atlas",
};

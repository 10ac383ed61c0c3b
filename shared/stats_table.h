/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scheduler's event counters, one line each: ATLAS_STAT(ENUM, name, help).
 * Included by shared/intf.h to make enum atlas_stat (BPF and C++), and by the
 * C++ side for names and help text. Counters are per-CPU in BPF
 * (struct atlas_cpu_stats) and summed in userspace. Add a counter: one line.
 */
/* clang-format off */
ATLAS_STAT(SEL_FORK_BALANCE, sel_fork_balance, "select_cpu: a new task moved to the least loaded domain")
ATLAS_STAT(SEL_SYNC, sel_sync, "select_cpu: wake-sync, moved to the waker's CPU (its domain had an idle CPU)")
ATLAS_STAT(SEL_PREV_CORE, sel_prev_core, "select_cpu: previous CPU, its whole SMT core idle")
ATLAS_STAT(SEL_DOM_CORE, sel_dom_core, "select_cpu: a whole idle core in the task's domain")
ATLAS_STAT(SEL_PREV_IDLE, sel_prev_idle, "select_cpu: previous CPU idle")
ATLAS_STAT(SEL_DOM_IDLE, sel_dom_idle, "select_cpu: an idle CPU in the task's domain")
ATLAS_STAT(SEL_PERF_CORE, sel_perf_core, "select_cpu: busy task placed on an idle performance core (hybrid)")
ATLAS_STAT(SEL_GREEDY, sel_greedy, "select_cpu: direct greedy, an idle CPU in another domain of the node")
ATLAS_STAT(SEL_GREEDY_XNUMA, sel_greedy_xnuma, "select_cpu: direct greedy, an idle CPU in another node")
ATLAS_STAT(SEL_BUSY, sel_busy, "select_cpu: no idle CPU found; the task is queued on its domain")
ATLAS_STAT(ENQ_PINNED, enq_pinned, "enqueue: task allowed on one CPU only (the kernel skips select_cpu for it)")
ATLAS_STAT(ENQ_PINNED_IDLE, enq_pinned_idle, "enqueue: ... and its CPU was idle: straight to that CPU")
ATLAS_STAT(ENQ_LAST, enq_last, "enqueue: slice over, nothing else to run here: kept on its CPU")
ATLAS_STAT(ENQ_LAST_GUEST, enq_last_guest, "enqueue: ... a task of another domain, kept where it runs (not sent back to a busy home queue)")
ATLAS_STAT(ENQ_DOMAIN, enq_domain, "enqueue: task queued on its domain's DSQ")
ATLAS_STAT(ENQ_KTHREAD_LOCAL, enq_kthread_local, "enqueue: per-CPU kthread sent straight to its CPU")
ATLAS_STAT(ENQ_KICK_DOMAIN, enq_kick_domain, "enqueue: an idle CPU of the task's domain kicked")
ATLAS_STAT(ENQ_KICK_GREEDY, enq_kick_greedy, "enqueue: an idle CPU in the kick-greedy mask kicked")
ATLAS_STAT(ENQ_PREEMPT, enq_preempt, "enqueue: wake-up preemption, a CPU of the domain taken from a hog running a later deadline")
ATLAS_STAT(DISPATCH_CPU, dispatch_cpu, "dispatch: task taken from the CPU's own queue (tasks allowed on that CPU only)")
ATLAS_STAT(DISPATCH_DOMAIN, dispatch_domain, "dispatch: task taken from the CPU's own domain")
ATLAS_STAT(DISPATCH_STEAL, dispatch_steal, "dispatch: task stolen from another domain of the same node")
ATLAS_STAT(DISPATCH_STEAL_XNUMA, dispatch_steal_xnuma, "dispatch: task stolen from a domain of another node")
ATLAS_STAT(DISPATCH_NONE, dispatch_none, "dispatch: nothing to run")
ATLAS_STAT(DISPATCH_NONE_QUEUED, dispatch_none_queued, "dispatch: ... while some domain queued tasks (the CPU could not or may not take them)")
ATLAS_STAT(STOP_EXPIRED, stop_expired, "stopping: the task used up its slice (feeds the hog score that wake-up preemption needs)")
ATLAS_STAT(LAG_CAPPED, lag_capped, "enqueue: a task's deadline capped at the lag budget (a low weight would have made it wait longer)")
ATLAS_STAT(MIGRATE_APPLIED, migrate_applied, "migrations from userspace applied")
ATLAS_STAT(MIGRATE_REJECTED, migrate_rejected, "migrations rejected: the task's cpumask excludes the target domain")
ATLAS_STAT(MIGRATE_STALE, migrate_stale, "migrations dropped: the PID now names another task")
ATLAS_STAT(AFFINITY_CHANGE, affinity_change, "set_cpumask moved a task to another domain")
ATLAS_STAT(TASK_CTX_MISSING, task_ctx_missing, "a task without a context (should stay 0)")
ATLAS_STAT(USER_QUEUED, user_queued, "user mode: tasks sent to the userspace policy")
ATLAS_STAT(USER_DISPATCH, user_dispatch, "user mode: tasks dispatched as the userspace policy decided")
ATLAS_STAT(USER_KERNEL_DISPATCH, user_kernel_dispatch, "user mode: per-CPU kthreads dispatched by BPF directly (bypass)")
ATLAS_STAT(USER_SELF, user_self, "user mode: the scheduler's own threads dispatched first")
ATLAS_STAT(USER_CANCELLED, user_cancelled, "user mode: stale answers dropped (the task was re-enqueued since)")
ATLAS_STAT(USER_FAILED, user_failed, "user mode: answers for tasks that are gone")
ATLAS_STAT(USER_CONGESTED, user_congested, "user mode: ring to userspace full, task sent to the shared queue")
ATLAS_STAT(USER_HEARTBEAT, user_heartbeat, "user mode: timer kicks to run a waiting scheduler")
/* clang-format on */

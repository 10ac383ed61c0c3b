/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_ctx.bpf.h: what every part of the balanced-mode BPF scheduler
 * shares: the tunables (rodata, set by userspace before load), the state
 * userspace writes while it runs, the task context, per-domain and per-CPU
 * state, and small helpers. The parts (atlas_topo, atlas_load,
 * atlas_place, atlas_queue) are included into bpf/atlas.bpf.c, one
 * translation unit: every helper stays __always_inline, which the
 * verifier of 6.12 needs for the trusted task pointers they pass around.
 */
#ifndef SCX_ATLAS_BPF_CTX_H
#define SCX_ATLAS_BPF_CTX_H

#include "bpf/atlas_common.bpf.h"

/*
 * Set by userspace before load; the defaults let the object load on its
 * own. Globals use __u32/__u64: the skeleton repeats the type names in C++,
 * where u32 does not exist.
 */
const volatile __u32 nr_cpu_ids = 1;
const volatile __u32 nr_domains = 1;
const volatile __u32 nr_cores = 1;
const volatile __u32 nr_nodes = 1; /* highest node id + 1 */
const volatile __u64 load_half_life_ns = 1000000000ULL;
const volatile __u32 greedy_threshold = 1; /* 0 = never cross LLCs inside a node */
const volatile __u32 greedy_threshold_x_numa = 0; /* 0 = never across nodes */
const volatile bool fifo_sched = false;
const volatile bool kthreads_local = false;
const volatile bool wake_sync = true; /* honour SCX_WAKE_SYNC */
const volatile bool wakeup_preempt = true; /* see atlas_queue.bpf.h */
const volatile __u64 preempt_min_run_ns = 250000;
const volatile __u32 slice_policy = ATLAS_SLICE_FIXED;
const volatile __u64 slice_max_ns = 20000000ULL;
const volatile __u64 slice_min_ns = 1000000ULL;
const volatile __u64 lag_budget_ns = 1000000000ULL; /* 0 = no lead cap */
const volatile __u32 fork_balance = ATLAS_FORK_OFF;
const volatile bool evict_guests = false; /* the old ENQ_LAST eviction */
const volatile bool kernel_idle_pick = true; /* scx_bpf_select_cpu_and */
const volatile bool load_tracking = true; /* false: experiments only */
const volatile __u64 debug_inject_error_after_ns = 0; /* tests: 0 = never */
const volatile __u32 cpu_domain[ATLAS_MAX_CPUS]; /* ATLAS_NO_DOMAIN: offline */
const volatile __u32 cpu_core[ATLAS_MAX_CPUS]; /* index of the CPU's core */
const volatile __s32 domain_node[ATLAS_MAX_DOMAINS];
const volatile __u32 domain_kind[ATLAS_MAX_DOMAINS]; /* enum atlas_kind */
const volatile __u32 domain_nr_cpus[ATLAS_MAX_DOMAINS];

/* Written by the tuner (userspace) while running; bump tune_gen after. */
__u64 tune_slice_ns = SCX_SLICE_DFL;
__u64 tune_gen;
__u64 direct_greedy_doms[ATLAS_DOM_WORDS];
__u64 kick_greedy_doms[ATLAS_DOM_WORDS];
__s64 migrations_pending; /* userspace adds, BPF subtracts */
/*
 * Written by the planner every pass: the infeasible-weight cap (0 = none).
 * A task's weight counts in its domain's load up to this cap, so a heavy
 * task (a nice -20 kworker, weight 8868) that runs now and then does not
 * swing its domain's load by 88 nice-0 tasks' worth; see load_weight().
 */
__u32 load_weight_cap;

/* Written by BPF, read by userspace. */
struct atlas_exit_info exit_info;
char exit_dump[ATLAS_EXIT_DUMP_LEN];
struct atlas_topo_check topo_check;

/*
 * Per domain, one cache line each: the domain's virtual clock, the largest
 * vtime a task of the domain started running with (never read by another
 * domain's CPUs but for migrations).
 */
struct dom_state {
	u64 vtime_now;
	u64 pad[7];
};
static struct dom_state dom_states[ATLAS_MAX_DOMAINS];

static u64 next_uid;
static u64 load_time_ns;

/*
 * What each CPU runs, for wake-up preemption: written in ops.running and
 * ops.stopping under the CPU's run-queue lock, into the slot of the task's
 * CPU (scx_bpf_task_cpu: a property change of a running task, a nice or a
 * policy change, calls both from the changing CPU, whose own slot must not
 * take the task), read unlocked by others (a stale read makes one
 * preemption decision a little worse, nothing more); `claimed` is taken by
 * cmpxchg so that two waking tasks do not pick the same victim. One cache
 * line per CPU.
 */
struct cpu_run {
	u64 deadline; /* of the running task, in its domain's vtime */
	u64 started_at;
	u32 dom; /* the running task's domain */
	u32 preemptible; /* 0: idle, or a task that must not be preempted */
	u32 hog; /* the running task keeps using up its slices */
	u32 claimed; /* a waking task is on its way to preempt it */
	u64 avg_runtime; /* the running task's average run */
	/*
	 * The CPU's own DSQ may hold a task: set by enqueue_pinned, cleared
	 * by the CPU's dispatch when it finds that DSQ empty (cpu_dsq_queued),
	 * so that a dispatch looks the DSQ up (a hash lookup) only while
	 * pinned tasks come. Safe because both hold the CPU's run-queue lock:
	 * enqueue_pinned queues a task only on its own CPU's DSQ (the kernel
	 * inserts it when ops.enqueue returns, under the lock the flag was
	 * set under), and dispatch reads the flag under it; where dispatch
	 * may have dropped the lock (a move from another CPU's queue), it
	 * reads the flag again. Anything that inserts into a CPU's DSQ
	 * without that CPU's lock must set the flag too, or may strand a task.
	 */
	u32 pinned;
	u32 pad32;
	u64 pad[3];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ATLAS_MAX_CPUS);
	__type(key, u32);
	__type(value, struct cpu_run);
} cpu_runs SEC(".maps");

/*
 * The CPUs whose cpu_run says hog (the task running, or the last one):
 * changed only when a CPU's changes, so that a wake-up finds at once that
 * no CPU has a task it could preempt (wake-up preemption takes only hogs).
 */
static struct {
	s32 n;
	u8 pad[60]; /* its own cache line: read at every wake-up */
} hog_cpus __attribute__((aligned(64)));

/*
 * Hog score: a running average (x ATLAS_HOG_ONE, 1/8 per stop) of "the
 * slice ran out". At three quarters or more the task is a hog: it keeps
 * the CPU until it is taken away (about 11 expiries in a row make a new
 * task one), and may be preempted. A task that blocks on its own most of
 * the time never gets there, even if a deep queue's short slices run out
 * on it now and then (hackbench's: 1 stop in 7 under TCG).
 */
#define ATLAS_HOG_ONE 1024
#define ATLAS_HOG_MIN (ATLAS_HOG_ONE * 3 / 4)

struct task_ctx {
	u64 uid;
	u64 vtime;
	u64 run_start; /* per-CPU clock (atlas_now) when it started running */
	u64 charged_at; /* ... when its runtime was last charged (tick, stop) */
	u64 exec_since_wake; /* runtime since it last woke up */
	u64 avg_runtime;
	u64 snap_at; /* atlas_now() at its slot's last rewrite; 0: due */
	u64 allowed_doms[ATLAS_DOM_WORDS];
	struct atlas_ravg dcyc;
	u32 dom;
	u32 weight; /* effective: p->scx.weight as last seen x its cgroup's factor */
	u32 load_w; /* the weight counted in the domain's load while runnable */
	s32 slot; /* its task_snaps slot, or -1 */
	u32 hog;
	u16 cgroup; /* its cgroup's slot (atlas_cgroup.bpf.h), or ATLAS_NO_CGROUP */
	bool all_cpus;
	bool is_kworker;
	bool runnable;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* ---- small helpers ------------------------------------------------------ */

/*
 * The per-CPU clock for runtimes: the kernel's cached rq clock where it
 * exists (6.14+), else ktime. Load averages, which userspace reads, use
 * bpf_ktime_get_ns() (CLOCK_MONOTONIC).
 */
static __always_inline u64 atlas_now(void)
{
	if (bpf_ksym_exists(scx_bpf_now))
		return scx_bpf_now();
	return bpf_ktime_get_ns();
}

/*
 * now - since for two atlas_now() readings, 0 if `since` is the later.
 * Readings of one CPU's clock never go back, but two CPUs' may be a little
 * apart: a property change of a running task (nice, policy, affinity)
 * calls ops.running and ops.stopping from the changing CPU, and
 * wake-up preemption (victim_ok) compares the waker's clock with the time
 * the victim's task started; unclamped, such a difference wraps to
 * centuries of runtime.
 */
static __always_inline u64 clock_since(u64 now, u64 since)
{
	return (s64)(now - since) > 0 ? now - since : 0;
}

static __always_inline u32 domain_of_cpu(s32 cpu)
{
	u32 idx = (u32)cpu, dom;

	if (idx >= ATLAS_MAX_CPUS)
		return 0;
	/* Keep the mask: the compiler may drop it after the test, the verifier not. */
	asm volatile("" : "+r"(idx));
	dom = cpu_domain[idx & (ATLAS_MAX_CPUS - 1)];
	return dom < nr_domains ? dom : 0;
}

/* Whether `cpu` is one of domain `dom`'s (an offline CPU is in none). */
static __always_inline bool cpu_in_domain(s32 cpu, u32 dom)
{
	u32 idx = (u32)cpu;

	if (idx >= ATLAS_MAX_CPUS)
		return false;
	asm volatile("" : "+r"(idx));
	return cpu_domain[idx & (ATLAS_MAX_CPUS - 1)] == dom;
}

static __always_inline u32 node_of_domain(u32 dom)
{
	return (u32)domain_node[dom & (ATLAS_MAX_DOMAINS - 1)] & (ATLAS_MAX_NODES - 1);
}

static __always_inline u32 dom_cpus(u32 dom)
{
	return domain_nr_cpus[dom & (ATLAS_MAX_DOMAINS - 1)] ?: 1;
}

static __always_inline struct dom_state *dom_state_of(u32 dom)
{
	return &dom_states[dom & (ATLAS_MAX_DOMAINS - 1)];
}

/* DSQ ids: one per domain (id = domain), one per CPU (pinned tasks). */
#define CPU_DSQ_BASE ATLAS_MAX_DOMAINS
static __always_inline u64 cpu_dsq(s32 cpu)
{
	return CPU_DSQ_BASE + (u32)cpu;
}

static __always_inline bool bit_test(const u64 *words, u32 bit)
{
	return bit < ATLAS_MAX_DOMAINS &&
	       (words[(bit / 64) & (ATLAS_DOM_WORDS - 1)] >> (bit % 64)) & 1;
}

static __always_inline struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *taskc = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (!taskc)
		stat_inc(ATLAS_STAT_TASK_CTX_MISSING);
	return taskc;
}

static __always_inline struct cpu_run *cpu_run_of(s32 cpu)
{
	u32 idx = (u32)cpu;

	return bpf_map_lookup_elem(&cpu_runs, &idx);
}

static __always_inline bool is_hog(u32 score)
{
	return score >= ATLAS_HOG_MIN;
}

#endif /* SCX_ATLAS_BPF_CTX_H */

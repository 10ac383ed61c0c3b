/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shared/intf.h: the contract between the BPF scheduler (bpf/) and its C++
 * userspace. Every constant, enum and struct that crosses the boundary lives
 * here, with fixed-width types only, so both compilers agree on every layout.
 *
 * The BPF side includes it after vmlinux.h (__BPF__ / __bpf__ is defined);
 * the C++ side after <linux/types.h>. Layouts are checked at compile time
 * on both sides.
 */
#ifndef SCX_ATLAS_SHARED_INTF_H
#define SCX_ATLAS_SHARED_INTF_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* Limits (scx_rusty: 512 CPUs, 64 domains). Powers of two: BPF masks indices. */
#define ATLAS_MAX_CPUS 1024
#define ATLAS_MAX_DOMAINS 128
#define ATLAS_MAX_NODES 64

/* Exit record written by ops.exit, read by userspace once `exited` is set. */
#define ATLAS_EXIT_REASON_LEN 128
#define ATLAS_EXIT_MSG_LEN 1024
/* The kernel's debug dump at an error exit (ops.exit_dump_len). */
#define ATLAS_EXIT_DUMP_LEN 32768

enum atlas_stat {
#define ATLAS_STAT(id, name, help) ATLAS_STAT_##id,
#include "shared/stats_table.h"
#undef ATLAS_STAT
	ATLAS_NR_STATS,
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, one key): a single lookup returns
 * every CPU's counters. */
struct atlas_cpu_stats {
	__u64 counters[ATLAS_NR_STATS];
};

/*
 * Loads and duty cycles are fixed point: ATLAS_LOAD_ONE is 1.0. A task's duty
 * cycle is the running average of 1 while runnable, 0 while not; a domain's
 * load is the running average of the summed weight (100 = nice 0) of its
 * runnable tasks, i.e. sum(duty cycle x weight).
 */
#define ATLAS_LOAD_SHIFT 16
#define ATLAS_LOAD_ONE (1ULL << ATLAS_LOAD_SHIFT)

/*
 * A running average that halves the weight of the past every half-life:
 * avg(t) = cur + (avg(t0) - cur) * 2^(-(t - t0) / half_life), where cur has
 * been the value since t0 = updated_at. Readers decay avg to their own now.
 */
struct atlas_ravg {
	__u64 avg; /* x ATLAS_LOAD_ONE */
	__u64 cur; /* x ATLAS_LOAD_ONE */
	__u64 updated_at; /* ns, CLOCK_MONOTONIC */
};

/* Test probe (bpf/atlas_probe.bpf.c): `in` brought up to `now` is `out`. */
struct atlas_ravg_probe {
	struct atlas_ravg in;
	__u64 now;
	struct atlas_ravg out;
};

/*
 * One per domain in the mmap'able array dom_loads: what changes only when a
 * task arrives or leaves (shared atomics).
 */
struct atlas_dom_load {
	__u64 nr_tasks; /* tasks assigned to the domain */
	__s64 weight_now; /* runnable weight now, kept only for --fork_balance=load */
	__u64 pad[6];
};

/*
 * A domain's load, one entry per (CPU, domain) in the mmap'able array
 * dom_cpu_loads (key = cpu * nr_domains + domain; userspace sizes it). Only
 * that CPU writes it, with plain adds, so the wake-up path shares no cache
 * line and takes no lock. The counters are exact: weight and runnable are
 * what this CPU added to the domain's runnable weight and count minus what
 * it removed (a task can become runnable on one CPU and stop on another,
 * so one entry may be negative; the sum over CPUs is the domain's), and
 * weight_ns / runnable_ns integrate them over time (modulo 2^64: readers
 * take differences). No averages here: userspace averages the integrals
 * between its reads, so nothing decays per CPU and nothing drifts. A
 * migrating task's load history (duty cycle x weight) is added to
 * moved_load of the target and subtracted from the source's, cumulative.
 * Readers use seq (odd = being written).
 */
struct atlas_dom_cpu_load {
	__s64 weight;
	__s64 runnable;
	__u64 weight_ns; /* integral of weight over ns since load */
	__u64 runnable_ns; /* integral of runnable over ns since load */
	__u64 updated_at; /* ns, CLOCK_MONOTONIC: the integrals run to here */
	__s64 moved_load; /* migrated load history, x ATLAS_LOAD_ONE */
	__s64 moved_runnable; /* migrated runnable history, x ATLAS_LOAD_ONE */
	__u64 seq;
};

/*
 * The planner's view of the tasks: the mmap'able array task_snaps, one slot
 * per task, which the task owns from init_task to exit_task (BPF keeps the
 * free slots on a stack, so the slots in use stay packed at the front; the
 * BPF global task_slots_used bounds them: readers scan [0, task_slots_used)).
 * BPF rewrites a task's slot at most every ATLAS_SNAP_MIN_NS while it runs,
 * and at its next run after a migration or an affinity change. uid 0: a
 * free slot, or one being rewritten. A task that finds no free slot (more
 * than ATLAS_MAX_TASK_SLOTS tasks) runs normally, but the planner cannot
 * see or move it: the counter task_no_slot says how often that happened.
 */
#define ATLAS_MAX_TASK_SLOTS (1u << 17)
#define ATLAS_SNAP_MIN_NS 100000000ULL
#define ATLAS_TASK_ALL_CPUS 1u /* snap flags: allowed on every CPU */
#define ATLAS_DOM_WORDS (ATLAS_MAX_DOMAINS / 64)

struct atlas_task_snap {
	__u64 uid; /* unique per task for the scheduler's life; 0 = empty */
	__u64 updated_at;
	__u64 dcyc; /* duty cycle avg at updated_at, x ATLAS_LOAD_ONE */
	__u32 pid;
	__u32 dom;
	__u32 weight; /* p->scx.weight: 100 = nice 0 (not the cgroup-scaled one) */
	__u16 flags;
	__u16 cgroup; /* its cgroup's slot in `cgroups`, or ATLAS_NO_CGROUP */
	__u64 allowed_doms[ATLAS_DOM_WORDS]; /* domains its cpumask intersects */
	__u64 dcyc_cur; /* 0 or ATLAS_LOAD_ONE: runnable at updated_at */
};

/*
 * cgroup CPU weights (--cgroup_weights). BPF keeps one slot per cgroup in
 * the mmap'able array `cgroups` (ops.cgroup_init takes one, cgroup_exit
 * frees it: id 0; slots in use are below the global cgroup_slots_used),
 * and the task snapshots say which slot a task's cgroup has. From these the
 * planner works out, every tune interval, each cgroup's factor: a task's
 * effective weight is its own weight x factor (x ATLAS_WEIGHT_SCALE), the
 * product, down from the root, of each level's cpu.weight over the weight
 * active inside that cgroup (its runnable tasks' weights and its active
 * children's cpu.weight), so that a cgroup's tasks together weigh what its
 * cpu.weight says among its siblings, as with the kernel's group
 * scheduling. Userspace writes the factors into the mmap'able array
 * cgroup_factors (0: none yet, 1.0); BPF uses the effective weight for
 * vtime and loads. The root cgroup's tasks keep their own weight.
 *
 * A factor is a small float, so that deep or lopsided trees keep their
 * precision: the top 8 bits a shift s, the low 24 a mantissa m, the value
 * m / 2^s (ATLAS_FACTOR_SHIFT/_MANT).
 */
#define ATLAS_MAX_CGROUPS 4096
#define ATLAS_NO_CGROUP 0xffffu
#define ATLAS_FACTOR_MANT(f) ((f) & 0xffffffu)
#define ATLAS_FACTOR_SHIFT(f) ((f) >> 24)
/*
 * BPF's task weights (vtime, domain loads, load_weight_cap) are effective
 * weights: p->scx.weight x its cgroup's factor x ATLAS_WEIGHT_SCALE, so
 * that a cgroup's share split over many tasks keeps its precision (100 /
 * 150 tasks is 682.67, counted as 683, not 1). Loads read by userspace are
 * divided back: 100 x ATLAS_WEIGHT_SCALE is one nice-0 task.
 */
#define ATLAS_WEIGHT_SCALE 1024
#define ATLAS_MAX_EFF_WEIGHT (1u << 30)
/*
 * User mode's view of how busy each cgroup slot is (cgroup_runnable,
 * mmap'able, cumulative): the time its tasks were runnable and that time x
 * their weight (p->scx.weight), summed at ops.quiescent, at every tick of a
 * running task and when a task moves. A reused slot's counts go on from
 * the old cgroup's: readers take differences from the first reading under
 * the slot's new id (`cgroups`).
 */
struct atlas_cgroup_runnable {
	__u64 runnable_ns;
	__u64 weighted_ns; /* runnable ns x weight */
};

struct atlas_cgroup {
	__u64 id; /* cgroup id (its kernfs node id); 0 = a free slot */
	__u64 parent_id; /* 0 for the root */
	__u32 weight; /* cpu.weight: 1..10000, 100 by default */
	__u32 level; /* 0: the root */
	__u64 pad;
};

/*
 * A migration request: userspace puts {uid, target} under the task's pid in
 * the hash map migrations and bumps migrations_pending; BPF applies it at the
 * task's next wake-up or enqueue if the uid still matches and the task's
 * cpumask allows the target, then deletes it.
 */
struct atlas_migration {
	__u64 uid;
	__u32 target_dom;
	__u32 pad;
};

/* Per CPU, mmap'able (cpu_busy): nanoseconds spent running tasks. */
struct atlas_cpu_busy {
	__u64 busy_ns;
	__u64 pad[7]; /* one cache line per CPU */
};

/* Kinds of CPUs a domain is made of (rodata domain_kind[]). */
enum atlas_kind {
	ATLAS_KIND_UNIFORM = 0,
	ATLAS_KIND_PERFORMANCE = 1,
	ATLAS_KIND_EFFICIENCY = 2,
};

/* How long a task runs before it is asked to yield (rodata slice_policy). */
enum atlas_slice_policy {
	ATLAS_SLICE_FIXED = 0, /* slice_max_ns */
	ATLAS_SLICE_DEPTH = 1, /* slice_max_ns shared out by queue depth, >= slice_min_ns */
	ATLAS_SLICE_UTIL = 2, /* the tuner's machine-wide slice (tune_slice_ns) */
};

/* How a new task's domain is chosen (rodata fork_balance). */
enum atlas_fork_balance {
	ATLAS_FORK_OFF = 0, /* the parent's domain */
	ATLAS_FORK_LOAD = 1, /* the least runnable weight per CPU, at that instant */
	ATLAS_FORK_TASKS = 2, /* the fewest tasks per CPU */
};

/* Size of the migrations hash map: requests outstanding at once. */
#define ATLAS_MAX_MIGRATIONS 16384

/* cpu_domain[] value of a CPU that is in no domain (offline, not present). */
#define ATLAS_NO_DOMAIN 0xffffffffu

/*
 * What ops.init built from the rodata layout, counted back from the
 * cpumasks themselves: userspace compares it with the layout it sent.
 */
struct atlas_topo_check {
	__u32 done; /* set by ops.init once the masks are built */
	__s32 error; /* non-zero: a mask could not be created */
	__u32 nr_cpus; /* CPUs in some domain mask */
	__u32 nr_smt_cores; /* cores whose sibling mask has > 1 CPU */
	__u32 domain_cpus[ATLAS_MAX_DOMAINS];
	__u32 node_cpus[ATLAS_MAX_NODES];
};

struct atlas_exit_info {
	__u32 exited; /* set last, after the fields below */
	__s32 kind; /* enum scx_exit_kind */
	__s64 exit_code; /* scx_bpf_exit() code, SCX_ECODE_* bits */
	char reason[ATLAS_EXIT_REASON_LEN];
	char msg[ATLAS_EXIT_MSG_LEN];
};

/*
 * User mode (--mode=user, bpf/atlas_user.bpf.c). Every task the kernel
 * enqueues goes to userspace through the ring buffer `queued`; userspace
 * answers through the user ring buffer `dispatched`. enq_cnt identifies one
 * enqueue of a task: an answer whose enq_cnt is not the task's latest is
 * stale and dropped.
 */
#define ATLAS_COMM_LEN 16
#define ATLAS_CPU_ANY (-1) /* dispatched.cpu: the shared queue, any CPU */

struct atlas_queued_task {
	__s32 pid;
	__s32 cpu; /* the CPU it last ran on / woke on */
	__u32 nr_cpus_allowed;
	__u32 weight; /* 100 = nice 0 */
	__u64 enq_flags;
	__u64 sum_exec_runtime; /* ns, cumulative */
	__u64 vtime; /* the kernel's dsq_vtime of the task */
	__u64 enq_cnt;
	char comm[ATLAS_COMM_LEN];
	__u64 cgroup_id; /* its cgroup's id (0: none known, cgroup weights off) */
	/* Its weight x its cgroup's factor x ATLAS_WEIGHT_SCALE (cgroup
	 * weights on; else weight x ATLAS_WEIGHT_SCALE). */
	__u32 eff_weight;
	__u16 cgroup; /* its cgroup's slot, or ATLAS_NO_CGROUP */
	__u16 pad;
};

struct atlas_dispatched_task {
	__s32 pid;
	__s32 cpu; /* a CPU it may run on, or ATLAS_CPU_ANY */
	__u64 slice_ns; /* 0 = the default slice */
	__u64 vtime; /* order in the shared queue */
	__u64 enq_cnt;
};

/* Per CPU, mmap'able (user_cpus): what runs there, and busy time. */
struct atlas_user_cpu {
	__u64 busy_ns;
	__s32 running_pid; /* 0 = idle */
	__u32 sent_drain; /* BPF's own: the ring drain that last sent it a task */
	__u64 pad[6];
};

#ifdef __cplusplus
#include <type_traits>
#define ATLAS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
static_assert(std::is_trivially_copyable_v<atlas_cpu_stats>);
static_assert(std::is_trivially_copyable_v<atlas_exit_info>);
static_assert(std::is_trivially_copyable_v<atlas_topo_check>);
static_assert(std::is_trivially_copyable_v<atlas_dom_load>);
static_assert(std::is_trivially_copyable_v<atlas_dom_cpu_load>);
static_assert(std::is_trivially_copyable_v<atlas_task_snap>);
#else
#define ATLAS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
ATLAS_STATIC_ASSERT(sizeof(struct atlas_exit_info) ==
			    16 + ATLAS_EXIT_REASON_LEN + ATLAS_EXIT_MSG_LEN,
		    "atlas_exit_info has no padding");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_dom_load) == 64, "atlas_dom_load: 1 cache line");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_dom_cpu_load) == 64, "atlas_dom_cpu_load: 1 cache line");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_task_snap) == 64, "atlas_task_snap: 1 cache line");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_cpu_busy) == 64, "atlas_cpu_busy: 1 cache line");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_cgroup) == 32, "atlas_cgroup has no padding");
ATLAS_STATIC_ASSERT(ATLAS_MAX_CGROUPS < ATLAS_NO_CGROUP, "cgroup slots fit in 16 bits");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_migration) == 16, "atlas_migration has no padding");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_queued_task) == 80, "atlas_queued_task has no padding");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_cgroup_runnable) == 16,
		    "atlas_cgroup_runnable: 8-byte aligned");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_dispatched_task) == 32,
		    "atlas_dispatched_task has no padding");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_user_cpu) == 64, "atlas_user_cpu: 1 cache line");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_cpu_stats) == 8 * ATLAS_NR_STATS,
		    "atlas_cpu_stats has no padding");
ATLAS_STATIC_ASSERT((ATLAS_MAX_CPUS & (ATLAS_MAX_CPUS - 1)) == 0,
		    "ATLAS_MAX_CPUS is a power of two");
ATLAS_STATIC_ASSERT((ATLAS_MAX_NODES & (ATLAS_MAX_NODES - 1)) == 0,
		    "ATLAS_MAX_NODES is a power of two");
ATLAS_STATIC_ASSERT((ATLAS_MAX_DOMAINS & (ATLAS_MAX_DOMAINS - 1)) == 0,
		    "ATLAS_MAX_DOMAINS is a power of two");

#endif /* SCX_ATLAS_SHARED_INTF_H */

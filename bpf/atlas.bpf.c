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
 *    over as rodata: cpu_domain[], cpu_core[], domain_node[], domain_kind[]).
 *    Each domain owns one dispatch queue (DSQ id = domain id), created on its
 *    NUMA node. ops.init turns the layout into cpumasks (bpf_cpumask kptrs):
 *    one per domain, node and core (SMT siblings), and counts them back into
 *    topo_check, which userspace verifies before it reports itself enabled.
 *
 * b. Task context (task storage): the task's domain, a unique id (uid: a PID
 *    can be reused, a uid cannot), vtime, average runtime per run, wake-up
 *    frequencies, its duty cycle, the set of domains its cpumask reaches and
 *    whether it may run everywhere.
 *
 * c. Load tracking. A task's duty cycle is a running average (shared/intf.h
 *    struct atlas_ravg, half-life --load_half_life) of 1 while runnable and 0
 *    while not, fed by ops.runnable/ops.quiescent. A domain's load is the
 *    running average of the summed weight of its runnable tasks, which is
 *    sum(duty cycle x weight) without touching every task. Domain loads live
 *    in an mmap'able array (dom_loads) and every domain keeps a ring of its
 *    recently active tasks (task_snaps): the planner reads both with no
 *    syscall. Per-CPU busy time (cpu_busy) feeds the tuner.
 *
 * d. Ordering inside a domain: weighted vtime. A task's vtime advances by
 *    runtime x 100 / weight; a sleeper cannot bring back more than one slice
 *    of credit (its vtime is clamped to the domain's clock minus a slice).
 *    The DSQ is ordered by a deadline = vtime + its expected runtime, scaled
 *    down for tasks that sleep and wake often (latency-sensitive tasks that
 *    run briefly get earlier deadlines). --fifo makes the queues FIFOs.
 *    Wake-up preemption (--wakeup_preempt): a waking task that finds no
 *    idle CPU in its domain looks at two of the domain's CPUs (its previous
 *    one and one at random); the one whose task has the later deadline, if
 *    later than the waking task's, if that task runs at least 4 times longer
 *    per run on average and has run --preempt_min_run, is kicked to preempt
 *    it and takes the head of the domain's queue. Without it a woken task
 *    waits for a slice to end, which the kernel notices only at a tick.
 *
 * e. select_cpu. A new task allowed everywhere first joins the domain with
 *    the least runnable weight per CPU (fork balancing, across nodes too:
 *    it is placement, not stealing). Then, in order: wake-sync goes to the
 *    waker's CPU when the waker's domain has an idle CPU (the waker is about
 *    to sleep; --wake_sync); the previous CPU if its whole SMT core is
 *    idle; a whole idle core in the task's domain; the previous CPU if idle;
 *    any idle CPU in the domain; on hybrid parts, a busy task (duty cycle
 *    above half) in an efficiency domain may take an idle performance core;
 *    then "direct greedy": an idle CPU in another domain the tuner allows,
 *    same node first, other nodes only with --greedy_threshold_x_numa, and
 *    only for tasks allowed everywhere. A pick goes to the CPU's local DSQ.
 *
 * f. dispatch: the CPU's own domain first; then steal from domains of the
 *    same node queueing at least --greedy_threshold tasks; then from other
 *    nodes' domains queueing at least --greedy_threshold_x_numa (0 = never).
 *    After an enqueue an idle CPU is kicked: one of the domain, else one in
 *    the tuner's kick-greedy mask. A task allowed on a single CPU never
 *    reaches select_cpu: enqueue sends it to that CPU if idle, else to its
 *    domain's queue, where it competes fairly.
 *
 * g. Migrations. Userspace writes {uid, target} under a pid in the
 *    migrations map. At the task's next wake-up or enqueue the request is
 *    applied (ops.tick ends the slice of a running task that has a
 *    request, so even a CPU hog alone on its CPU gets there; the task's
 *    load, both the instant and the averaged part,
 *    moves to the target domain) if the uid matches and the task's cpumask
 *    reaches the target, and counted as applied, rejected or stale; scx_rusty
 *    loses such decisions (scx #611). ops.set_cpumask re-picks the domain
 *    when an affinity change leaves the old one unreachable.
 *
 * h. Exit. ops.exit copies kind, reason and message into exit_info, which
 *    userspace reports; CPU hotplug makes the kernel end the scheduler with
 *    SCX_ECODE_ACT_RESTART, and userspace reloads it on the new topology.
 *
 * Limits: ATLAS_MAX_CPUS CPUs, ATLAS_MAX_DOMAINS domains, ATLAS_MAX_NODES
 * nodes. Direct-greedy and kick-greedy masks are rebuilt from the tuner's
 * domain bitmaps in ops.tick, so a tuner change takes effect within a tick.
 */
#include "bpf/atlas_common.bpf.h"

char _license[] SEC("license") = "GPL";

#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define PF_WQ_WORKER 0x00000020

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
const volatile __u32 greedy_threshold = 1; /* 0 = never steal inside a node */
const volatile __u32 greedy_threshold_x_numa = 0; /* 0 = never across nodes */
const volatile bool fifo_sched = false;
const volatile bool kthreads_local = false;
const volatile bool wake_sync_direct = true; /* the wake-sync shortcut (e.) */
const volatile bool wakeup_preempt = false; /* see d. */
const volatile __u64 preempt_min_run_ns = 250000;
const volatile __u64 debug_inject_error_after_ns = 0; /* tests: 0 = never */
const volatile __u32 cpu_domain[ATLAS_MAX_CPUS]; /* ATLAS_NO_DOMAIN: offline */
const volatile __u32 cpu_core[ATLAS_MAX_CPUS]; /* index of the CPU's core */
const volatile __s32 domain_node[ATLAS_MAX_DOMAINS];
const volatile __u32 domain_kind[ATLAS_MAX_DOMAINS]; /* enum atlas_kind */

/* Written by the tuner (userspace) while running; bump tune_gen after. */
__u64 tune_slice_ns = SCX_SLICE_DFL;
__u64 tune_gen;
__u64 direct_greedy_doms[ATLAS_DOM_WORDS];
__u64 kick_greedy_doms[ATLAS_DOM_WORDS];
__s64 migrations_pending; /* userspace adds, BPF subtracts */

/* Written by BPF, read by userspace. */
struct atlas_exit_info exit_info;
struct atlas_topo_check topo_check;

static u64 domain_vtime_now[ATLAS_MAX_DOMAINS];
static u64 next_uid;
static u64 greedy_built_gen;
static u64 load_time_ns;

/*
 * What each CPU runs, for wake-up preemption: written by the CPU itself in
 * ops.running/ops.stopping, read unlocked by others (a stale read makes one
 * preemption decision a little worse, nothing more).
 */
struct cpu_run {
	u64 deadline; /* of the running task, in its domain's vtime */
	u64 started_at;
	u64 avg_runtime; /* the running task's average run */
	u32 dom; /* the running task's domain */
	u32 preemptible; /* 0: idle, or a task that must not be preempted */
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ATLAS_MAX_CPUS);
	__type(key, u32);
	__type(value, struct cpu_run);
} cpu_runs SEC(".maps");

struct task_ctx {
	u64 uid;
	u64 vtime;
	u64 run_start;
	u64 avg_runtime;
	u64 last_blocked_at;
	u64 last_woke_at;
	u64 blocked_freq; /* wake-ups after sleeping, per second (EWMA) */
	u64 waker_freq; /* wake-ups of others, per second (EWMA) */
	u64 snap_at;
	u64 allowed_doms[ATLAS_DOM_WORDS];
	struct atlas_ravg dcyc;
	u32 dom;
	u32 weight; /* the weight counted in the domain's load */
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

struct dom_lock {
	struct bpf_spin_lock lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ATLAS_MAX_DOMAINS);
	__type(key, u32);
	__type(value, struct dom_lock);
} dom_locks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_DOMAINS);
	__type(key, u32);
	__type(value, struct atlas_dom_load);
} dom_loads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ATLAS_MAX_DOMAINS *ATLAS_SNAP_SLOTS);
	__type(key, u32);
	__type(value, struct atlas_task_snap);
} task_snaps SEC(".maps");

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

/* Cpumasks (bpf_cpumask kptrs), built in ops.init. */
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

/* ---- small helpers ------------------------------------------------------ */

static __always_inline u32 domain_of_cpu(s32 cpu)
{
	u32 dom;

	if (cpu < 0 || cpu >= ATLAS_MAX_CPUS)
		return 0;
	dom = cpu_domain[cpu & (ATLAS_MAX_CPUS - 1)];
	return dom < nr_domains ? dom : 0;
}

static __always_inline u32 node_of_domain(u32 dom)
{
	return (u32)domain_node[dom & (ATLAS_MAX_DOMAINS - 1)] & (ATLAS_MAX_NODES - 1);
}

/* The mask at map[idx], or NULL. Callers are in an RCU read section. */
static __always_inline struct bpf_cpumask *mask_of(void *map, u32 idx)
{
	struct mask_ctx *mctx = bpf_map_lookup_elem(map, &idx);

	return mctx ? mctx->mask : NULL;
}

static __always_inline bool bit_test(const u64 *words, u32 bit)
{
	return bit < ATLAS_MAX_DOMAINS &&
	       (words[(bit / 64) & (ATLAS_DOM_WORDS - 1)] >> (bit % 64)) & 1;
}

static __always_inline u32 ilog2_u64(u64 v)
{
	u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *taskc = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (!taskc)
		stat_inc(ATLAS_STAT_TASK_CTX_MISSING);
	return taskc;
}

/* ---- running averages (see struct atlas_ravg) -------------------------- */

/* 2^(-i/16) in Q16, i = 0..16. */
static const u32 half_pow_q16[17] = {65536, 62757, 60097, 57550, 55109, 52773, 50535, 48393, 46341,
				     44376, 42495, 40693, 38968, 37316, 35734, 34219, 32768};

/* 2^(-dt / half_life) in Q16: whole half-lives shift, the rest interpolates. */
static __always_inline u64 decay_q16(u64 dt)
{
	u64 hl = load_half_life_ns ?: 1, n = dt / hl, pos, idx, frac, f;

	if (n >= 32)
		return 0;
	pos = (dt - n * hl) * 16 * 1024 / hl;
	idx = pos >> 10;
	frac = pos & 1023;
	if (idx >= 16) {
		idx = 15;
		frac = 1023;
	}
	f = half_pow_q16[idx] - (((half_pow_q16[idx] - half_pow_q16[idx + 1]) * frac) >> 10);
	return f >> n;
}

static __always_inline void ravg_update(struct atlas_ravg *r, u64 now)
{
	u64 d;

	if ((s64)(now - r->updated_at) <= 0)
		return;
	d = decay_q16(now - r->updated_at);
	if (r->avg >= r->cur)
		r->avg = r->cur + (((r->avg - r->cur) * d) >> 16);
	else
		r->avg = r->cur - (((r->cur - r->avg) * d) >> 16);
	r->updated_at = now;
}

static __always_inline u64 add_clamped(u64 v, s64 delta)
{
	if (delta < 0 && (u64)-delta > v)
		return 0;
	return v + delta;
}

/*
 * Changes a domain's load: dweight to the runnable weight, drunnable to the
 * runnable count, dtasks to the task count, davg straight to the load
 * average (a migrating task takes its history along).
 */
static __always_inline void dom_load_adjust(u32 dom, s64 dweight, s64 drunnable, s64 dtasks,
					    s64 davg, u64 now)
{
	struct atlas_dom_load *dl;
	struct dom_lock *lock;

	dom &= ATLAS_MAX_DOMAINS - 1;
	lock = bpf_map_lookup_elem(&dom_locks, &dom);
	dl = bpf_map_lookup_elem(&dom_loads, &dom);
	if (!lock || !dl)
		return;
	bpf_spin_lock(&lock->lock);
	__sync_fetch_and_add(&dl->seq, 1);
	ravg_update(&dl->load, now);
	ravg_update(&dl->runnable, now);
	dl->load.cur = add_clamped(dl->load.cur, dweight * (s64)ATLAS_LOAD_ONE);
	dl->load.avg = add_clamped(dl->load.avg, davg);
	dl->runnable.cur = add_clamped(dl->runnable.cur, drunnable * (s64)ATLAS_LOAD_ONE);
	dl->nr_tasks = add_clamped(dl->nr_tasks, dtasks);
	__sync_fetch_and_add(&dl->seq, 1);
	bpf_spin_unlock(&lock->lock);
}

/* Events per second from the gap since the last event, as an EWMA (7/8). */
static __always_inline u64 freq_update(u64 freq, u64 gap_ns)
{
	u64 now_freq = 1000000000ULL / (gap_ns ?: 1);

	return (freq * 7 + now_freq) / 8;
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

/* Moves a task (and its load) to another domain. */
static __always_inline void move_task(struct task_ctx *taskc, u32 to, u64 now)
{
	u32 from = taskc->dom & (ATLAS_MAX_DOMAINS - 1);
	s64 w = taskc->runnable ? taskc->weight : 0, r = taskc->runnable ? 1 : 0, hist;

	to &= ATLAS_MAX_DOMAINS - 1;
	ravg_update(&taskc->dcyc, now);
	hist = (s64)(taskc->dcyc.avg * taskc->weight);
	dom_load_adjust(from, -w, -r, -1, -hist, now);
	dom_load_adjust(to, w, r, 1, hist, now);
	taskc->vtime = taskc->vtime - domain_vtime_now[from] + domain_vtime_now[to];
	taskc->dom = to;
	taskc->snap_at = 0; /* show the new domain at the next snapshot */
}

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
			move_task(taskc, target, bpf_ktime_get_ns());
		stat_inc(ATLAS_STAT_MIGRATE_APPLIED);
	}
	bpf_map_delete_elem(&migrations, &pid);
	__sync_fetch_and_sub(&migrations_pending, 1);
}

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
	scratch = mask_of(&scratch_masks, bpf_get_smp_processor_id());
	if (!scratch)
		return NULL;
	bpf_cpumask_and(scratch, (const struct cpumask *)dmask, p->cpus_ptr);
	return (const struct cpumask *)scratch;
}

/* An idle CPU in misc mask `which` and NUMA node `node`, or -1. */
static __always_inline s32 pick_idle_in(u32 which, u32 node)
{
	struct bpf_cpumask *mask = mask_of(&misc_masks, which), *nmask = mask_of(&node_masks, node),
			   *scratch = mask_of(&scratch_masks, bpf_get_smp_processor_id());

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
 * Fork balancing: the domain whose runnable weight per CPU is lowest (the
 * task's own on a tie), among those the task may use. Reads are unlocked:
 * a stale figure only makes the choice a little worse.
 */
static __always_inline u32 fork_domain(struct task_ctx *taskc)
{
	u32 best = taskc->dom & (ATLAS_MAX_DOMAINS - 1), d, ncpus;
	u64 best_load = ~0ULL, load;
	struct atlas_dom_load *dl;

	bpf_for(d, 0, nr_domains)
	{
		if (!bit_test(taskc->allowed_doms, d))
			continue;
		dl = bpf_map_lookup_elem(&dom_loads, &d);
		ncpus = topo_check.domain_cpus[d & (ATLAS_MAX_DOMAINS - 1)];
		if (!dl || !ncpus)
			continue;
		load = dl->load.cur / ncpus;
		if (load < best_load || (load == best_load && d == taskc->dom)) {
			best_load = load;
			best = d;
		}
	}
	return best;
}

/* A long sleeper brings back at most one slice of credit. */
static __always_inline u64 clamp_vtime(struct task_ctx *taskc, u32 dom, u64 slice)
{
	u64 floor = domain_vtime_now[dom & (ATLAS_MAX_DOMAINS - 1)] - slice;

	if (vtime_before(taskc->vtime, floor))
		taskc->vtime = floor;
	return taskc->vtime;
}

/*
 * A task's deadline in its domain's queue: its vtime plus its expected
 * runtime (at most a slice, in vtime units), shortened for tasks that sleep
 * and wake often (latency-sensitive tasks that run briefly come first).
 */
static __always_inline u64 task_deadline(struct task_ctx *taskc, u64 vtime, u64 slice)
{
	u64 lat, boost;

	lat = (taskc->avg_runtime < slice ? taskc->avg_runtime : slice) * 100 /
	      (taskc->weight ?: 100);
	boost = ilog2_u64(1 + (taskc->blocked_freq + taskc->waker_freq) / 64);
	if (boost > 6)
		boost = 6;
	return vtime + (lat >> boost);
}

static __always_inline struct cpu_run *cpu_run_of(s32 cpu)
{
	u32 idx = (u32)cpu;

	return bpf_map_lookup_elem(&cpu_runs, &idx);
}

/* The rank of a CPU running another domain's task: the first to preempt. */
#define GUEST_RANK (~0ULL)

/*
 * Whether a waking task with `deadline` should take `cpu` from its task:
 * the running task's deadline (its rank: later is a better victim),
 * GUEST_RANK, or 0 if not.
 */
static __always_inline u64 preemptible_deadline(s32 cpu, u32 dom, u64 deadline, u64 avg_runtime,
						u64 now)
{
	struct cpu_run *run = cpu_run_of(cpu);

	if (!run || !run->preemptible || now - run->started_at < preempt_min_run_ns)
		return 0;
	/*
	 * Only a task that runs in short bursts preempts, and only one that
	 * runs much longer: tasks alike (hackbench's) take turns at slice
	 * ends, as they would without preemption, instead of preempting one
	 * another at every wake-up.
	 */
	if (avg_runtime * 4 > run->avg_runtime)
		return 0;
	/* A guest from another domain yields to the domain's own tasks. */
	if (run->dom != dom)
		return GUEST_RANK;
	return vtime_before(deadline, run->deadline) ? run->deadline : 0;
}

/*
 * Wake-up preemption: with no idle CPU for a waking task, the CPU of its
 * domain (its previous one, or one picked at random: two choices) whose
 * running task has the latest deadline, if that is later than the waking
 * task's, runs at least 4 times longer on average, and has run at least
 * --preempt_min_run. -1 if none.
 */
static __always_inline s32 preempt_victim(struct task_struct *p, struct task_ctx *taskc,
					  const struct cpumask *dmask, u32 dom, u64 deadline)
{
	s32 prev = scx_bpf_task_cpu(p), other = bpf_cpumask_any_distribute(dmask), victim = -1;
	u64 now = bpf_ktime_get_ns(), best = 0, d;
	struct cpu_run *run;

	if (bpf_cpumask_test_cpu(prev, dmask) &&
	    (d = preemptible_deadline(prev, dom, deadline, taskc->avg_runtime, now))) {
		victim = prev;
		best = d;
	}
	if (other != prev && bpf_cpumask_test_cpu(other, dmask) &&
	    (d = preemptible_deadline(other, dom, deadline, taskc->avg_runtime, now)) &&
	    (victim < 0 || (best != GUEST_RANK && (d == GUEST_RANK || vtime_before(best, d)))))
		victim = other;
	/* Another waking task should not pick the same victim. */
	if (victim >= 0 && (run = cpu_run_of(victim)))
		run->preemptible = 0;
	return victim;
}

static __always_inline void queue_on_domain(struct task_struct *p, u32 dom, u64 slice, u64 deadline,
					    u64 enq_flags)
{
	if (fifo_sched)
		atlas_dsq_insert(p, dom, slice, enq_flags);
	else
		atlas_dsq_insert_vtime(p, dom, slice, deadline, enq_flags);
}

/* ---- scheduling callbacks ---------------------------------------------- */

s32 BPF_STRUCT_OPS(atlas_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	const struct cpumask *dmask, *idle;
	struct task_ctx *taskc = lookup_task_ctx(p);
	u32 node, waker_dom;
	s32 cpu;

	if (!taskc)
		return prev_cpu;
	apply_migration(p, taskc);

	if ((wake_flags & SCX_WAKE_FORK) && taskc->all_cpus) {
		u32 dom = fork_domain(taskc);

		if (dom != taskc->dom) {
			move_task(taskc, dom, bpf_ktime_get_ns());
			stat_inc(ATLAS_STAT_SEL_FORK_BALANCE);
		}
	}

	if (wake_sync_direct && (wake_flags & SCX_WAKE_SYNC)) {
		struct task_struct *current = (void *)bpf_get_current_task_btf();
		struct bpf_cpumask *wmask;

		cpu = bpf_get_smp_processor_id();
		waker_dom = domain_of_cpu(cpu);
		wmask = mask_of(&domain_masks, waker_dom);
		/* Only onto an empty local queue: nobody can steal from it. */
		if (wmask && !(current->flags & PF_EXITING) &&
		    bpf_cpumask_test_cpu(cpu, p->cpus_ptr) &&
		    !scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | cpu)) {
			idle = scx_bpf_get_idle_cpumask();
			if (bpf_cpumask_intersects((const struct cpumask *)wmask, idle)) {
				scx_bpf_put_idle_cpumask(idle);
				stat_inc(ATLAS_STAT_SEL_SYNC);
				goto direct;
			}
			scx_bpf_put_idle_cpumask(idle);
		}
	}

	if (bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr)) {
		idle = scx_bpf_get_idle_smtmask();
		if (bpf_cpumask_test_cpu(prev_cpu, idle) &&
		    scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
			scx_bpf_put_idle_cpumask(idle);
			cpu = prev_cpu;
			stat_inc(ATLAS_STAT_SEL_PREV_CORE);
			goto direct;
		}
		scx_bpf_put_idle_cpumask(idle);
	}

	dmask = task_domain_mask(p, taskc);
	if (dmask) {
		cpu = scx_bpf_pick_idle_cpu(dmask, SCX_PICK_IDLE_CORE);
		if (cpu >= 0) {
			stat_inc(ATLAS_STAT_SEL_DOM_CORE);
			goto direct;
		}
	}
	if (bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr) &&
	    scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
		cpu = prev_cpu;
		stat_inc(ATLAS_STAT_SEL_PREV_IDLE);
		goto direct;
	}
	if (dmask) {
		cpu = scx_bpf_pick_idle_cpu(dmask, 0);
		if (cpu >= 0) {
			stat_inc(ATLAS_STAT_SEL_DOM_IDLE);
			goto direct;
		}
	}

	if (taskc->all_cpus) {
		node = node_of_domain(taskc->dom);
		if (domain_kind[taskc->dom & (ATLAS_MAX_DOMAINS - 1)] == ATLAS_KIND_EFFICIENCY &&
		    taskc->dcyc.avg > ATLAS_LOAD_ONE / 2) {
			cpu = pick_idle_in(MASK_PERFORMANCE, node);
			if (cpu >= 0) {
				stat_inc(ATLAS_STAT_SEL_PERF_CORE);
				goto direct;
			}
		}
		cpu = pick_idle_in(MASK_DIRECT_GREEDY, node);
		if (cpu >= 0) {
			/* The greedy mask may hold the task's own domain. */
			stat_inc(domain_of_cpu(cpu) == taskc->dom ? ATLAS_STAT_SEL_DOM_IDLE
								  : ATLAS_STAT_SEL_GREEDY);
			goto direct;
		}
		if (greedy_threshold_x_numa) {
			cpu = pick_idle_elsewhere(MASK_DIRECT_GREEDY, node);
			if (cpu >= 0) {
				stat_inc(ATLAS_STAT_SEL_GREEDY_XNUMA);
				goto direct;
			}
		}
	}
	stat_inc(ATLAS_STAT_SEL_BUSY);
	return prev_cpu;

direct:
	atlas_dsq_insert(p, SCX_DSQ_LOCAL, tune_slice_ns, 0);
	return cpu;
}

void BPF_STRUCT_OPS(atlas_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	const struct cpumask *dmask;
	u64 slice = tune_slice_ns, deadline;
	u32 dom;
	s32 cpu;

	if (!taskc) {
		atlas_dsq_insert(p, SCX_DSQ_GLOBAL, slice, enq_flags);
		return;
	}
	apply_migration(p, taskc);
	if ((p->flags & PF_KTHREAD) && (p->nr_cpus_allowed == 1 || kthreads_local)) {
		stat_inc(ATLAS_STAT_ENQ_KTHREAD_LOCAL);
		atlas_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags);
		return;
	}
	dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1);

	/*
	 * SCX_ENQ_LAST: its slice is over but nothing else wants this CPU.
	 * Keep running it here unless it now belongs to another domain.
	 */
	if ((enq_flags & SCX_ENQ_LAST) && domain_of_cpu(scx_bpf_task_cpu(p)) == dom) {
		stat_inc(ATLAS_STAT_ENQ_LAST);
		atlas_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags);
		return;
	}

	/*
	 * The kernel never calls select_cpu for a task allowed on one CPU: if
	 * that CPU is idle, send the task there; else queue it on its domain
	 * (which holds that CPU) to compete fairly with the domain's tasks.
	 */
	if (p->nr_cpus_allowed == 1) {
		stat_inc(ATLAS_STAT_ENQ_PINNED);
		cpu = scx_bpf_task_cpu(p);
		if (scx_bpf_test_and_clear_cpu_idle(cpu)) {
			stat_inc(ATLAS_STAT_ENQ_PINNED_IDLE);
			atlas_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice, enq_flags);
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
			return;
		}
	}
	dmask = task_domain_mask(p, taskc);
	deadline = fifo_sched ? 0 : task_deadline(taskc, clamp_vtime(taskc, dom, slice), slice);
	stat_inc(ATLAS_STAT_ENQ_DOMAIN);
	queue_on_domain(p, dom, slice, deadline, enq_flags);

	/* Make sure a CPU comes for it: an idle one of its domain... */
	cpu = dmask ? scx_bpf_pick_idle_cpu(dmask, 0) : -1;
	if (cpu >= 0) {
		stat_inc(ATLAS_STAT_ENQ_KICK_DOMAIN);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	/*
	 * ... or, for a waking task, a busy one running a later deadline. The
	 * kicked CPU takes the head of the domain's queue, which may be an
	 * earlier task than this one: queued tasks are never overtaken.
	 */
	if (wakeup_preempt && !fifo_sched && (enq_flags & SCX_ENQ_WAKEUP) && dmask &&
	    (cpu = preempt_victim(p, taskc, dmask, dom, deadline)) >= 0) {
		stat_inc(ATLAS_STAT_ENQ_PREEMPT);
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
		return;
	}
	/* ... or an idle one allowed to steal it (a greedy one). */
	if (!taskc->all_cpus)
		return;
	cpu = greedy_threshold ? pick_idle_in(MASK_KICK_GREEDY, node_of_domain(dom)) : -1;
	if (cpu < 0 && greedy_threshold_x_numa)
		cpu = pick_idle_elsewhere(MASK_KICK_GREEDY, node_of_domain(dom));
	if (cpu >= 0) {
		stat_inc(ATLAS_STAT_ENQ_KICK_GREEDY);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	}
}

void BPF_STRUCT_OPS(atlas_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 dom = domain_of_cpu(cpu), node = node_of_domain(dom), i, d;

	if (atlas_dsq_move_to_local(dom)) {
		stat_inc(ATLAS_STAT_DISPATCH_DOMAIN);
		return;
	}
	if (greedy_threshold) {
		bpf_for(i, 1, nr_domains)
		{
			d = (dom + i) % nr_domains;
			if (node_of_domain(d) != node ||
			    scx_bpf_dsq_nr_queued(d) < (s32)greedy_threshold)
				continue;
			if (atlas_dsq_move_to_local(d)) {
				stat_inc(ATLAS_STAT_DISPATCH_STEAL);
				return;
			}
		}
	}
	if (greedy_threshold_x_numa) {
		bpf_for(i, 1, nr_domains)
		{
			d = (dom + i) % nr_domains;
			if (node_of_domain(d) == node ||
			    scx_bpf_dsq_nr_queued(d) < (s32)greedy_threshold_x_numa)
				continue;
			if (atlas_dsq_move_to_local(d)) {
				stat_inc(ATLAS_STAT_DISPATCH_STEAL_XNUMA);
				return;
			}
		}
	}
	stat_inc(ATLAS_STAT_DISPATCH_NONE);
}

void BPF_STRUCT_OPS(atlas_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p), *wtaskc;
	struct task_struct *waker;
	u64 now = bpf_ktime_get_ns();

	if (!taskc)
		return;
	if (!taskc->runnable) { /* count a runnable task once, whatever calls us */
		ravg_update(&taskc->dcyc, now);
		taskc->dcyc.cur = ATLAS_LOAD_ONE;
		taskc->runnable = true;
		taskc->weight = p->scx.weight;
		dom_load_adjust(taskc->dom, taskc->weight, 1, 0, 0, now);
	}

	if (!(enq_flags & SCX_ENQ_WAKEUP))
		return;
	taskc->blocked_freq = freq_update(taskc->blocked_freq, now - taskc->last_blocked_at);
	waker = (void *)bpf_get_current_task_btf();
	wtaskc = bpf_task_storage_get(&task_ctxs, waker, 0, 0);
	if (wtaskc) {
		wtaskc->waker_freq = freq_update(wtaskc->waker_freq, now - wtaskc->last_woke_at);
		wtaskc->last_woke_at = now;
	}
}

void BPF_STRUCT_OPS(atlas_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	u64 now = bpf_ktime_get_ns();

	if (!taskc || !taskc->runnable)
		return;
	ravg_update(&taskc->dcyc, now);
	taskc->dcyc.cur = 0;
	taskc->runnable = false;
	taskc->last_blocked_at = now;
	dom_load_adjust(taskc->dom, -(s64)taskc->weight, -1, 0, 0, now);
}

void BPF_STRUCT_OPS(atlas_set_weight, struct task_struct *p, u32 weight)
{
	struct task_ctx *taskc = lookup_task_ctx(p);

	if (!taskc)
		return;
	if (taskc->runnable)
		dom_load_adjust(taskc->dom, (s64)weight - taskc->weight, 0, 0, 0,
				bpf_ktime_get_ns());
	taskc->weight = weight;
}

void BPF_STRUCT_OPS(atlas_running, struct task_struct *p)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	struct cpu_run *run;
	u32 dom;

	if (!taskc)
		return;
	taskc->run_start = bpf_ktime_get_ns();
	dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1);
	/* Placed straight on a CPU by select_cpu, it skipped enqueue's clamp. */
	clamp_vtime(taskc, dom, tune_slice_ns);
	if (vtime_before(domain_vtime_now[dom], taskc->vtime))
		domain_vtime_now[dom] = taskc->vtime;
	if (wakeup_preempt && (run = cpu_run_of(bpf_get_smp_processor_id()))) {
		run->deadline = task_deadline(taskc, taskc->vtime, tune_slice_ns);
		run->started_at = taskc->run_start;
		run->avg_runtime = taskc->avg_runtime;
		run->dom = dom;
		/* Per-CPU kthreads run briefly and others wait for them. */
		run->preemptible = !((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1);
	}
}

/* Records the task in its domain's ring of recently active tasks. */
static __always_inline void snapshot_task(struct task_struct *p, struct task_ctx *taskc, u64 now)
{
	struct atlas_task_snap *snap;
	struct atlas_dom_load *dl;
	u32 dom = taskc->dom & (ATLAS_MAX_DOMAINS - 1), key;

	if (now - taskc->snap_at < ATLAS_SNAP_MIN_NS)
		return;
	taskc->snap_at = now;
	dl = bpf_map_lookup_elem(&dom_loads, &dom);
	if (!dl)
		return;
	key = dom * ATLAS_SNAP_SLOTS +
	      (__sync_fetch_and_add(&dl->snap_cursor, 1) % ATLAS_SNAP_SLOTS);
	snap = bpf_map_lookup_elem(&task_snaps, &key);
	if (!snap)
		return;
	ravg_update(&taskc->dcyc, now);
	__sync_lock_test_and_set(&snap->uid, 0); /* readers skip it while rewritten */
	snap->updated_at = now;
	snap->dcyc = taskc->dcyc.avg;
	snap->dcyc_cur = taskc->dcyc.cur;
	snap->pid = p->pid;
	snap->dom = dom;
	snap->weight = taskc->weight;
	snap->flags = taskc->all_cpus ? ATLAS_TASK_ALL_CPUS : 0;
	snap->allowed_doms[0] = taskc->allowed_doms[0];
	snap->allowed_doms[1] = taskc->allowed_doms[1];
	__sync_lock_test_and_set(&snap->uid, taskc->uid);
}

void BPF_STRUCT_OPS(atlas_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	u64 now = bpf_ktime_get_ns(), used;
	struct atlas_cpu_busy *busy;
	u32 cpu = bpf_get_smp_processor_id();
	struct cpu_run *run;

	if (wakeup_preempt && (run = cpu_run_of(cpu)))
		run->preemptible = 0;
	if (!taskc)
		return;
	used = now - taskc->run_start;
	taskc->vtime += used * 100 / (taskc->weight ?: 100);
	taskc->avg_runtime = (taskc->avg_runtime * 3 + used) / 4;
	busy = bpf_map_lookup_elem(&cpu_busy, &cpu);
	if (busy)
		busy->busy_ns += used;
	snapshot_task(p, taskc, now);
}

void BPF_STRUCT_OPS(atlas_set_cpumask, struct task_struct *p, const struct cpumask *cpumask)
{
	struct task_ctx *taskc = lookup_task_ctx(p);
	u32 dom;

	if (!taskc)
		return;
	compute_allowed(p, taskc, cpumask);
	if (bit_test(taskc->allowed_doms, taskc->dom))
		return;
	dom = pick_domain(p, taskc);
	move_task(taskc, dom, bpf_ktime_get_ns());
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
	taskc->weight = p->scx.weight;
	taskc->dcyc.updated_at = now;
	compute_allowed(p, taskc, p->cpus_ptr);
	taskc->dom = pick_domain(p, taskc);
	dom_load_adjust(taskc->dom, 0, 0, 1, 0, now);
	return 0;
}

void BPF_STRUCT_OPS(atlas_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	struct task_ctx *taskc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	u64 now = bpf_ktime_get_ns();

	struct atlas_migration *m;
	u32 pid = p->pid;

	if (!taskc)
		return;
	if (taskc->runnable)
		dom_load_adjust(taskc->dom, -(s64)taskc->weight, -1, 0, 0, now);
	dom_load_adjust(taskc->dom, 0, 0, -1, 0, now);
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
		move_task(taskc, pick_domain(p, taskc), bpf_ktime_get_ns());
	taskc->vtime = domain_vtime_now[taskc->dom & (ATLAS_MAX_DOMAINS - 1)];
}

/* ---- greedy masks, rebuilt when the tuner changes its domain bitmaps ---- */

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

void BPF_STRUCT_OPS(atlas_tick, struct task_struct *p)
{
	struct task_ctx *taskc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	u32 pid = p->pid;

	maybe_rebuild_greedy_masks();
	/* A task that keeps its CPU never reaches stopping: snapshot it here. */
	if (taskc)
		snapshot_task(p, taskc, bpf_ktime_get_ns());
	/*
	 * A task that never sleeps and has its CPU to itself is never
	 * enqueued again: end its slice so that a pending migration is seen.
	 */
	if (migrations_pending > 0 && bpf_map_lookup_elem(&migrations, &pid))
		p->scx.slice = 0;
	if (debug_inject_error_after_ns &&
	    bpf_ktime_get_ns() - load_time_ns > debug_inject_error_after_ns)
		scx_bpf_error("injected error after %llu ms (--debug_inject_error_after)",
			      debug_inject_error_after_ns / 1000000);
}

/* ---- init and exit ------------------------------------------------------ */

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

s32 BPF_STRUCT_OPS_SLEEPABLE(atlas_init)
{
	u32 d;
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
	bpf_rcu_read_lock();
	maybe_rebuild_greedy_masks();
	bpf_rcu_read_unlock();
	load_time_ns = bpf_ktime_get_ns();
	return 0;
}

void BPF_STRUCT_OPS(atlas_exit, struct scx_exit_info *ei)
{
	atlas_record_exit(&exit_info, ei);
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
	.init = (void *)atlas_init,
	.exit = (void *)atlas_exit,
	/* Be asked before a task whose slice ended is kept on an idle CPU. */
	.flags = SCX_OPS_ENQ_LAST,
	.name = "atlas",
};

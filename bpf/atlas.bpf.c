// SPDX-License-Identifier: GPL-2.0-only
/*
 * scx_atlas: the BPF half of a split-architecture load balancer.
 *
 * a. Domains. CPUs are grouped into scheduling domains (by default one per
 *    last-level cache; userspace builds the layout from the hwloc topology and
 *    hands it over as rodata: cpu_domain[] and domain_node[]). Each domain owns
 *    one dispatch queue (DSQ id = domain id), created on the domain's NUMA
 *    node, so a task queued in a domain is run by a CPU that shares its cache.
 *    ops.init also turns the layout into cpumasks (bpf_cpumask kptrs in
 *    array maps): one per domain, per NUMA node and per core (its SMT
 *    siblings), and counts them back into topo_check, which userspace
 *    compares with what it sent before it reports the scheduler enabled.
 *
 * b. Wake-up. select_cpu lets the kernel's default idle picker look for an
 *    idle CPU near the previous one (it prefers a whole idle SMT core, then
 *    the previous CPU, then the LLC, then the node). When it finds one, the
 *    task goes straight to that CPU's local DSQ and skips enqueue.
 *
 * c. Queueing. Otherwise enqueue puts the task on the DSQ of the domain of
 *    the CPU it was assigned to, ordered by weighted virtual time: a task's
 *    vtime advances by runtime * 100 / weight while it runs, and a task that
 *    slept cannot come back with more than one slice of credit (its vtime is
 *    clamped to the domain's current vtime minus one slice). --fifo makes the
 *    queues plain FIFOs. Per-CPU kthreads bypass the domains: they go to their
 *    CPU's local DSQ, as they can run nowhere else and often unblock others.
 *    If an idle CPU is allowed for the task, it is kicked so it can pull.
 *
 * d. Dispatch. A CPU that runs out of work takes the head of its own domain's
 *    DSQ; if that is empty it steals from the other domains, nearest id first.
 *    Stealing is what keeps this version work-conserving; the planner-driven
 *    balancing, duty-cycle load tracking and NUMA-aware steal thresholds of
 *    the full design are built on top of this skeleton.
 *
 * e. Exit. ops.exit copies the exit kind, reason and message into
 *    exit_info; userspace polls it, reports it, and turns an error exit into
 *    a non-zero exit status.
 *
 * Limits: ATLAS_MAX_CPUS CPUs and ATLAS_MAX_DOMAINS domains (shared/intf.h).
 * Every queued task is in exactly one DSQ, so a task is never lost; the
 * kernel's watchdog (30 s) ejects the scheduler if a runnable task starves.
 */
#include "bpf/atlas_common.bpf.h"

char _license[] SEC("license") = "GPL";

/*
 * Tunables, set by userspace before load; the defaults let the object load
 * on its own. Globals use __u32/__u64: the skeleton repeats the type names
 * in C++, where u32 does not exist.
 */
const volatile __u32 nr_cpu_ids = 1;
const volatile __u32 nr_domains = 1;
const volatile __u64 slice_ns = SCX_SLICE_DFL;
const volatile bool fifo_sched = false;
const volatile __u64 debug_inject_error_after_ns = 0; /* tests: 0 = never */
const volatile __u32 nr_cores = 1;
const volatile __u32 cpu_domain[ATLAS_MAX_CPUS]; /* ATLAS_NO_DOMAIN: offline */
const volatile __u32 cpu_core[ATLAS_MAX_CPUS]; /* index of the CPU's core */
const volatile __s32 domain_node[ATLAS_MAX_DOMAINS];

/* Written by BPF, read by userspace. */
struct atlas_exit_info exit_info;
struct atlas_topo_check topo_check;

/*
 * Topology cpumasks, built by ops.init from the rodata layout: one per
 * domain, per NUMA node (indexed by node id) and per core (SMT siblings).
 */
struct mask_ctx {
	struct bpf_cpumask __kptr *mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ATLAS_MAX_DOMAINS);
	__type(key, u32);
	__type(value, struct mask_ctx);
} domain_masks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ATLAS_MAX_NODES);
	__type(key, u32);
	__type(value, struct mask_ctx);
} node_masks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ATLAS_MAX_CPUS);
	__type(key, u32);
	__type(value, struct mask_ctx);
} core_masks SEC(".maps");

/* The newest vtime a task of each domain started running with. */
static u64 domain_vtime_now[ATLAS_MAX_DOMAINS];
static u64 load_time_ns;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct atlas_cpu_stats);
} stats SEC(".maps");

static __always_inline void stat_inc(enum atlas_stat idx)
{
	u32 zero = 0;
	struct atlas_cpu_stats *s = bpf_map_lookup_elem(&stats, &zero);

	if (s && idx < ATLAS_NR_STATS)
		s->counters[idx]++;
}

static __always_inline u32 domain_of_cpu(s32 cpu)
{
	if (cpu < 0 || cpu >= ATLAS_MAX_CPUS)
		return 0;
	return cpu_domain[cpu & (ATLAS_MAX_CPUS - 1)] & (ATLAS_MAX_DOMAINS - 1);
}

s32 BPF_STRUCT_OPS(atlas_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle) {
		stat_inc(ATLAS_STAT_DIRECT_IDLE);
		atlas_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(atlas_enqueue, struct task_struct *p, u64 enq_flags)
{
	u32 dom;
	u64 vtime;
	s32 cpu;

	if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
		stat_inc(ATLAS_STAT_ENQ_KTHREAD_LOCAL);
		atlas_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		return;
	}

	dom = domain_of_cpu(scx_bpf_task_cpu(p));
	stat_inc(ATLAS_STAT_ENQ_DOMAIN);
	if (fifo_sched) {
		atlas_dsq_insert(p, dom, slice_ns, enq_flags);
	} else {
		vtime = p->scx.dsq_vtime;
		/* A long sleeper brings back at most one slice of credit. */
		if (vtime_before(vtime, domain_vtime_now[dom] - slice_ns))
			vtime = domain_vtime_now[dom] - slice_ns;
		atlas_dsq_insert_vtime(p, dom, slice_ns, vtime, enq_flags);
	}

	cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	if (cpu >= 0) {
		stat_inc(ATLAS_STAT_ENQ_KICK_IDLE);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	}
}

void BPF_STRUCT_OPS(atlas_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 dom = domain_of_cpu(cpu), i;

	if (atlas_dsq_move_to_local(dom)) {
		stat_inc(ATLAS_STAT_DISPATCH_DOMAIN);
		return;
	}
	for (i = 1; i < ATLAS_MAX_DOMAINS; i++) {
		if (i >= nr_domains)
			break;
		if (atlas_dsq_move_to_local((dom + i) % nr_domains)) {
			stat_inc(ATLAS_STAT_DISPATCH_STEAL);
			return;
		}
	}
	stat_inc(ATLAS_STAT_DISPATCH_NONE);
}

void BPF_STRUCT_OPS(atlas_running, struct task_struct *p)
{
	u32 dom = domain_of_cpu(scx_bpf_task_cpu(p));

	if (vtime_before(domain_vtime_now[dom], p->scx.dsq_vtime))
		domain_vtime_now[dom] = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(atlas_stopping, struct task_struct *p, bool runnable)
{
	u64 used = slice_ns - p->scx.slice;

	if (p->scx.slice > slice_ns)
		used = 0;
	p->scx.dsq_vtime += used * 100 / (p->scx.weight ?: 100);
}

void BPF_STRUCT_OPS(atlas_enable, struct task_struct *p)
{
	p->scx.dsq_vtime = domain_vtime_now[domain_of_cpu(scx_bpf_task_cpu(p))];
}

void BPF_STRUCT_OPS(atlas_tick, struct task_struct *p)
{
	if (debug_inject_error_after_ns &&
	    bpf_ktime_get_ns() - load_time_ns > debug_inject_error_after_ns)
		scx_bpf_error("injected error after %llu ms (--debug_inject_error_after)",
			      debug_inject_error_after_ns / 1000000);
}

/* Gives entries [0, nr) of a mask map an empty cpumask each. */
static __always_inline s32 create_masks(void *map, u32 nr)
{
	struct bpf_cpumask *mask;
	struct mask_ctx *ctx;
	u32 i;

	bpf_for(i, 0, nr)
	{
		ctx = bpf_map_lookup_elem(map, &i);
		if (!ctx)
			return -ENOENT;
		mask = bpf_cpumask_create();
		if (!mask)
			return -ENOMEM;
		mask = bpf_kptr_xchg(&ctx->mask, mask);
		if (mask)
			bpf_cpumask_release(mask);
	}
	return 0;
}

/* Under RCU: the mask at map[idx], or NULL. */
static __always_inline struct bpf_cpumask *mask_of(void *map, u32 idx)
{
	struct mask_ctx *ctx = bpf_map_lookup_elem(map, &idx);

	return ctx ? ctx->mask : NULL;
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
	    (ret = create_masks(&core_masks, nr_cores)))
		return ret;

	bpf_rcu_read_lock();
	bpf_for(cpu, 0, nr_cpu_ids)
	{
		if (cpu >= ATLAS_MAX_CPUS)
			break;
		dom = cpu_domain[cpu];
		if (dom >= ATLAS_MAX_DOMAINS)
			continue; /* ATLAS_NO_DOMAIN: offline */
		node = (u32)domain_node[dom] & (ATLAS_MAX_NODES - 1);
		if ((mask = mask_of(&domain_masks, dom)))
			bpf_cpumask_set_cpu(cpu, mask);
		if ((mask = mask_of(&node_masks, node)))
			bpf_cpumask_set_cpu(cpu, mask);
		if ((mask = mask_of(&core_masks, cpu_core[cpu])))
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

	for (d = 0; d < ATLAS_MAX_DOMAINS; d++) {
		if (d >= nr_domains)
			break;
		ret = scx_bpf_create_dsq(d, domain_node[d]);
		if (ret) {
			scx_bpf_error("failed to create DSQ of domain %u on node %d: %d", d,
				      domain_node[d], ret);
			return ret;
		}
	}
	load_time_ns = bpf_ktime_get_ns();
	return 0;
}

void BPF_STRUCT_OPS(atlas_exit, struct scx_exit_info *ei)
{
	exit_info.kind = ei->kind;
	exit_info.exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
	bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
	__sync_fetch_and_add(&exit_info.exited, 1);
}

SEC(".struct_ops.link")
struct sched_ext_ops atlas_ops = {
	.select_cpu = (void *)atlas_select_cpu,
	.enqueue = (void *)atlas_enqueue,
	.dispatch = (void *)atlas_dispatch,
	.running = (void *)atlas_running,
	.stopping = (void *)atlas_stopping,
	.enable = (void *)atlas_enable,
	.tick = (void *)atlas_tick,
	.init = (void *)atlas_init,
	.exit = (void *)atlas_exit,
	.name = "atlas",
};

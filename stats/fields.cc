// SPDX-License-Identifier: GPL-2.0-only
#include "stats/fields.h"

#include <iterator>

namespace atlas {

const StatsField kTopFields[] = {
    {"mode", "String", "scheduling mode: balanced (BPF + planner) or user"},
    {"uptime_s", "F64", "seconds since the scheduler attached",
     "atlas_uptime_seconds", MetricKind::kGauge, 1},
    {"period_s", "F64",
     "seconds the deltas cover: since this client's previous request, or "
     "since the scheduler attached"},
    {"restarts", "U64", "reloads since start (e.g. after CPU hotplug)",
     "atlas_restarts", MetricKind::kCounter, 1},
    {"last_exit", "String",
     "the kernel's exit record (kind, reason, message) of the last exit "
     "scx_atlas reloaded after; empty before the first"},
    {"dispatch_total", "U64",
     "tasks dispatched from the domain queues (own domain + stolen)",
     "atlas_dispatch", MetricKind::kCounter, 1},
    {"select_total", "U64", "select_cpu decisions", "atlas_select",
     MetricKind::kCounter, 1},
    {"enqueue_total", "U64", "enqueue decisions", "atlas_enqueue",
     MetricKind::kCounter, 1},
    {"events", "Dict:String:U64",
     "every BPF event counter (shared/stats_table.h; scx_atlas --help_stats "
     "lists them)"},
    {"event_pct", "Dict:String:F64",
     "each select_cpu / enqueue / dispatch path as a percentage of its "
     "stage's total"},
    {"migrations_applied", "U64", "planner migrations applied by BPF",
     "atlas_migrations_applied", MetricKind::kCounter, 1},
    {"migrations_rejected", "U64",
     "planner migrations rejected (cpumask excludes the target) or stale "
     "(the task is gone)",
     "atlas_migrations_rejected", MetricKind::kCounter, 1},
    {"balance_passes", "U64", "planner balance passes", "atlas_balance_passes",
     MetricKind::kCounter, 1},
    {"last_pass_us", "F64", "microseconds the last balance pass took",
     "atlas_last_pass_seconds", MetricKind::kGauge, 1e-6},
    {"last_pass_requested", "U64", "migrations the last pass requested"},
    {"last_pass_read_us", "F64",
     "of the last pass: microseconds reading the snapshot",
     "atlas_last_pass_read_seconds", MetricKind::kGauge, 1e-6},
    {"last_pass_balance_us", "F64",
     "of the last pass: microseconds in the balancer's math",
     "atlas_last_pass_balance_seconds", MetricKind::kGauge, 1e-6},
    {"last_pass_write_us", "F64",
     "of the last pass: microseconds writing migration requests",
     "atlas_last_pass_write_seconds", MetricKind::kGauge, 1e-6},
    {"last_pass_tasks", "U64", "tasks in the last pass's snapshot",
     "atlas_last_pass_tasks", MetricKind::kGauge, 1},
    {"slice_us", "F64",
     "time slice in microseconds: the tuner's (--slice_policy=util), or "
     "the largest, shared out by queue depth (--slice_policy=depth)",
     "atlas_slice_seconds", MetricKind::kGauge, 1e-6},
    {"cpu_busy_pct", "F64", "average CPU utilization over the period",
     "atlas_cpu_busy_ratio", MetricKind::kGauge, 0.01},
    {"total_load", "F64",
     "machine load: sum over tasks of duty cycle x weight / 100 (1.0 = one "
     "always-runnable nice-0 task)",
     "atlas_load", MetricKind::kGauge, 1},
    {"load_per_cpu", "F64", "total_load / machine capacity in CPUs",
     "atlas_load_per_cpu", MetricKind::kGauge, 1},
    {"direct_greedy_domains", "Array:U64",
     "domains that may receive direct-greedy placements"},
    {"kick_greedy_domains", "Array:U64", "domains that may be kicked to steal"},
    {"user_scheduled", "U64",
     "user mode: tasks held by the userspace policy, not yet dispatched",
     "atlas_user_scheduled", MetricKind::kGauge, 1},
    {"user_running", "U64", "user mode: tasks running on a CPU now",
     "atlas_user_running", MetricKind::kGauge, 1},
    {"page_faults", "I64",
     "user mode: page faults of the scheduling thread since warm-up (must "
     "stay 0); -1 in balanced mode",
     "atlas_page_faults", MetricKind::kGauge, 1},
    {"heap_allocs", "I64",
     "user mode: allocations of the scheduling thread from the ordinary "
     "heap since warm-up (must stay 0: the locked arena serves it; "
     "mlockall hides these from page_faults); -1 in balanced mode",
     "atlas_heap_allocs", MetricKind::kGauge, 1},
    {"verified_insns", "Dict:String:U64",
     "per BPF program of the loaded scheduler: the instructions the kernel's "
     "verifier processed to load it (its cost to the verifier; tools/test "
     "checks it against results/verifier/baseline.tsv)"},
    {"cgroups_tracked", "I64",
     "cgroups scx_atlas keeps a weight factor for (--cgroup_weights); -1 "
     "when off or in user mode",
     "atlas_cgroups_tracked", MetricKind::kGauge, 1},
    {"cgroups", "Array:cgroup",
     "the 8 cgroups with the most runnable tasks below them (the root "
     "excluded): id (the inode number of its directory), level, weight "
     "(cpu.weight), factor (its own tasks' effective weight over their "
     "weight), runnable (summed duty cycles of its subtree's tasks)"},
    {"nodes", "Dict:U64:node", "per NUMA node"},
    {"domains", "Dict:U64:domain", "per domain (LLC by default)"},
};
const size_t kNrTopFields = std::size(kTopFields);

const StatsField kNodeFields[] = {
    {"domains", "Array:U64", "the node's domains"},
    {"capacity", "F64", "CPUs (of the fastest kind)", "capacity",
     MetricKind::kGauge, 1, "cap", "%6.1f"},
    {"load", "F64", "sum of its domains' loads", "load", MetricKind::kGauge, 1,
     "load", "%8.2f"},
    {"load_norm", "F64", "load / capacity", "load_per_cpu", MetricKind::kGauge,
     1, "norm", "%6.2f"},
    {"imbalance_pct", "F64",
     "load_norm vs the machine's load per CPU, in percent (+ busier)",
     "imbalance_ratio", MetricKind::kGauge, 0.01, "imbal", "%+6.1f%%"},
    {"runnable", "F64", "average number of runnable tasks", "runnable",
     MetricKind::kGauge, 1},
    {"nr_tasks", "U64", "tasks that belong to its domains", "tasks",
     MetricKind::kGauge, 1},
    {"util_pct", "F64", "average utilization of its CPUs over the period",
     "util_ratio", MetricKind::kGauge, 0.01, "util", "%5.1f%%"},
};
const size_t kNrNodeFields = std::size(kNodeFields);

const StatsField kDomainFields[] = {
    {"node", "U64", "NUMA node", "", MetricKind::kNone, 1, "node", "%4.0f"},
    {"cpus", "Array:U64", "CPU ids", "", MetricKind::kNone, 1, "cpus", "%-9s"},
    {"capacity", "F64", "CPUs (of the fastest kind)", "capacity",
     MetricKind::kGauge, 1},
    {"load", "F64", "sum over its tasks of duty cycle x weight / 100", "load",
     MetricKind::kGauge, 1, "load", "%7.2f"},
    {"load_norm", "F64", "load / capacity", "load_per_cpu", MetricKind::kGauge,
     1, "norm", "%5.2f"},
    {"imbalance_pct", "F64",
     "load_norm vs the machine's load per CPU, in percent (+ busier)",
     "imbalance_ratio", MetricKind::kGauge, 0.01, "imbal", "%+6.1f%%"},
    {"load_change", "F64", "load now minus load at the last balance pass",
     "load_change", MetricKind::kGauge, 1, "chg", "%+7.2f"},
    {"runnable", "F64", "average number of runnable tasks", "runnable",
     MetricKind::kGauge, 1, "runq", "%6.2f"},
    {"nr_tasks", "U64", "tasks that belong to it", "tasks", MetricKind::kGauge,
     1, "tasks", "%5.0f"},
    {"util_pct", "F64", "average utilization of its CPUs over the period",
     "util_ratio", MetricKind::kGauge, 0.01, "util", "%5.1f%%"},
    {"direct_greedy", "Bool", "may receive direct-greedy placements",
     "direct_greedy", MetricKind::kGauge, 1},
    {"kick_greedy", "Bool", "may be kicked to steal", "kick_greedy",
     MetricKind::kGauge, 1},
};
const size_t kNrDomainFields = std::size(kDomainFields);

const StatsField kCgroupFields[] = {
    {"id", "U64", "cgroup id: the inode number of its directory"},
    {"level", "U64", "depth below the root (1: a top-level cgroup)"},
    {"weight", "U64", "cpu.weight"},
    {"factor", "F64",
     "its own tasks' effective weight over their weight (what its share "
     "and its ancestors' leave each of them)"},
    {"runnable", "F64", "summed duty cycles of the tasks below it"},
};
const size_t kNrCgroupFields = std::size(kCgroupFields);

}  // namespace atlas

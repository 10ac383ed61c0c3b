// SPDX-License-Identifier: GPL-2.0-only
//
// stats/sample.h: the raw figures the stats report is computed from, read at
// one instant: cumulative BPF counters and per-CPU busy time, every domain's
// current load, and what the planner last did. Two samples give the deltas
// a client sees (see stats/report.h). Filled by the runner from the BPF
// side's maps and the planner's status, or by hand in tests.
//
// Thread safety: plain values.
#ifndef SCX_ATLAS_STATS_SAMPLE_H_
#define SCX_ATLAS_STATS_SAMPLE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace atlas {

struct DomainSample {
  int node = 0;
  std::vector<int> cpus;  // CPU ids
  double capacity = 1;    // in CPUs of the fastest kind
  double load = 0;        // sum(duty cycle x weight / 100), running average
  double runnable = 0;    // average number of runnable tasks
  uint64_t nr_tasks = 0;  // tasks that belong to the domain now
  double load_at_last_pass = 0;  // `load` when the planner last balanced
  bool direct_greedy = false;    // may receive direct-greedy placements
  bool kick_greedy = false;      // may be kicked to steal
};

// One cgroup (--cgroup_weights; planner/cgroup_shares.h).
struct CgroupSample {
  uint64_t id = 0;      // the cgroup id (inode number of its directory)
  uint32_t level = 0;   // 0: the root
  uint32_t weight = 0;  // cpu.weight
  double factor = 1;    // its tasks' weight multiplier
  double runnable = 0;  // summed duty cycles of its subtree's tasks
};

struct StatsSample {
  std::string mode = "balanced";
  uint64_t at_ns = 0;       // CLOCK_MONOTONIC when sampled
  uint64_t started_ns = 0;  // CLOCK_MONOTONIC when the scheduler attached
  std::vector<uint64_t> counters;     // cumulative, by enum atlas_stat
  std::vector<uint64_t> cpu_busy_ns;  // cumulative, by CPU id
  std::vector<DomainSample> domains;  // by domain id
  uint64_t slice_ns = 0;
  bool load_balance = true;
  uint64_t balance_passes = 0;        // cumulative
  uint64_t last_pass_ns = 0;          // how long the last pass took
  uint64_t last_pass_requested = 0;   // migrations it requested
  uint64_t last_pass_read_ns = 0;     // ... of it: reading the snapshot
  uint64_t last_pass_balance_ns = 0;  // ... the balancer's math
  uint64_t last_pass_write_ns = 0;    // ... writing the requests
  uint64_t last_pass_tasks = 0;       // tasks the snapshot held
  uint64_t restarts = 0;              // reloads after CPU hotplug etc.
  // The kernel's exit record of the last exit the process reloaded after
  // (runtime/exit_info.h's words, the kernel's reason and message); "" before
  // the first. Set by the run loop, not by the modes.
  std::string last_exit;
  // Per BPF program of this load: the instructions the verifier processed.
  std::map<std::string, uint64_t> verified_insns;
  int64_t cgroups_tracked = -1;       // cgroups with a slot; -1: off
  std::vector<CgroupSample> cgroups;  // the busiest, most runnable first
  // User mode (--mode=user); zero / -1 in balanced mode.
  uint64_t user_scheduled = 0;  // tasks held by the userspace policy
  uint64_t user_running = 0;    // tasks running on a CPU
  int64_t page_faults = -1;     // of the scheduling thread since warm-up
  int64_t heap_allocs = -1;     // ... its operator new calls since warm-up
};

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_SAMPLE_H_

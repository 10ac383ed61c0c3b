// SPDX-License-Identifier: GPL-2.0-only
//
// planner/snapshot.h: what the planner sees of the machine at one instant:
// every domain's load as plain numbers, and the tasks as the BPF side lays
// them out (the task_snaps array, one slot per task, read in place: only
// the source domains' tasks are decoded). Filled from the mmap'ed maps by
// BpfLoadSource, or from a buffer in tests and benchmarks.
//
// Thread safety: plain values; the slots may be written by BPF meanwhile
// (planner/task_slots.h says how they are read).
#ifndef SCX_ATLAS_PLANNER_SNAPSHOT_H_
#define SCX_ATLAS_PLANNER_SNAPSHOT_H_

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "shared/intf.h"

namespace atlas {

using DomainSet = std::bitset<ATLAS_MAX_DOMAINS>;

// One task as the planner uses it (decoded from its slot).
struct TaskLoad {
  uint64_t uid = 0;
  uint32_t pid = 0;
  int domain = 0;
  double duty_cycle = 0;  // 0..1, fraction of time runnable
  uint32_t weight = 100;  // 100 = nice 0
  DomainSet allowed;      // domains its cpumask reaches
};

struct DomainState {
  double load = 0;      // sum(duty cycle x weight / 100) of its tasks
  double runnable = 0;  // sum(duty cycle) of its tasks
};

struct LoadSnapshot {
  std::vector<DomainState> domains;  // indexed by domain id
  // The task slots in use, [0, nr_slots); a slot of uid 0 is free.
  const atlas_task_snap* slots = nullptr;
  size_t nr_slots = 0;
  uint64_t now_ns = 0;  // duty cycles are decayed to this instant
  uint64_t half_life_ns = 1'000'000'000;
  // Slots not written for longer belong to tasks that have not run lately
  // (a running task's slot is rewritten every ATLAS_SNAP_MIN_NS).
  uint64_t max_age_ns = std::numeric_limits<uint64_t>::max();
  // The weight cap the domain loads were counted with (BPF's
  // load_weight_cap, set from an earlier plan's weight_cap): a task's
  // weight counts in `load` up to it. Infinity: uncapped.
  double weight_cap = std::numeric_limits<double>::infinity();
  // cgroup weights (planner/cgroup_shares.h): the factor of each cgroup
  // slot, which BPF applies to its tasks' weights (EffectiveWeight in
  // task_slots.h); null: none.
  const uint64_t* cgroup_factors = nullptr;
  size_t nr_cgroup_factors = 0;
};

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_SNAPSHOT_H_

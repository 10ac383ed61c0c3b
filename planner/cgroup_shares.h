// SPDX-License-Identifier: GPL-2.0-only
//
// planner/cgroup_shares.h: cgroup CPU weights, the arithmetic (the BPF side
// is bpf/atlas_cgroup.bpf.h). Pure: reads the cgroup slots and the task
// snapshots as BPF lays them out, writes one factor per slot.
//
// The model is the kernel's group scheduling, flattened: inside a cgroup,
// its runnable tasks (by their weight) and its active child cgroups (by
// their cpu.weight) share what the cgroup gets; a task's effective weight
// is its weight x the product, down from the root, of cpu.weight(c) /
// active(c) for each cgroup c on its path below the root. active(c) is the
// weight competing inside c while c has anything runnable: its tasks'
// weights x duty cycles plus each child's cpu.weight x the child's
// activity (its subtree's summed duty cycles, at most 1), divided by c's
// own activity (at most 1), so a lone task that runs half the time still
// gets all of its cgroup's weight when it runs. An idle cgroup counts as
// one nice-0 task (what a task that wakes up there first finds). The root
// cgroup's own tasks keep their weight (factor 1).
#ifndef SCX_ATLAS_PLANNER_CGROUP_SHARES_H_
#define SCX_ATLAS_PLANNER_CGROUP_SHARES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "shared/intf.h"

namespace atlas {

struct CgroupShare {
  uint64_t id = 0;
  int slot = -1;
  int parent = -1;      // slot, -1 for the root or an unknown parent
  uint32_t weight = 0;  // cpu.weight
  uint32_t level = 0;
  double tasks = 0;    // duty cycles of its own tasks, summed
  double subtree = 0;  // ... of its whole subtree
  double active = 0;   // the weight competing inside it (see above)
  double factor = 1;   // its tasks' weight multiplier
};

class CgroupShares {
 public:
  // Reads slots [0, nr_cgroups) and the task slots [0, nr_tasks) (fresh
  // ones only: written within max_age_ns of now_ns), duty cycles decayed
  // to now_ns with half_life_ns; sets factors()[slot] (EncodeFactor; 0 for
  // a free slot).
  void Compute(const atlas_cgroup* cgroups, size_t nr_cgroups,
               const atlas_task_snap* tasks, size_t nr_tasks, uint64_t now_ns,
               uint64_t half_life_ns, uint64_t max_age_ns);
  // The same from per-slot sums instead of task snapshots (user mode):
  // runnable[slot], how many of its own tasks were runnable on average,
  // and weighted[slot], the same x their weights (100 = nice 0), for slots
  // [0, nr_cgroups).
  void ComputeFromSums(const atlas_cgroup* cgroups, size_t nr_cgroups,
                       const double* runnable, const double* weighted);
  const std::vector<uint64_t>& factors() const { return factors_; }
  // The `n` cgroups below the root whose subtrees had the most runnable
  // tasks, busiest first; and how many slots are in use.
  std::vector<CgroupShare> Busiest(size_t n) const;
  int Tracked() const { return static_cast<int>(order_.size()); }
  // The cgroups in use, by slot (slot -1: free).
  const std::vector<CgroupShare>& shares() const { return shares_; }

 private:
  // The slots in use into shares_ (id, weight, level, parent), in order_.
  void ReadSlots(const atlas_cgroup* cgroups, size_t nr_cgroups);
  // From each cgroup's own tasks' sums (tasks, active) to the factors.
  void Propagate();

  std::vector<CgroupShare> shares_;
  std::vector<uint64_t> factors_;  // as BPF reads them (8 bytes each)
  std::vector<int> order_;
  absl::flat_hash_map<uint64_t, int> slot_of_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_CGROUP_SHARES_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/cgroup_weigher.h: cgroup CPU weights in user mode. BPF counts,
// per cgroup slot, the time its tasks were runnable and that time x their
// weights (atlas_cgroup_runnable); every Update turns the counters' growth
// since the last one into how many tasks of each cgroup were runnable on
// average (decayed with a half-life), works out the factors with
// planner/cgroup_shares (the same model as balanced mode's) and writes
// them where BPF reads them: each queued task's eff_weight then carries its
// cgroup's share.
//
// Thread safety: one thread calls Update (it allocates: not the scheduling
// thread); the maps are shared with BPF and read with atomic loads.
#ifndef SCX_ATLAS_USERSCHED_CGROUP_WEIGHER_H_
#define SCX_ATLAS_USERSCHED_CGROUP_WEIGHER_H_

#include <cstdint>
#include <vector>

#include "planner/cgroup_shares.h"
#include "shared/intf.h"

namespace atlas::user {

struct CgroupMaps {
  const atlas_cgroup* slots = nullptr;              // ATLAS_MAX_CGROUPS
  const uint32_t* slots_used = nullptr;             // BPF's cgroup_slots_used
  const atlas_cgroup_runnable* runnable = nullptr;  // ATLAS_MAX_CGROUPS
  uint64_t* factors = nullptr;  // ATLAS_MAX_CGROUPS, written
};

class CgroupWeigher {
 public:
  CgroupWeigher(const CgroupMaps& maps, uint64_t half_life_ns)
      : maps_(maps), half_life_ns_(half_life_ns) {}

  // Reads the counters at now_ns (CLOCK_MONOTONIC), updates every slot's
  // averages and writes the factors. The first call takes the counters'
  // starting values (every cgroup counts as idle until the next).
  void Update(uint64_t now_ns);

  // The last factors' inputs and results (cgroup_shares.h).
  const CgroupShares& shares() const { return shares_; }

 private:
  struct Slot {
    uint64_t id = 0;  // the cgroup the averages are of (0: none yet)
    uint64_t runnable_ns = 0, weighted_ns = 0;  // the counters last read
  };

  CgroupMaps maps_;
  uint64_t half_life_ns_;
  uint64_t last_ns_ = 0;
  std::vector<Slot> slots_;
  std::vector<double> runnable_, weighted_;  // decayed averages, per slot
  CgroupShares shares_;
};

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_CGROUP_WEIGHER_H_

// SPDX-License-Identifier: GPL-2.0-only
#include "planner/cgroup_shares.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "planner/task_slots.h"

namespace atlas {

void CgroupShares::ReadSlots(const atlas_cgroup* cgroups, size_t nr_cgroups) {
  const size_t n = std::min<size_t>(nr_cgroups, ATLAS_MAX_CGROUPS);
  shares_.assign(n, CgroupShare{});
  factors_.assign(n, 0);
  slot_of_.clear();
  order_.clear();
  for (size_t i = 0; i < n; ++i) {
    const uint64_t id = __atomic_load_n(&cgroups[i].id, __ATOMIC_ACQUIRE);
    if (id == 0) continue;
    CgroupShare& c = shares_[i];
    c.id = id;
    c.slot = static_cast<int>(i);
    c.weight = std::clamp<uint32_t>(
        __atomic_load_n(&cgroups[i].weight, __ATOMIC_RELAXED), 1, 10000);
    c.level = __atomic_load_n(&cgroups[i].level, __ATOMIC_RELAXED);
    slot_of_[id] = c.slot;
    order_.push_back(c.slot);
  }
  for (int i : order_) {
    const uint64_t parent = cgroups[i].parent_id;
    if (shares_[i].level == 0 || parent == 0) continue;
    auto it = slot_of_.find(parent);
    if (it != slot_of_.end()) shares_[i].parent = it->second;
  }
}

void CgroupShares::ComputeFromSums(const atlas_cgroup* cgroups,
                                   size_t nr_cgroups, const double* runnable,
                                   const double* weighted) {
  ReadSlots(cgroups, nr_cgroups);
  for (int i : order_) {
    shares_[i].tasks = std::max(runnable[i], 0.0);
    shares_[i].active = std::max(weighted[i], 0.0);
  }
  Propagate();
}

void CgroupShares::Compute(const atlas_cgroup* cgroups, size_t nr_cgroups,
                           const atlas_task_snap* tasks, size_t nr_tasks,
                           uint64_t now_ns, uint64_t half_life_ns,
                           uint64_t max_age_ns) {
  ReadSlots(cgroups, nr_cgroups);
  const size_t n = shares_.size();
  // Each cgroup's own tasks: weight x duty cycle, and duty cycles.
  for (size_t t = 0; t < nr_tasks; ++t) {
    atlas_task_snap s;
    if (tasks[t].cgroup >= n || !ReadSlot(tasks[t], &s) ||
        !SlotFresh(s.updated_at, now_ns, max_age_ns) || s.cgroup >= n ||
        shares_[s.cgroup].slot < 0) {
      continue;
    }
    const atlas_ravg dcyc = {s.dcyc, s.dcyc_cur, s.updated_at};
    const double d = RavgAt(dcyc, now_ns, half_life_ns);
    shares_[s.cgroup].tasks += d;
    shares_[s.cgroup].active += d * s.weight;
  }
  Propagate();
}

void CgroupShares::Propagate() {
  const size_t n = shares_.size();
  // Bottom up (deepest first): a child's activity and weight reach its
  // parent. `active` holds the summed competing weight until divided.
  std::sort(order_.begin(), order_.end(), [&](int a, int b) {
    return shares_[a].level != shares_[b].level
               ? shares_[a].level > shares_[b].level
               : a < b;
  });
  std::vector<double> busy(n, 0);  // entities' activity inside each cgroup
  for (int i : order_) {
    busy[i] += shares_[i].tasks;
    shares_[i].subtree += shares_[i].tasks;
  }
  for (int i : order_) {
    CgroupShare& c = shares_[i];
    if (c.parent < 0) continue;
    const double activity = std::min(1.0, c.subtree);
    shares_[c.parent].subtree += c.subtree;
    shares_[c.parent].active += c.weight * activity;
    busy[c.parent] += activity;
  }
  for (int i : order_) {
    CgroupShare& c = shares_[i];
    c.active = busy[i] > 0 ? c.active / std::min(1.0, busy[i]) : 100.0;
    c.active = std::max(c.active, 1e-3);
  }
  // Top down: the factors.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    CgroupShare& c = shares_[*it];
    if (c.level == 0) {
      c.factor = 1;
    } else {
      const double above = c.parent >= 0 ? shares_[c.parent].factor : 1.0;
      c.factor = above * c.weight / c.active;
    }
    factors_[*it] = EncodeFactor(c.factor);
  }
}

std::vector<CgroupShare> CgroupShares::Busiest(size_t n) const {
  std::vector<CgroupShare> busiest;
  for (int i : order_) {
    if (shares_[i].level > 0) busiest.push_back(shares_[i]);
  }
  const size_t keep = std::min(busiest.size(), n);
  std::partial_sort(busiest.begin(), busiest.begin() + keep, busiest.end(),
                    [](const CgroupShare& a, const CgroupShare& b) {
                      return a.subtree > b.subtree;
                    });
  busiest.resize(keep);
  return busiest;
}

}  // namespace atlas

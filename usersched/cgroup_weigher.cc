// SPDX-License-Identifier: GPL-2.0-only
#include "usersched/cgroup_weigher.h"

#include <algorithm>
#include <cmath>

namespace atlas::user {

void CgroupWeigher::Update(uint64_t now_ns) {
  const size_t n = std::min<size_t>(
      __atomic_load_n(maps_.slots_used, __ATOMIC_ACQUIRE), ATLAS_MAX_CGROUPS);
  const bool first = last_ns_ == 0;
  const double dt =
      first || now_ns <= last_ns_ ? 0 : static_cast<double>(now_ns - last_ns_);
  if (!first && dt <= 0) return;
  last_ns_ = now_ns;
  if (slots_.size() < n) {
    slots_.resize(n);
    runnable_.resize(n, 0);
    weighted_.resize(n, 0);
  }
  // What the last interval's rate weighs against the older average.
  const double keep = dt > 0 && half_life_ns_ > 0
                          ? std::exp2(-dt / static_cast<double>(half_life_ns_))
                          : 0;
  for (size_t i = 0; i < n; ++i) {
    Slot& s = slots_[i];
    const uint64_t id = __atomic_load_n(&maps_.slots[i].id, __ATOMIC_ACQUIRE);
    const uint64_t r =
        __atomic_load_n(&maps_.runnable[i].runnable_ns, __ATOMIC_RELAXED);
    const uint64_t w =
        __atomic_load_n(&maps_.runnable[i].weighted_ns, __ATOMIC_RELAXED);
    if (id != s.id || dt <= 0) {
      // A new cgroup in this slot (or the first reading): its counters
      // start here. BPF's counts of a reused slot do not start over, so
      // only differences from now on count.
      s = {id, r, w};
      runnable_[i] = weighted_[i] = 0;
      continue;
    }
    const double rate_r = static_cast<double>(r - s.runnable_ns) / dt;
    const double rate_w = static_cast<double>(w - s.weighted_ns) / dt;
    s.runnable_ns = r;
    s.weighted_ns = w;
    runnable_[i] = runnable_[i] * keep + rate_r * (1 - keep);
    weighted_[i] = weighted_[i] * keep + rate_w * (1 - keep);
  }
  shares_.ComputeFromSums(maps_.slots, n, runnable_.data(), weighted_.data());
  const std::vector<uint64_t>& factors = shares_.factors();
  for (size_t i = 0; i < factors.size(); ++i) {
    // Not into a slot that BPF gave another cgroup meanwhile (its factor,
    // 0 = none yet, stays until the next update).
    if (factors[i] != 0 &&
        __atomic_load_n(&maps_.slots[i].id, __ATOMIC_ACQUIRE) == slots_[i].id) {
      __atomic_store_n(&maps_.factors[i], factors[i], __ATOMIC_RELAXED);
    }
  }
}

}  // namespace atlas::user

// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_load_source.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace atlas {

void BpfLoadSource::SetWeightCap(double cap) {
  // BPF counts whole weights; 0 is "none". A cap rounds up (a task is
  // capped a little less, never more).
  uint32_t w = 0;
  if (std::isfinite(cap)) {
    w = static_cast<uint32_t>(
        std::clamp(std::ceil(cap * ATLAS_WEIGHT_SCALE), 1.0, 1e9));
  }
  sched_->SetLoadWeightCap(w);
}

void BpfLoadSource::ReadSnapshot(uint64_t now_ns, LoadSnapshot* out) {
  const uint32_t cap = sched_->LoadWeightCap();
  out->weight_cap = cap ? static_cast<double>(cap) / ATLAS_WEIGHT_SCALE
                        : std::numeric_limits<double>::infinity();
  out->domains.clear();
  for (const DomainLoad& d : sched_->ReadDomainLoads(now_ns)) {
    out->domains.push_back({d.load, d.runnable});
  }
  // The tasks are read in place by the balancer.
  out->slots = sched_->task_snap_slots();
  out->nr_slots = sched_->nr_task_snap_slots();
  out->now_ns = now_ns;
  out->half_life_ns = sched_->load_half_life_ns();
  out->max_age_ns = max_age_ns_;
  out->cgroup_factors =
      sched_->cgroup_weights() ? sched_->cgroup_factors() : nullptr;
  out->nr_cgroup_factors = sched_->nr_cgroup_slots();
}

}  // namespace atlas

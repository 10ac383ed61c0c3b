// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_load_source.h"

#include "scheduler/task_snaps.h"

namespace atlas {

void BpfLoadSource::ReadSnapshot(uint64_t now_ns, LoadSnapshot* out) {
  out->domains.clear();
  for (const DomainLoad& d : sched_->ReadDomainLoads(now_ns)) {
    out->domains.push_back({d.load, d.runnable});
  }
  out->tasks.clear();
  for (const atlas_task_snap& s :
       reader_.Read(sched_->task_snap_slots(), sched_->nr_task_snap_slots())) {
    if (now_ns > s.updated_at && now_ns - s.updated_at > max_age_ns_) continue;
    out->tasks.push_back(
        TaskLoadFromSnap(s, now_ns, sched_->load_half_life_ns()));
  }
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_load_source.h"

#include "scheduler/ravg.h"

namespace atlas {

LoadSnapshot BpfLoadSource::ReadSnapshot(uint64_t now_ns) {
  LoadSnapshot out;
  for (const DomainLoad& d : sched_->ReadDomainLoads(now_ns)) {
    out.domains.push_back({d.load, d.runnable});
  }
  const std::vector<atlas_task_snap> snaps = sched_->ReadTaskSnaps();
  out.tasks.reserve(snaps.size());
  for (const atlas_task_snap& s : snaps) {
    if (now_ns > s.updated_at && now_ns - s.updated_at > max_age_ns_) continue;
    TaskLoad t;
    t.uid = s.uid;
    t.pid = s.pid;
    t.domain = static_cast<int>(s.dom);
    // Decay the duty cycle to now, as the domain loads are.
    const atlas_ravg dcyc = {s.dcyc, s.dcyc_cur, s.updated_at};
    t.duty_cycle = RavgAt(dcyc, now_ns, sched_->load_half_life_ns());
    t.weight = s.weight;
    for (int w = 0; w < ATLAS_DOM_WORDS; ++w) {
      for (int b = 0; b < 64; ++b) {
        if ((s.allowed_doms[w] >> b) & 1) t.allowed.set(w * 64 + b);
      }
    }
    out.tasks.push_back(t);
  }
  return out;
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/bpf_load_source.h: the planner's LoadSource over a live
// BpfScheduler: snapshots come from the mmap'ed dom_loads and task_snaps
// arrays (no syscall), migrations go to the migrations map (one update
// each), tunings to the BPF globals.
//
// Thread safety: as BpfScheduler; one thread.
#ifndef SCX_ATLAS_SCHEDULER_BPF_LOAD_SOURCE_H_
#define SCX_ATLAS_SCHEDULER_BPF_LOAD_SOURCE_H_

#include <cstdint>
#include <vector>

#include "planner/planner.h"
#include "scheduler/bpf_scheduler.h"

namespace atlas {

class BpfLoadSource : public LoadSource {
 public:
  // Tasks whose newest snapshot is older than `max_age_ns` are left out:
  // they have not run lately.
  BpfLoadSource(BpfScheduler* sched, uint64_t max_age_ns)
      : sched_(sched), max_age_ns_(max_age_ns) {}

  void ReadSnapshot(uint64_t now_ns, LoadSnapshot* out) override;
  std::vector<uint64_t> ReadCpuBusy() override { return sched_->ReadCpuBusy(); }
  absl::Status RequestMigration(uint32_t pid, uint64_t uid,
                                int domain) override {
    return sched_->RequestMigration(pid, uid, static_cast<uint32_t>(domain));
  }
  void ApplyTuning(const Tuning& tuning) override {
    sched_->ApplyTuning(tuning);
  }
  void SetWeightCap(double cap) override;

 private:
  BpfScheduler* sched_;
  uint64_t max_age_ns_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_BPF_LOAD_SOURCE_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/bpf_scheduler.h: owns the BPF side of scx_atlas (bpf/atlas.bpf.c)
// through its libbpf skeleton: open, fill the rodata from the domain layout
// and the config, load (verifier), attach as the kernel's sched_ext
// scheduler, read counters and the exit record, detach.
//
// Thread safety: one thread drives an instance; Exited() and ReadStats()
// only read shared memory and may be called from any thread.
#ifndef SCX_ATLAS_SCHEDULER_BPF_SCHEDULER_H_
#define SCX_ATLAS_SCHEDULER_BPF_SCHEDULER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/intf.h"
#include "topology/domains.h"
#include "topology/topology.h"

struct atlas_bpf;  // the bpftool skeleton (bpf/atlas_bpf.skel.h)

namespace atlas {

struct SchedulerConfig {
  uint64_t slice_ns = 20'000'000;
  bool fifo = false;
  uint64_t debug_inject_error_after_ns = 0;  // 0 = never (tests only)
};

class BpfScheduler {
 public:
  // Opens and loads (verifies) the BPF program; does not attach.
  static absl::StatusOr<std::unique_ptr<BpfScheduler>> Load(
      const SchedulerConfig& config, const Topology& topology,
      const std::vector<Domain>& domains);
  ~BpfScheduler();  // detaches if attached
  BpfScheduler(const BpfScheduler&) = delete;
  BpfScheduler& operator=(const BpfScheduler&) = delete;

  // Makes it the kernel's sched_ext scheduler.
  absl::Status Attach();
  // Unregisters it; the kernel runs ops.exit before this returns and falls
  // back to its default scheduler.
  void Detach();

  // True once ops.exit has run (for any reason).
  bool Exited() const;
  atlas_exit_info ExitInfo() const;

  // What ops.init counted back from the cpumasks it built (after Attach).
  atlas_topo_check TopoCheck() const;

  // Counters summed over all CPUs, indexed by enum atlas_stat.
  absl::StatusOr<std::vector<uint64_t>> ReadStats() const;

 private:
  explicit BpfScheduler(struct ::atlas_bpf* skel) : skel_(skel) {}
  struct ::atlas_bpf* skel_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_BPF_SCHEDULER_H_

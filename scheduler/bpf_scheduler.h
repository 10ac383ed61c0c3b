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
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "planner/tuner.h"
#include "scheduler/bpf_util.h"
#include "scheduler/dom_load_avg.h"
#include "shared/intf.h"
#include "topology/domains.h"
#include "topology/topology.h"

struct atlas_bpf;  // the bpftool skeleton (bpf/atlas_bpf.skel.h)

namespace atlas {

struct SchedulerConfig {
  uint64_t slice_ns = 20'000'000;  // initial slice; the tuner may change it
  bool fifo = false;
  bool kthreads_local = false;
  uint32_t greedy_threshold = 1;          // 0 = never cross LLCs inside a node
  uint32_t greedy_threshold_x_numa = 0;   // 0 = never steal across nodes
  bool wake_sync = true;                  // honour wake-sync (the waker's CPU)
  bool wakeup_preempt = true;             // a waking task may preempt a hog
  uint64_t preempt_min_run_ns = 250'000;  // ... once it has run this long
  uint32_t slice_policy = ATLAS_SLICE_FIXED;
  uint64_t slice_max_ns = 20'000'000;
  uint64_t slice_min_ns = 1'000'000;
  uint64_t lag_budget_ns = 1'000'000'000;  // 0 = no lead cap
  uint32_t fork_balance = ATLAS_FORK_OFF;
  bool evict_guests = false;     // slice end: send guests back home
  bool kernel_idle_pick = true;  // scx_bpf_select_cpu_and where it exists
  bool load_tracking = true;     // false: experiments only
  bool cgroup_weights = true;    // bpf/atlas_cgroup.bpf.h
  uint64_t load_half_life_ns = 1'000'000'000;
  uint64_t debug_inject_error_after_ns = 0;  // 0 = never (tests only)
  uint32_t timeout_ms = 0;  // sched_ext watchdog; 0 = the kernel's default
  // The kernel's hotplug sequence number the layout was read at (0: none):
  // a CPU that came or went since makes the kernel restart us at attach.
  uint64_t hotplug_seq = 0;
};

// One domain's load as of a given time (plain numbers, 1.0 = one nice-0
// task always runnable for `load`, one task for `runnable`).
struct DomainLoad {
  double load = 0;      // average of sum(weight)/100 of runnable tasks
  double runnable = 0;  // average number of runnable tasks
  uint64_t nr_tasks = 0;
};

// StructOpsSkeleton's traits for bpf/atlas.bpf.c.
struct AtlasSkel {
  using Skel = ::atlas_bpf;
  static void Destroy(Skel* skel);
  static bpf_map* Ops(Skel* skel);
  static bpf_link*& Link(Skel* skel);
  static const atlas_exit_info* ExitRecord(const Skel* skel);
  static const char* ExitDump(const Skel* skel);
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
  // The kernel's debug dump of an error exit (empty otherwise).
  std::string ExitDump() const { return owner_.ExitDump(); }
  std::map<std::string, uint64_t> VerifiedInsns() const;

  // What ops.init counted back from the cpumasks it built (after Attach).
  atlas_topo_check TopoCheck() const;

  // Counters summed over all CPUs, indexed by enum atlas_stat.
  absl::StatusOr<std::vector<uint64_t>> ReadStats() const;

  // Every domain's load as of `now_ns` (CLOCK_MONOTONIC); no syscall.
  std::vector<DomainLoad> ReadDomainLoads(uint64_t now_ns) const;
  // A copy of every task's slot (tasks that never ran since their slot
  // was handed out have none yet); no syscall.
  std::vector<atlas_task_snap> ReadTaskSnaps() const;
  // The task_snaps slots themselves (mmap'ed, written by BPF meanwhile),
  // and how many are in use: [0, nr_task_snap_slots()).
  const atlas_task_snap* task_snap_slots() const { return task_snaps_; }
  size_t nr_task_snap_slots() const;
  // The cgroup slots (mmap'ed, read-only), [0, nr_cgroup_slots()) in use,
  // and the factors userspace writes (mmap'ed; bpf/atlas_cgroup.bpf.h).
  const atlas_cgroup* cgroup_slots() const { return cgroups_; }
  size_t nr_cgroup_slots() const;
  uint64_t* cgroup_factors() const { return cgroup_factors_; }
  bool cgroup_weights() const { return cgroup_weights_; }
  // Busy nanoseconds of each CPU id since load; no syscall.
  std::vector<uint64_t> ReadCpuBusy() const;

  // Asks BPF to move task (pid, uid) to `target_domain` at its next wake-up
  // or enqueue.
  absl::Status RequestMigration(uint32_t pid, uint64_t uid,
                                uint32_t target_domain);
  // Publishes a new slice and greedy masks (one generation bump).
  void ApplyTuning(const Tuning& tuning);
  // BPF's load_weight_cap: the weight up to which a task counts in its
  // domain's load (0: uncapped).
  void SetLoadWeightCap(uint32_t cap);
  uint32_t LoadWeightCap() const;

  int nr_domains() const { return nr_domains_; }
  uint64_t load_half_life_ns() const { return half_life_ns_; }

 private:
  BpfScheduler(struct ::atlas_bpf* skel, int nr_domains, int nr_cpu_ids,
               uint64_t half_life_ns)
      : owner_(skel),
        skel_(skel),
        nr_domains_(nr_domains),
        nr_cpu_ids_(nr_cpu_ids),
        half_life_ns_(half_life_ns) {}
  absl::Status MapShared();
  size_t DomCpuLoadsBytes() const {
    return sizeof(atlas_dom_cpu_load) * static_cast<size_t>(nr_cpu_ids_) *
           nr_domains_;
  }

  StructOpsSkeleton<AtlasSkel> owner_;
  struct ::atlas_bpf* skel_;  // owner_'s
  int nr_domains_;
  int nr_cpu_ids_;
  uint64_t half_life_ns_;
  // mmap'ed BPF_F_MMAPABLE arrays (read-only views).
  const atlas_dom_load* dom_loads_ = nullptr;
  const atlas_dom_cpu_load* dom_cpu_loads_ = nullptr;
  const atlas_task_snap* task_snaps_ = nullptr;
  const atlas_cpu_busy* cpu_busy_ = nullptr;
  const atlas_cgroup* cgroups_ = nullptr;
  uint64_t* cgroup_factors_ = nullptr;
  bool cgroup_weights_ = false;
  // Domain load averages, advanced by every ReadDomainLoads (the planner's
  // and the stats server's threads both read).
  mutable std::mutex load_mu_;
  mutable std::vector<DomainLoadAverage> load_avgs_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_BPF_SCHEDULER_H_

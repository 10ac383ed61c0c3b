// SPDX-License-Identifier: GPL-2.0-only
//
// planner/planner.h: the userspace loop's two steps, behind a small seam.
// LoadSource is all the planner knows of the BPF side (BpfLoadSource in
// scheduler/ implements it over the mmap'ed maps; tests use a fake). Each
// BalanceOnce reads one snapshot, runs the pure Balance() and writes the
// plan as migration requests; each TuneOnce turns per-CPU busy time since
// the previous call into utilization and publishes one Tuning.
//
// Thread safety: one thread drives a Planner.
#ifndef SCX_ATLAS_PLANNER_PLANNER_H_
#define SCX_ATLAS_PLANNER_PLANNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "planner/balancer.h"
#include "planner/snapshot.h"
#include "planner/tuner.h"

namespace atlas {

class LoadSource {
 public:
  virtual ~LoadSource() = default;
  // Fills `out` (its buffers are reused from pass to pass).
  virtual void ReadSnapshot(uint64_t now_ns, LoadSnapshot* out) = 0;
  // Busy nanoseconds per CPU id, monotonically increasing.
  virtual std::vector<uint64_t> ReadCpuBusy() = 0;
  virtual absl::Status RequestMigration(uint32_t pid, uint64_t uid,
                                        int domain) = 0;
  virtual void ApplyTuning(const Tuning& tuning) = 0;
  // The infeasible-weight cap to count domain loads with from now on
  // (Plan::weight_cap; infinity: none); the next snapshots report it.
  virtual void SetWeightCap(double cap) = 0;
};

// What the last BalanceOnce cost, phase by phase (zero without a clock).
struct PassCost {
  uint64_t read_ns = 0;     // reading the snapshot from the source
  uint64_t balance_ns = 0;  // Balance()
  uint64_t write_ns = 0;    // writing the migration requests
  uint64_t tasks = 0;       // tasks in the snapshot
};

struct PlannerLayout {
  std::vector<BalanceDomain> domains;
  std::vector<std::vector<int>> domain_cpus;
};

// Whether a plan's weight cap differs enough from the one the loads were
// counted with to tell BPF: the cap follows the set of recently active
// tasks and moves a little every pass; BPF hears of a change of more than
// a tenth, or to or from none, so the loads are counted with one cap for a
// while.
bool WeightCapChanged(double counted, double cap);

// --verbose's line for a balance pass: "pass: loads 2.77 0.46 -> 1.52 1.71
// (saturated: weights count, capped at 654); moved 164 0->1 (0.56), 44
// 0->1 (0.40)", or "...; no moves": each domain's load before and after
// the moves, in the units the pass used (duty cycles; once saturated, x
// weight, each weight capped at the infeasible-weight cap when one
// applies, given in p->scx.weight units), and each move's PID, domains
// and load.
std::string DescribePass(const Plan& plan);

class Planner {
 public:
  Planner(LoadSource* source, PlannerLayout layout, BalanceParams balance,
          TunerParams tuner)
      : source_(source),
        layout_(std::move(layout)),
        balance_(balance),
        tuner_(tuner) {}

  // Returns the plan it wrote (requests that failed to write are dropped).
  Plan BalanceOnce(uint64_t now_ns);
  Tuning TuneOnce(uint64_t now_ns);

  // A monotonic clock in ns to time each pass's phases with (the planner
  // reads no clock of its own); last_cost() is the last pass's split.
  void set_clock(uint64_t (*clock)()) { clock_ = clock; }
  const PassCost& last_cost() const { return last_cost_; }

 private:
  LoadSource* source_;
  PlannerLayout layout_;
  BalanceParams balance_;
  TunerParams tuner_;
  std::vector<uint64_t> last_busy_;
  uint64_t last_tune_ns_ = 0;
  uint64_t (*clock_)() = nullptr;
  PassCost last_cost_;
  LoadSnapshot snapshot_;  // kept across passes: its buffers are reused
};

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_PLANNER_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/dom_load_avg.h: a domain's load average from the exact
// per-(CPU, domain) counters BPF keeps (struct atlas_dom_cpu_load). BPF
// integrates the runnable weight and count over time; between two reads
// the mean is the difference of the integrals over the time between them,
// exactly, however often the weight changed. The average folds each
// window's mean in with the weight of the past halving every half-life:
//   avg(t1) = mean + (avg(t0) - mean) * 2^(-(t1 - t0) / half_life),
// which is the running average BPF used to keep for a window whose load
// is constant, and within a window's variation of it otherwise. Migrated
// tasks' load history (moved_load) joins the past average as it arrives.
// Pure; header only.
#ifndef SCX_ATLAS_SCHEDULER_DOM_LOAD_AVG_H_
#define SCX_ATLAS_SCHEDULER_DOM_LOAD_AVG_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "shared/intf.h"

namespace atlas {

// One domain's counters summed over CPUs, as of one instant.
struct DomainIntegrals {
  uint64_t weight_ns = 0;    // integral of the runnable weight, mod 2^64
  uint64_t runnable_ns = 0;  // integral of the runnable count, mod 2^64
  int64_t moved_load = 0;    // x ATLAS_LOAD_ONE, cumulative
  int64_t moved_runnable = 0;
};

// Adds one CPU's entry, run forward (or, for an entry written after
// `now_ns`, back) to `now_ns` at its current values. Unsigned arithmetic
// wraps, and so do the integrals: only differences are meaningful.
inline void AddCpuEntry(const atlas_dom_cpu_load& e, uint64_t now_ns,
                        DomainIntegrals* sum) {
  const uint64_t dt = now_ns - e.updated_at;
  sum->weight_ns += e.weight_ns + static_cast<uint64_t>(e.weight) * dt;
  sum->runnable_ns += e.runnable_ns + static_cast<uint64_t>(e.runnable) * dt;
  sum->moved_load += e.moved_load;
  sum->moved_runnable += e.moved_runnable;
}

class DomainLoadAverage {
 public:
  explicit DomainLoadAverage(uint64_t half_life_ns)
      : half_life_ns_(half_life_ns) {}

  // The averages start at 0 from this reading.
  void Start(const DomainIntegrals& at, uint64_t now_ns) {
    last_ = at;
    last_ns_ = now_ns;
    weight_ = runnable_ = 0;
    started_ = true;
  }

  // Folds in the window since the last reading. A reading not after the
  // last one changes nothing.
  void Advance(const DomainIntegrals& at, uint64_t now_ns) {
    if (!started_) {
      Start(at, now_ns);
      return;
    }
    if (now_ns <= last_ns_) return;
    const double dt = static_cast<double>(now_ns - last_ns_);
    const double decay =
        half_life_ns_ ? std::exp2(-dt / static_cast<double>(half_life_ns_))
                      : 0.0;
    const double mean_weight = static_cast<double>(static_cast<int64_t>(
                                   at.weight_ns - last_.weight_ns)) /
                               dt;
    const double mean_runnable = static_cast<double>(static_cast<int64_t>(
                                     at.runnable_ns - last_.runnable_ns)) /
                                 dt;
    // Migrated history is the moved tasks' part of the past average: it
    // joins (or leaves) the past, which then decays towards the window's
    // mean; the mean already counts them where they ran. (Added after the
    // decay instead, it counted them twice: a domain read a second after 6
    // of its 12 hogs left showed 0, their new one 12, and the planner moved
    // them back.)
    const double moved_weight =
        static_cast<double>(at.moved_load - last_.moved_load) / ATLAS_LOAD_ONE;
    const double moved_runnable =
        static_cast<double>(at.moved_runnable - last_.moved_runnable) /
        ATLAS_LOAD_ONE;
    weight_ = mean_weight + (weight_ + moved_weight - mean_weight) * decay;
    runnable_ =
        mean_runnable + (runnable_ + moved_runnable - mean_runnable) * decay;
    // A task counted on one CPU and uncounted on another between two
    // entries' copies can leave an empty domain a hair below 0.
    weight_ = std::max(0.0, weight_);
    runnable_ = std::max(0.0, runnable_);
    last_ = at;
    last_ns_ = now_ns;
  }

  double weight() const { return weight_; }      // average runnable weight
  double runnable() const { return runnable_; }  // average runnable tasks

 private:
  uint64_t half_life_ns_;
  bool started_ = false;
  DomainIntegrals last_;
  uint64_t last_ns_ = 0;
  double weight_ = 0;
  double runnable_ = 0;
};

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_DOM_LOAD_AVG_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// planner/tuner.h: the fast-path tuner. From each CPU's utilization since
// the last tune it decides which domains may receive direct-greedy
// placements (utilization under direct_greedy_under percent) and which may
// be kicked for greedy work (under kick_greedy_under), and the slice: long
// while the machine has idle time, short once every CPU is busy (latency
// matters more than throughput then). Pure.
#ifndef SCX_ATLAS_PLANNER_TUNER_H_
#define SCX_ATLAS_PLANNER_TUNER_H_

#include <cstdint>
#include <vector>

namespace atlas {

// What the tuner sets in the BPF side.
struct Tuning {
  uint64_t slice_ns = 0;            // 0 = leave as is
  std::vector<bool> direct_greedy;  // per domain
  std::vector<bool> kick_greedy;    // per domain
};

struct TunerParams {
  double direct_greedy_under = 90;  // percent
  double kick_greedy_under = 100;   // percent
  uint64_t slice_underutil_ns = 20'000'000;
  uint64_t slice_overutil_ns = 1'000'000;
  double full_util = 0.99;  // machine utilization that counts as "fully"
};

// `cpu_util[c]` in [0, 1] for each CPU id; `domain_cpus[d]` lists the CPUs of
// domain d.
Tuning Tune(const std::vector<double>& cpu_util,
            const std::vector<std::vector<int>>& domain_cpus,
            const TunerParams& params);

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_TUNER_H_

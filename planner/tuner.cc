// SPDX-License-Identifier: GPL-2.0-only
#include "planner/tuner.h"

namespace atlas {

Tuning Tune(const std::vector<double>& cpu_util,
            const std::vector<std::vector<int>>& domain_cpus,
            const TunerParams& params) {
  Tuning out;
  double total = 0;
  int nr_cpus = 0;
  for (const std::vector<int>& cpus : domain_cpus) {
    double sum = 0;
    for (int cpu : cpus) {
      const double u =
          cpu < static_cast<int>(cpu_util.size()) ? cpu_util[cpu] : 0;
      sum += u;
    }
    const double pct = cpus.empty() ? 100 : 100 * sum / cpus.size();
    out.direct_greedy.push_back(pct < params.direct_greedy_under);
    out.kick_greedy.push_back(pct < params.kick_greedy_under);
    total += sum;
    nr_cpus += static_cast<int>(cpus.size());
  }
  const bool full = nr_cpus > 0 && total / nr_cpus >= params.full_util;
  out.slice_ns = full ? params.slice_overutil_ns : params.slice_underutil_ns;
  return out;
}

}  // namespace atlas

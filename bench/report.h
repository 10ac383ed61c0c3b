// SPDX-License-Identifier: GPL-2.0-only
//
// bench/report.h: turns tools/bench's raw log into judged comparisons.
//
// The raw log has one line per fact (written by tools/bench and its guest
// half, tools/bench-guest.sh):
//   RESULT round=R variant=V workload=W value=X     a figure
//   COUNTERS round=R variant=V workload=W {json}    scheduler counters after
//                                                   the workload
//   ROUND round=R seconds=S order=a,b,c host_other_cpus=H
//                                                   one guest boot
//   EVENT round=R variant=V what=failed|ejected     something went wrong
// Everything else is ignored. A comparison of variant A with baseline B
// uses the rounds in which both have the figure: the per-round ratio A/B,
// its Hodges-Lehmann estimate and signed-rank interval (bench/stats.h),
// and a verdict that knows which direction is better for that figure.
//
// Pure: parsing and arithmetic only; the caller does the I/O.
#ifndef SCX_ATLAS_BENCH_REPORT_H_
#define SCX_ATLAS_BENCH_REPORT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/stats.h"
#include "nlohmann/json.hpp"

namespace atlas::bench {

struct MetricInfo {
  std::string label;  // what it measures, with its unit
  bool lower_is_better;
};

// Known figures; an unknown one is judged by its suffix (_s, _us: lower is
// better; anything else: higher).
MetricInfo DescribeMetric(const std::string& metric);

struct RoundInfo {
  double seconds = 0;
  std::vector<std::string> order;  // variants in the order they ran
  double host_other_cpus = 0;      // host CPUs busy with other work
};

struct RawLog {
  std::vector<std::string> variants;  // in order of first appearance
  std::vector<std::string> metrics;   // likewise
  // metric -> variant -> round -> value
  std::map<std::string, std::map<std::string, std::map<int, double>>> values;
  std::map<int, RoundInfo> rounds;
  // (round, variant, workload) -> counters
  std::vector<nlohmann::json> counters;
  std::vector<nlohmann::json> events;
};

RawLog ParseRawLog(const std::string& text);

struct Comparison {
  std::string metric, variant, baseline;
  std::vector<int> rounds;     // rounds with both figures
  std::vector<double> ratios;  // variant / baseline, per round
  double median_ratio = 0;
  Interval interval;  // of the ratio
  Verdict verdict = Verdict::kTooFew;
};

// Rounds whose host had more than `busy_host_cpus` CPUs busy with other
// work are left out when `drop_busy` is set.
Comparison Compare(const RawLog& log, const std::string& metric,
                   const std::string& variant, const std::string& baseline,
                   double level = 0.95, bool drop_busy = false,
                   double busy_host_cpus = 0.25);

}  // namespace atlas::bench

#endif  // SCX_ATLAS_BENCH_REPORT_H_

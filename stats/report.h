// SPDX-License-Identifier: GPL-2.0-only
//
// stats/report.h: the stats report ("top") as JSON, from two samples, and
// the metadata that describes every field of it (scx_stats' stats_meta).
// Counters are deltas since the earlier sample (none: since the scheduler
// attached); utilization is over the same period; loads are as of `now`.
// Pure.
#ifndef SCX_ATLAS_STATS_REPORT_H_
#define SCX_ATLAS_STATS_REPORT_H_

#include <string>

#include "nlohmann/json.hpp"
#include "stats/sample.h"

namespace atlas {

// The report. `prev` may be null, or from an earlier scheduler instance
// (then it is ignored).
nlohmann::json BuildReport(const StatsSample& now, const StatsSample* prev);

// {"top": {...}, "node": {...}, "domain": {...}}: every field of the
// report with its type and meaning, in scx_stats' layout.
nlohmann::json StatsMeta();

// The same as text, for --help_stats.
std::string DescribeStats();

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_REPORT_H_

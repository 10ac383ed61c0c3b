// SPDX-License-Identifier: GPL-2.0-only
//
// stats/format.h: the two ways a "top" report (stats/report.h) is shown to
// people and machines: a compact terminal table with per-domain load bars,
// and OpenMetrics (Prometheus) text exposition. Both tolerate missing or
// mistyped fields (the JSON may come from another version over the
// socket). Pure.
#ifndef SCX_ATLAS_STATS_FORMAT_H_
#define SCX_ATLAS_STATS_FORMAT_H_

#include <string>

#include "nlohmann/json.hpp"

namespace atlas {

std::string RenderTable(const nlohmann::json& top);

// Counters must be cumulative (request with "cumulative":"1"). Ends with
// "# EOF".
std::string RenderOpenMetrics(const nlohmann::json& top);

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_FORMAT_H_

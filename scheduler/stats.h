// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/stats.h: names and help text of the BPF counters, generated from
// shared/stats_table.h, and their one-line text form. Pure.
#ifndef SCX_ATLAS_SCHEDULER_STATS_H_
#define SCX_ATLAS_SCHEDULER_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shared/intf.h"

namespace atlas {

struct StatDesc {
  const char* name;
  const char* help;
};

inline constexpr StatDesc kStatDescs[ATLAS_NR_STATS] = {
#define ATLAS_STAT(id, name, help) {#name, help},
#include "shared/stats_table.h"
#undef ATLAS_STAT
};

// "direct_idle=12 enq_domain=40 ..." in table order.
std::string FormatStats(const std::vector<uint64_t>& counters);

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_STATS_H_

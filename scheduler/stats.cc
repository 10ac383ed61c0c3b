// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/stats.h"

#include "absl/strings/str_cat.h"

namespace atlas {

std::string FormatStats(const std::vector<uint64_t>& counters) {
  std::string out;
  for (size_t i = 0; i < counters.size() && i < ATLAS_NR_STATS; ++i) {
    absl::StrAppend(&out, i ? " " : "", kStatDescs[i].name, "=", counters[i]);
  }
  return out;
}

}  // namespace atlas

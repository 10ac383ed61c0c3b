// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/cgroup_stats.h: the busiest cgroups of a CgroupShares as the
// stats show them, for both modes (balanced mode's planner and user mode's
// weigher work the factors out the same way). Pure.
#ifndef SCX_ATLAS_SCHEDULER_CGROUP_STATS_H_
#define SCX_ATLAS_SCHEDULER_CGROUP_STATS_H_

#include <cstddef>
#include <vector>

#include "planner/cgroup_shares.h"
#include "stats/sample.h"

namespace atlas {

// How many cgroups the stats show (atlas_stats, OpenMetrics).
inline constexpr size_t kCgroupsShown = 8;

// The stats' cgroups: shown is the n busiest, how many are tracked.
inline void SetCgroupStats(const CgroupShares& shares, size_t n,
                           StatsSample* sample) {
  sample->cgroups.clear();
  for (const CgroupShare& c : shares.Busiest(n))
    sample->cgroups.push_back({c.id, c.level, c.weight, c.factor, c.subtree});
  sample->cgroups_tracked = shares.Tracked();
}

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_CGROUP_STATS_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/task_snaps.h: the planner's task list from the BPF side's
// task_snaps rings (ATLAS_SNAP_SLOTS per domain, as BPF lays them out),
// without the maps: pure functions over the slots' memory, so that tests
// and benchmarks can run them on a buffer.
//
// Thread safety: a slot may be rewritten by BPF while it is read; a copy
// whose uid changed meanwhile is skipped.
#ifndef SCX_ATLAS_SCHEDULER_TASK_SNAPS_H_
#define SCX_ATLAS_SCHEDULER_TASK_SNAPS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "planner/snapshot.h"
#include "shared/intf.h"

namespace atlas {

// The newest copy of each task found in `n` slots, in the order of their
// first slots (a task that changed domain, or ran often, sits in several
// slots; the same slots give the same order). The buffers
// live across calls: a pass allocates nothing once they have grown (fresh
// megabytes per pass cost a page fault per 4 KiB, 9x the pass at 50k tasks).
class TaskSnapReader {
 public:
  const std::vector<atlas_task_snap>& Read(const atlas_task_snap* slots,
                                           size_t n);

 private:
  std::vector<atlas_task_snap> out_;
  absl::flat_hash_map<uint64_t, uint32_t> index_;  // uid -> its place in out_
};

// The same, with buffers of its own (tests, one-off reads).
std::vector<atlas_task_snap> NewestTaskSnaps(const atlas_task_snap* slots,
                                             size_t n);

// One snapshot as the planner sees it at `now_ns`: its duty cycle decayed
// to now (as the domain loads are), its reachable domains as a set.
TaskLoad TaskLoadFromSnap(const atlas_task_snap& snap, uint64_t now_ns,
                          uint64_t half_life_ns);

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_TASK_SNAPS_H_

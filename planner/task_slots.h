// SPDX-License-Identifier: GPL-2.0-only
//
// planner/task_slots.h: the BPF side's task_snaps array as the planner
// reads it in place: one slot per task (shared/intf.h struct
// atlas_task_snap), written by BPF while it is read.
//
// Thread safety: a slot may be rewritten by BPF while it is read: ReadSlot
// copies it and rejects a copy whose uid changed meanwhile.
#ifndef SCX_ATLAS_PLANNER_TASK_SLOTS_H_
#define SCX_ATLAS_PLANNER_TASK_SLOTS_H_

#include <cmath>
#include <cstdint>

#include "planner/snapshot.h"
#include "shared/intf.h"

namespace atlas {

// The running average `r` at `now_ns`, as a plain number (1.0 =
// ATLAS_LOAD_ONE): cur + (avg - cur) * 2^(-(now - updated_at) / half_life).
inline double RavgAt(const atlas_ravg& r, uint64_t now_ns,
                     uint64_t half_life_ns) {
  const double cur = static_cast<double>(r.cur) / ATLAS_LOAD_ONE;
  const double avg = static_cast<double>(r.avg) / ATLAS_LOAD_ONE;
  if (now_ns <= r.updated_at || half_life_ns == 0) return avg;
  const double halves =
      static_cast<double>(now_ns - r.updated_at) / half_life_ns;
  return cur + (avg - cur) * std::exp2(-halves);
}

// Copies the slot; false if it is empty or was being rewritten (its uid
// was 0, or not the same before and after the copy).
inline bool ReadSlot(const atlas_task_snap& shared, atlas_task_snap* out) {
  const uint64_t uid = __atomic_load_n(&shared.uid, __ATOMIC_ACQUIRE);
  if (uid == 0) return false;
  __builtin_memcpy(out, &shared, sizeof(*out));
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  return __atomic_load_n(&shared.uid, __ATOMIC_RELAXED) == uid &&
         out->uid == uid;
}

// A slot as the planner sees it at `now_ns`: its duty cycle decayed to now
// (as the domain loads are), its reachable domains as a set.
TaskLoad TaskLoadFromSnap(const atlas_task_snap& snap, uint64_t now_ns,
                          uint64_t half_life_ns);

// Whether a slot written at `updated_at` is recent enough at `now_ns`.
inline bool SlotFresh(uint64_t updated_at, uint64_t now_ns,
                      uint64_t max_age_ns) {
  return (now_ns <= updated_at) | (now_ns - updated_at <= max_age_ns);
}

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_TASK_SLOTS_H_

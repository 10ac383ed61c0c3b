// SPDX-License-Identifier: GPL-2.0-only
#include "planner/task_slots.h"

namespace atlas {

TaskLoad TaskLoadFromSnap(const atlas_task_snap& s, uint64_t now_ns,
                          uint64_t half_life_ns) {
  TaskLoad t;
  t.uid = s.uid;
  t.pid = s.pid;
  t.domain = static_cast<int>(s.dom);
  const atlas_ravg dcyc = {s.dcyc, s.dcyc_cur, s.updated_at};
  t.duty_cycle = RavgAt(dcyc, now_ns, half_life_ns);
  t.weight = s.weight;
  for (int w = 0; w < ATLAS_DOM_WORDS; ++w) {
    t.allowed |= DomainSet(s.allowed_doms[w]) << (64 * w);
  }
  return t;
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/task_snaps.h"

#include <cstring>

#include "scheduler/ravg.h"

namespace atlas {

const std::vector<atlas_task_snap>& TaskSnapReader::Read(
    const atlas_task_snap* slots, size_t n) {
  out_.clear();
  index_.clear();  // keeps its capacity
  for (size_t i = 0; i < n; ++i) {
    // Accept the slot only if it was not being rewritten while we copied:
    // the same non-zero uid before and after the copy.
    const uint64_t uid = __atomic_load_n(&slots[i].uid, __ATOMIC_ACQUIRE);
    if (uid == 0) continue;
    atlas_task_snap snap;
    std::memcpy(&snap, &slots[i], sizeof(snap));
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&slots[i].uid, __ATOMIC_RELAXED) != uid ||
        snap.uid != uid) {
      continue;
    }
    const auto [it, inserted] =
        index_.try_emplace(uid, static_cast<uint32_t>(out_.size()));
    if (inserted) {
      out_.push_back(snap);
    } else if (snap.updated_at > out_[it->second].updated_at) {
      out_[it->second] = snap;
    }
  }
  return out_;
}

std::vector<atlas_task_snap> NewestTaskSnaps(const atlas_task_snap* slots,
                                             size_t n) {
  TaskSnapReader reader;
  return reader.Read(slots, n);
}

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

// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/ravg.h: reads a BPF running average (struct atlas_ravg) as of a
// given time, in floating point: avg(now) = cur + (avg - cur) *
// 2^(-(now - updated_at) / half_life). Pure; header only.
#ifndef SCX_ATLAS_SCHEDULER_RAVG_H_
#define SCX_ATLAS_SCHEDULER_RAVG_H_

#include <cmath>
#include <cstdint>

#include "shared/intf.h"

namespace atlas {

// The average at `now_ns`, as a plain number (1.0 = ATLAS_LOAD_ONE).
inline double RavgAt(const atlas_ravg& r, uint64_t now_ns,
                     uint64_t half_life_ns) {
  const double cur = static_cast<double>(r.cur) / ATLAS_LOAD_ONE;
  const double avg = static_cast<double>(r.avg) / ATLAS_LOAD_ONE;
  if (now_ns <= r.updated_at || half_life_ns == 0) return avg;
  const double halves =
      static_cast<double>(now_ns - r.updated_at) / half_life_ns;
  return cur + (avg - cur) * std::exp2(-halves);
}

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_RAVG_H_

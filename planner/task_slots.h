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

// A factor decoded once to be applied to many weights (ApplyFactor): the
// same result as BPF's effective_weight, wrap-around included.
struct FactorCode {
  uint64_t mult;   // ATLAS_WEIGHT_SCALE x the mantissa (x 1: none)
  uint64_t round;  // half of 2^shift (0: none)
  uint64_t lo;     // the least result (0: none, weight x scale as it is)
  uint64_t hi;     // the most (none: no bound, the product wraps at 32 bits)
  uint32_t shift;
};

inline FactorCode DecodeFactor(uint32_t f) {
  const uint32_t shift = ATLAS_FACTOR_SHIFT(f);
  if (f == 0 || shift > 63) return {ATLAS_WEIGHT_SCALE, 0, 0, ~uint64_t{0}, 0};
  return {uint64_t{ATLAS_WEIGHT_SCALE} * ATLAS_FACTOR_MANT(f),
          shift ? uint64_t{1} << (shift - 1) : 0, 1, ATLAS_MAX_EFF_WEIGHT,
          shift};
}

inline uint32_t ApplyFactor(uint32_t weight, const FactorCode& c) {
  const uint64_t w = (uint64_t{weight} * c.mult + c.round) >> c.shift;
  return static_cast<uint32_t>(w < c.lo ? c.lo : w > c.hi ? c.hi : w);
}

// A task's weight as BPF counts it (bpf/atlas_cgroup.bpf.h's
// effective_weight, the same rounding): `weight` x its cgroup's factor, x
// ATLAS_WEIGHT_SCALE.
inline uint32_t EffectiveWeight(uint32_t weight, uint32_t cgroup,
                                const uint64_t* factors, size_t nr_factors) {
  const uint32_t f = static_cast<uint32_t>(
      factors == nullptr || cgroup >= nr_factors
          ? 0
          : __atomic_load_n(&factors[cgroup], __ATOMIC_RELAXED));
  return ApplyFactor(weight, DecodeFactor(f));
}

// A factor (> 0) as BPF reads it: m / 2^s, 24 bits of mantissa.
inline uint32_t EncodeFactor(double factor) {
  int exp = 0;
  const double mant = std::frexp(factor, &exp);  // factor = mant x 2^exp
  // m = mant x 2^24 (in [2^23, 2^24)), s = 24 - exp, within [0, 63].
  int shift = 24 - exp;
  if (shift < 0) return 0xffffffu;  // the largest (2^24 - 1): clamp
  if (shift > 63) return 1u | (63u << 24);
  uint64_t m = static_cast<uint64_t>(std::llround(mant * (1 << 24)));
  if (m >= (1u << 24)) {  // rounded up to 2^24
    m >>= 1;
    if (--shift < 0) return 0xffffffu;
  }
  return static_cast<uint32_t>(m) | static_cast<uint32_t>(shift) << 24;
}

// The oldest write time of a fresh slot (written within max_age_ns of
// now_ns, or after it): a slot is fresh when updated_at >= this.
inline uint64_t OldestFresh(uint64_t now_ns, uint64_t max_age_ns) {
  return now_ns > max_age_ns ? now_ns - max_age_ns : 0;
}

inline bool SlotFresh(uint64_t updated_at, uint64_t now_ns,
                      uint64_t max_age_ns) {
  return updated_at >= OldestFresh(now_ns, max_age_ns);
}

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_TASK_SLOTS_H_

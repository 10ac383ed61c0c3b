// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/clock.h: the one clock userspace measures intervals with.
#ifndef SCX_ATLAS_SCHEDULER_CLOCK_H_
#define SCX_ATLAS_SCHEDULER_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace atlas {

// CLOCK_MONOTONIC in ns (vDSO: no syscall, no allocation). The BPF side's
// bpf_ktime_get_ns() reads the same clock.
inline uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 +
         static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_CLOCK_H_

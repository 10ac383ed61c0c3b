// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/bpf_util.h: what both BPF programs' owners (BpfScheduler for
// balanced mode, user::UserBpf for user mode) do the same way: attach a
// sched_ext struct_ops map, sum the per-CPU event counters, word errnos.
//
// Thread safety: ReadCounters may be called from any thread.
#ifndef SCX_ATLAS_SCHEDULER_BPF_UTIL_H_
#define SCX_ATLAS_SCHEDULER_BPF_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct bpf_map;
struct bpf_link;

namespace atlas {

// "Device or resource busy (errno 16)"; accepts -errno too.
std::string ErrnoText(int err);

// Makes `ops` the kernel's sched_ext scheduler.
absl::StatusOr<bpf_link*> AttachStructOps(bpf_map* ops);

// The per-CPU counters map (atlas_cpu_stats), summed over CPUs.
absl::StatusOr<std::vector<uint64_t>> ReadCounters(const bpf_map* stats);

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_BPF_UTIL_H_

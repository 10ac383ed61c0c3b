// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/user_mode.h: --mode=user. Every task is decided by a C++
// policy in this process (bpf/atlas_user.bpf.c hands them over through a
// ring). Prepare locks the process's memory and makes the arena and the
// policy; each step consumes the queued tasks, lets the policy dispatch and
// polls the ring briefly. From the first step on the scheduling thread
// allocates only from the locked arena. The lifecycle around it is the
// runtime's (runtime/run.h).
//
// Thread safety: see runtime/mode.h.
#ifndef SCX_ATLAS_USERSCHED_USER_MODE_H_
#define SCX_ATLAS_USERSCHED_USER_MODE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/mode.h"

namespace atlas::user {

struct UserOptions {
  std::string policy = "vtime";  // or "fifo"
  uint64_t slice_ns = 5'000'000;
  uint64_t lag_budget_ns = 1'000'000'000;  // the vtime policy's lead cap
  uint32_t watchdog_timeout_ms = 5000;
  bool cgroup_weights = true;              // usersched/cgroup_weigher.h
  bool keep_locked_pages_in_place = true;  // usersched/arena.h
  uint64_t debug_dispatch_delay_ns = 0;    // testing: hold tasks this long
  uint64_t debug_policy_slice_ns = 0;      // testing: every answer's slice
  int debug_policy_cpu = -1;               // testing: every answer's CPU
  size_t arena_bytes = size_t{64} << 20;
};

std::unique_ptr<Mode> MakeUserMode(const UserOptions& options);

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_USER_MODE_H_

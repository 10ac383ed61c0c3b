// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/user_runner.h: the --mode=user lifecycle. Preflight, build the
// layout, lock the process's memory, make the arena and the policy, load
// and attach bpf/atlas_user.bpf.c, then run the scheduling loop on the
// calling thread until SIGINT/SIGTERM or until the kernel ends the
// scheduler (e.g. its watchdog, when this process stops answering). The
// stats server and the --stats table run on threads of their own.
//
// Thread safety: call from the main thread only; installs signal handlers.
#ifndef SCX_ATLAS_USERSCHED_USER_RUNNER_H_
#define SCX_ATLAS_USERSCHED_USER_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scheduler/runner.h"

namespace atlas::user {

struct UserRunOptions {
  std::string policy = "vtime";  // or "fifo"
  uint64_t slice_ns = 5'000'000;
  uint64_t lag_budget_ns = 1'000'000'000;  // the vtime policy's lead cap
  uint32_t watchdog_timeout_ms = 5000;
  uint64_t debug_dispatch_delay_ns = 0;  // testing: hold tasks this long
  size_t arena_bytes = size_t{64} << 20;
  absl::Duration stats_table_interval = absl::ZeroDuration();
  std::string stats_socket;
  std::string metrics_listen;
  std::function<absl::StatusOr<Layout>()> make_layout;
};

int RunUser(const UserRunOptions& options);

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_USER_RUNNER_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/runner.h: the balanced-mode lifecycle. Preflight, load, attach,
// then wait until SIGINT/SIGTERM or until the kernel ends the scheduler;
// report the exit and return the process exit status (0 clean, 1 error).
// A scheduler that asks to be restarted (SCX_ECODE_ACT_RESTART, e.g. after
// CPU hotplug) is reloaded with a fresh topology. The stats server
// (stats/server.h) is started before the BPF side is loaded, serves from its
// own thread for the whole run (across restarts), and is stopped last.
//
// Thread safety: call from the main thread only; installs signal handlers.
#ifndef SCX_ATLAS_SCHEDULER_RUNNER_H_
#define SCX_ATLAS_SCHEDULER_RUNNER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "planner/balancer.h"
#include "planner/tuner.h"
#include "scheduler/bpf_scheduler.h"
#include "scheduler/clock.h"
#include "stats/server.h"
#include "topology/domains.h"
#include "topology/topology.h"

namespace atlas {

struct Layout {
  Topology topology;
  std::vector<Domain> domains;
};

struct RunOptions {
  SchedulerConfig scheduler;
  bool load_balance = true;  // --no_load_balance: the planner only tunes
  absl::Duration interval = absl::Seconds(2);
  absl::Duration tune_interval = absl::Milliseconds(100);
  BalanceParams balance;
  TunerParams tuner;
  absl::Duration stats_interval = absl::ZeroDuration();  // 0: final only
  // --stats: the human table (stats/format.h) this often; 0: never.
  absl::Duration stats_table_interval = absl::ZeroDuration();
  // The stats server's UNIX socket ("" = none) and optional /metrics.
  std::string stats_socket = kDefaultStatsSocket;
  std::string metrics_listen;
  // Testing: migration requests (pid -> domain) written when SIGUSR1
  // arrives; the pids' domains are then printed with every stats line.
  std::vector<std::pair<int, int>> debug_migrations;
  // Builds the domain layout; called again on restart.
  std::function<absl::StatusOr<Layout>()> make_layout;
};

int RunBalanced(const RunOptions& options);

// Prints "scx_atlas: <message>" on stderr; returns exit status 1.
int Fail(const absl::Status& status);

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_RUNNER_H_

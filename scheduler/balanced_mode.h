// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/balanced_mode.h: the default mode. BPF (bpf/atlas.bpf.c) places
// every task; each step runs the tuner every tune_interval and the planner
// every interval, and prints the counters every stats_interval. The
// lifecycle around it is the runtime's (runtime/run.h).
//
// Thread safety: see runtime/mode.h.
#ifndef SCX_ATLAS_SCHEDULER_BALANCED_MODE_H_
#define SCX_ATLAS_SCHEDULER_BALANCED_MODE_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "planner/balancer.h"
#include "planner/tuner.h"
#include "runtime/mode.h"
#include "scheduler/bpf_scheduler.h"

namespace atlas {

struct BalancedOptions {
  SchedulerConfig scheduler;
  bool load_balance = true;  // --no_load_balance: the planner only tunes
  absl::Duration interval = absl::Seconds(2);
  absl::Duration tune_interval = absl::Milliseconds(100);
  BalanceParams balance;
  TunerParams tuner;
  absl::Duration stats_interval = absl::ZeroDuration();  // 0: final only
  bool verbose = false;  // --verbose: a line for every balance pass
  // Testing (--debug_migrate): migration requests (pid -> domain) written
  // when SIGUSR1 arrives; the pids' domains are then printed with every
  // stats line. Its signal handler is installed only when this is set.
  std::vector<std::pair<int, int>> debug_migrations;
};

std::unique_ptr<Mode> MakeBalancedMode(const BalancedOptions& options);

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_BALANCED_MODE_H_

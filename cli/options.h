// SPDX-License-Identifier: GPL-2.0-only
//
// cli/options.h: scx_atlas's command line as plain values, their
// validation, and the configuration of each mode made from them. Pure: the
// flags themselves are defined and read in cli/flags_*.cc, so this can be
// tested without them.
#ifndef SCX_ATLAS_CLI_OPTIONS_H_
#define SCX_ATLAS_CLI_OPTIONS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/run.h"
#include "scheduler/balanced_mode.h"
#include "topology/domains.h"
#include "usersched/user_mode.h"

namespace atlas {

struct Options {
  // Common (cli/flags_common.cc).
  std::string mode = "balanced";
  int cache_level = 3;
  std::string cpumasks;
  bool show_topology = false;
  bool json = false;
  std::string hwloc_synthetic;
  std::string hwloc_xml;
  bool help_stats = false;
  double stats = 0;    // seconds between --stats tables; 0 = never
  double monitor = 0;  // seconds between --monitor tables; 0 = scheduling
  std::string stats_socket;
  std::string metrics_listen;
  absl::Duration lag_budget = absl::Seconds(1);
  bool cgroup_weights = true;  // both modes
  absl::Duration watchdog_timeout = absl::ZeroDuration();
  absl::Duration debug_load_delay = absl::ZeroDuration();
  std::string debug_online_file;  // "": the kernel's

  // Balanced mode (cli/flags_balanced.cc).
  bool fifo = false;
  bool kthreads_local = false;
  int greedy_threshold = 1;
  int greedy_threshold_x_numa = 0;
  bool wakeup_preempt = true;
  absl::Duration preempt_min_run = absl::Microseconds(250);
  bool wake_sync = true;
  std::string slice_policy = "fixed";
  absl::Duration slice_max = absl::Milliseconds(20);
  absl::Duration slice_min = absl::Milliseconds(1);
  std::string fork_balance = "off";
  bool evict_guests = false;
  bool kernel_idle_pick = true;
  bool debug_no_load_tracking = false;
  absl::Duration load_half_life = absl::Seconds(1);
  absl::Duration interval = absl::Seconds(2);
  absl::Duration tune_interval = absl::Milliseconds(100);
  bool no_load_balance = false;
  double domain_imbalance_pct = 5;
  double node_imbalance_pct = 17;
  int max_migrations = 32;
  double direct_greedy_under = 90;
  double kick_greedy_under = 100;
  absl::Duration slice_underutil = absl::Milliseconds(20);
  absl::Duration slice_overutil = absl::Milliseconds(1);
  std::string debug_migrate;
  absl::Duration stats_interval = absl::ZeroDuration();
  bool verbose = false;
  absl::Duration debug_inject_error_after = absl::ZeroDuration();

  // User mode (cli/flags_user.cc).
  std::string user_policy = "vtime";
  absl::Duration user_slice = absl::Milliseconds(5);
  bool user_compact_locked = false;
  absl::Duration debug_dispatch_delay = absl::ZeroDuration();
  absl::Duration debug_policy_slice = absl::ZeroDuration();
  int debug_policy_cpu = -1;

  // The flags given on the command line, by name.
  std::set<std::string> given;
};

// The flags that belong to one mode only.
extern const std::vector<std::string> kBalancedOnlyFlags;
extern const std::vector<std::string> kUserOnlyFlags;

// OK, or the first problem in one line ("--slice_min=50us: ..."): a value
// out of range, flags that exclude each other, or a flag of the other mode.
absl::Status Validate(const Options& options);

DomainOptions ToDomainOptions(const Options& options);
// For valid options.
BalancedOptions ToBalanced(const Options& options);
user::UserOptions ToUser(const Options& options);
RunConfig ToRunConfig(const Options& options);

}  // namespace atlas

#endif  // SCX_ATLAS_CLI_OPTIONS_H_

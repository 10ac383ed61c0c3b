// SPDX-License-Identifier: GPL-2.0-only
//
// cli/flags_common.cc: flags of both modes, of --show_topology and of
// --monitor. (--help lists flags by the file that defines them, so each mode's
// flags are listed together.)
#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "cli/flags.h"
#include "stats/server.h"

ABSL_FLAG(std::string, mode, "balanced",
          "balanced: BPF places every task, the planner balances domains "
          "(default). user: every task is decided by a C++ policy in this "
          "process (--user_policy).");
ABSL_FLAG(int, cache_level, 3,
          "Cache level whose instances become scheduling domains: 3 (LLC, "
          "default) or 2.");
ABSL_FLAG(std::string, cpumasks, "",
          "Explicit domains instead of caches: CPU lists separated by ',', "
          "ranges inside one domain joined by '+', e.g. 0-3,4-7 or "
          "0-3+8-11,4-7+12-15. Each domain must lie in one NUMA node.");
ABSL_FLAG(bool, show_topology, false,
          "Print the machine's domains and exit (needs neither root nor "
          "sched_ext).");
ABSL_FLAG(bool, json, false, "With --show_topology: print one JSON object.");
ABSL_FLAG(std::string, hwloc_synthetic, "",
          "With --show_topology: use this hwloc synthetic topology instead of "
          "the machine, e.g. \"pack:2 numa:2 l3:4 core:8 pu:2\".");
ABSL_FLAG(std::string, hwloc_xml, "",
          "Use this hwloc XML export instead of the machine's topology (with "
          "--show_topology, any; to schedule, its CPUs must be exactly the "
          "online ones), e.g. to give the scheduler CPU kinds (P/E cores) "
          "the firmware does not report.");
ABSL_FLAG(bool, help_stats, false,
          "List every statistics field with its meaning, and exit.");
ABSL_FLAG(double, stats, 0,
          "Print a stats table (loads per domain with bars, decision paths, "
          "migrations) every SECS seconds while scheduling; 0 = never.");
ABSL_FLAG(double, monitor, 0,
          "Do not schedule: connect to a running scx_atlas's stats socket and "
          "print its table every SECS seconds (waits while the socket is "
          "absent). Needs access to the socket (root by default).");
ABSL_FLAG(std::string, stats_socket, atlas::kDefaultStatsSocket,
          "UNIX socket of the stats server (scx_stats protocol, mode 0600); "
          "'none' = no server.");
ABSL_FLAG(std::string, metrics_listen, "",
          "Also serve OpenMetrics text on http://IPV4:PORT/metrics, e.g. "
          "127.0.0.1:9464; empty = no HTTP.");
ABSL_FLAG(absl::Duration, lag_budget, absl::Seconds(1),
          "No task is ahead of its domain's clock by more than this divided "
          "by the tasks queued: a task of any weight waits about this long "
          "plus one round of the queue at most. 0 = pure weighted vtime "
          "(a nice-19 task behind many hogs can wait until the watchdog).");
ABSL_FLAG(bool, cgroup_weights, true,
          "Honour cgroup CPU weights (cpu.weight, systemd's CPUWeight=): a "
          "cgroup's tasks together weigh what its cpu.weight says among its "
          "siblings, at every level; false: per-task weights only. Both "
          "modes (user mode: each queued task's eff_weight).");
ABSL_FLAG(absl::Duration, watchdog_timeout, absl::ZeroDuration(),
          "The kernel ejects the scheduler when a runnable task waits this "
          "long (sched_ext's timeout_ms, at most 30s). 0 = 5s in user mode, "
          "the kernel's default (30s) in balanced mode.");
ABSL_FLAG(absl::Duration, debug_load_delay, absl::ZeroDuration(),
          "Test hook: wait this long between reading the topology and "
          "loading the BPF program (at most 60s), so that a test can hot-plug "
          "a CPU in between.");

ABSL_FLAG(std::string, debug_online_file, "",
          "Test hook: read the online CPUs the running scheduler is checked "
          "against from this file instead of /sys/devices/system/cpu/online "
          "(a CPU of the layout missing there restarts the scheduler).");

namespace atlas {

void ReadCommonFlags(Options* o) {
  o->mode = absl::GetFlag(FLAGS_mode);
  o->cache_level = absl::GetFlag(FLAGS_cache_level);
  o->cpumasks = absl::GetFlag(FLAGS_cpumasks);
  o->show_topology = absl::GetFlag(FLAGS_show_topology);
  o->json = absl::GetFlag(FLAGS_json);
  o->hwloc_synthetic = absl::GetFlag(FLAGS_hwloc_synthetic);
  o->hwloc_xml = absl::GetFlag(FLAGS_hwloc_xml);
  o->help_stats = absl::GetFlag(FLAGS_help_stats);
  o->stats = absl::GetFlag(FLAGS_stats);
  o->monitor = absl::GetFlag(FLAGS_monitor);
  o->stats_socket = absl::GetFlag(FLAGS_stats_socket);
  o->debug_load_delay = absl::GetFlag(FLAGS_debug_load_delay);
  o->debug_online_file = absl::GetFlag(FLAGS_debug_online_file);
  o->metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  o->lag_budget = absl::GetFlag(FLAGS_lag_budget);
  o->watchdog_timeout = absl::GetFlag(FLAGS_watchdog_timeout);
  o->cgroup_weights = absl::GetFlag(FLAGS_cgroup_weights);
}

}  // namespace atlas

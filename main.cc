// SPDX-License-Identifier: GPL-2.0-only
//
// scx_atlas: a split-architecture sched_ext load balancer. This thin main
// owns every flag, turns them into plain config structs, and hands over to
// the libraries. The policy is described at the top of bpf/atlas.bpf.c.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "scheduler/runner.h"
#include "stats/cli.h"
#include "stats/report.h"
#include "stats/server.h"
#include "topology/domains.h"
#include "topology/hwloc_loader.h"
#include "topology/show.h"
#include "usersched/user_runner.h"

ABSL_FLAG(bool, fifo, false,
          "Order each domain's queue first-in first-out instead of by "
          "weighted virtual time.");
ABSL_FLAG(bool, kthreads_local, false,
          "Send every per-CPU kernel thread straight to its CPU (kthreads "
          "bound to one CPU always are).");
ABSL_FLAG(int, greedy_threshold, 1,
          "Steal from another domain of the same NUMA node when it queues at "
          "least this many tasks; 0 = never.");
ABSL_FLAG(int, greedy_threshold_x_numa, 0,
          "Steal from a domain of another NUMA node when it queues at least "
          "this many tasks, and allow direct-greedy placement across nodes; "
          "0 = never (the default).");
ABSL_FLAG(bool, wakeup_preempt, true,
          "A waking task with no idle CPU in its domain takes a CPU from a "
          "hog (a task that keeps using up its slice) running a later "
          "deadline; tasks that block on their own are never preempted.");
ABSL_FLAG(absl::Duration, preempt_min_run, absl::Microseconds(250),
          "With --wakeup_preempt: a task runs at least this long before a "
          "waking task may preempt it.");
ABSL_FLAG(bool, wake_sync, true,
          "On a wake-sync wake-up, the waker's CPU may take the wakee (the "
          "waker is about to sleep), within the wakee's domain.");
ABSL_FLAG(std::string, slice_policy, "fixed",
          "fixed: every task's slice is --slice_max. depth: --slice_max shared "
          "out by the domain's queue depth, at least --slice_min. util: the "
          "tuner's machine-wide slice (--slice_underutil while some CPU idles, "
          "else --slice_overutil).");
ABSL_FLAG(absl::Duration, slice_max, absl::Milliseconds(20),
          "The slice of a task with nobody waiting in its domain.");
ABSL_FLAG(absl::Duration, slice_min, absl::Milliseconds(1),
          "The shortest slice, however deep the queue.");
ABSL_FLAG(absl::Duration, lag_budget, absl::Seconds(1),
          "No task is ahead of its domain's clock by more than this divided "
          "by the tasks queued: a task of any weight waits about this long "
          "plus one round of the queue at most. 0 = pure weighted vtime "
          "(a nice-19 task behind many hogs can wait until the watchdog).");
ABSL_FLAG(
    std::string, fork_balance, "off",
    "Where a new task goes: off (its parent's domain; the planner spreads "
    "load later), tasks (the domain with the fewest tasks per CPU) or "
    "load (the least runnable weight per CPU at that instant).");
ABSL_FLAG(bool, evict_guests, false,
          "At the end of its slice, send a task running outside its domain "
          "back to its domain's queue even when nothing else wants its CPU "
          "(the behaviour before 2026-12; for comparisons).");
ABSL_FLAG(bool, kernel_idle_pick, true,
          "Find idle CPUs with the kernel's picker restricted to the domain "
          "(scx_bpf_select_cpu_and, Linux 6.16+); false, or an older kernel: "
          "the same order in BPF.");
ABSL_FLAG(bool, debug_no_load_tracking, false,
          "Testing: do not track domain loads (the planner then sees none); "
          "measures what load tracking costs the fast path.");
ABSL_FLAG(absl::Duration, load_half_life, absl::Seconds(1),
          "Half-life of the duty-cycle and load running averages.");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(2),
          "How often the planner balances load between domains.");
ABSL_FLAG(absl::Duration, tune_interval, absl::Milliseconds(100),
          "How often the tuner adjusts greedy masks and the slice.");
ABSL_FLAG(bool, no_load_balance, false,
          "Do not move tasks between domains (the tuner still runs).");
ABSL_FLAG(double, domain_imbalance_pct, 5,
          "A domain more than this many percent away from its share of its "
          "node's load is imbalanced.");
ABSL_FLAG(double, node_imbalance_pct, 17,
          "A NUMA node more than this many percent away from its share of "
          "the machine's load is imbalanced.");
ABSL_FLAG(int, max_migrations, 32, "At most this many migrations per pass.");
ABSL_FLAG(double, direct_greedy_under, 90,
          "Domains under this utilization (percent) may receive tasks placed "
          "directly from other domains.");
ABSL_FLAG(double, kick_greedy_under, 100,
          "Domains under this utilization (percent) may be kicked to steal.");
ABSL_FLAG(absl::Duration, slice_underutil, absl::Milliseconds(20),
          "With --slice_policy=util: the slice while the machine has idle "
          "time.");
ABSL_FLAG(absl::Duration, slice_overutil, absl::Milliseconds(1),
          "With --slice_policy=util: the slice once every CPU is busy.");
ABSL_FLAG(std::string, debug_migrate, "",
          "Testing: PID:DOMAIN[,PID:DOMAIN...], ask BPF to migrate those "
          "tasks when SIGUSR1 arrives, then print their domains with every "
          "stats line.");
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
          "With --show_topology: use this hwloc XML export instead of the "
          "machine.");
ABSL_FLAG(absl::Duration, stats_interval, absl::ZeroDuration(),
          "Print the BPF counters this often (e.g. 1s); 0 prints them once, "
          "at exit.");
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
ABSL_FLAG(bool, help_stats, false,
          "List every statistics field with its meaning, and exit.");
ABSL_FLAG(std::string, mode, "balanced",
          "balanced: BPF places every task, the planner balances domains "
          "(default). user: every task is decided by a C++ policy in this "
          "process (--user_policy).");
ABSL_FLAG(std::string, user_policy, "vtime",
          "With --mode=user: vtime (weighted virtual time with deadlines, "
          "topology-aware) or fifo (the example policy).");
ABSL_FLAG(absl::Duration, user_slice, absl::Milliseconds(5),
          "With --mode=user: the default time slice.");
ABSL_FLAG(absl::Duration, watchdog_timeout, absl::ZeroDuration(),
          "The kernel ejects the scheduler when a runnable task waits this "
          "long (sched_ext's timeout_ms, at most 30s). 0 = 5s in user mode, "
          "the kernel's default (30s) in balanced mode.");
ABSL_FLAG(absl::Duration, debug_dispatch_delay, absl::ZeroDuration(),
          "Testing, --mode=user: hold every task this long before the policy "
          "sees it (forces stale answers).");
ABSL_FLAG(absl::Duration, debug_inject_error_after, absl::ZeroDuration(),
          "Testing: make the BPF scheduler raise an error this long after it "
          "loads, to exercise the error exit path. 0 = never.");

namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "scx_atlas: %s\n", message.c_str());
  return 2;
}

absl::StatusOr<atlas::Layout> MakeLayout(const atlas::DomainOptions& options,
                                         const std::string& synthetic,
                                         const std::string& xml) {
  absl::StatusOr<atlas::Topology> topology =
      !synthetic.empty() ? atlas::LoadSyntheticTopology(synthetic)
      : !xml.empty()     ? atlas::LoadXmlTopology(xml)
                         : atlas::LoadHostTopology();
  if (!topology.ok()) return topology.status();
  absl::StatusOr<std::vector<atlas::Domain>> domains =
      atlas::BuildDomains(*topology, options);
  if (!domains.ok()) return domains.status();
  return atlas::Layout{*std::move(topology), *std::move(domains)};
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a sched_ext load-balancing scheduler (per-LLC domains in BPF, a "
      "userspace planner).\nUsage: scx_atlas [flags]   (root, a kernel with "
      "CONFIG_SCHED_CLASS_EXT)\nThe policy is described at the top of "
      "bpf/atlas.bpf.c.");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    return Usage(absl::StrCat("unexpected argument '", rest[1],
                              "' (flags are --name=value; see --help)"));
  }

  if (absl::GetFlag(FLAGS_help_stats)) {
    std::fputs(atlas::DescribeStats().c_str(), stdout);
    return 0;
  }
  const double stats_secs = absl::GetFlag(FLAGS_stats);
  const double monitor_secs = absl::GetFlag(FLAGS_monitor);
  for (const auto& [name, secs] :
       {std::pair<const char*, double>{"stats", stats_secs},
        {"monitor", monitor_secs}}) {
    if (!std::isfinite(secs) || secs < 0 || secs > 86400 ||
        (secs > 0 && secs < 0.01)) {
      return Usage(
          absl::StrCat("--", name, "=", secs,
                       ": want seconds between 0.01 and 86400 (0 = off)"));
    }
  }
  std::string stats_socket = absl::GetFlag(FLAGS_stats_socket);
  if (stats_socket == "none") stats_socket.clear();
  if (monitor_secs > 0) {
    if (stats_socket.empty()) return Usage("--monitor needs a --stats_socket");
    atlas::StatsCliOptions monitor;
    monitor.prog = "scx_atlas";
    monitor.socket_path = stats_socket;
    monitor.interval = absl::Seconds(monitor_secs);
    monitor.wait_for_socket = true;
    monitor.stop = atlas::StopOnSigintSigterm();
    return atlas::RunStatsCli(monitor);
  }

  const std::string synthetic = absl::GetFlag(FLAGS_hwloc_synthetic);
  const std::string xml = absl::GetFlag(FLAGS_hwloc_xml);
  const bool show = absl::GetFlag(FLAGS_show_topology);
  if (!synthetic.empty() && !xml.empty()) {
    return Usage("--hwloc_synthetic and --hwloc_xml exclude each other");
  }
  if (!show &&
      (!synthetic.empty() || !xml.empty() || absl::GetFlag(FLAGS_json))) {
    return Usage(
        "--hwloc_synthetic, --hwloc_xml and --json need --show_topology");
  }
  atlas::DomainOptions domain_options;
  domain_options.cache_level = absl::GetFlag(FLAGS_cache_level);
  domain_options.cpumasks = absl::GetFlag(FLAGS_cpumasks);

  if (show) {
    absl::StatusOr<atlas::Layout> layout =
        MakeLayout(domain_options, synthetic, xml);
    if (!layout.ok()) return Usage(std::string(layout.status().message()));
    std::fputs(
        absl::GetFlag(FLAGS_json)
            ? atlas::FormatLayoutJson(layout->topology, layout->domains).c_str()
            : atlas::FormatLayoutTable(layout->topology, layout->domains)
                  .c_str(),
        stdout);
    return 0;
  }

  const absl::Duration stats_interval = absl::GetFlag(FLAGS_stats_interval);
  const absl::Duration inject = absl::GetFlag(FLAGS_debug_inject_error_after);
  if (stats_interval < absl::ZeroDuration() || inject < absl::ZeroDuration()) {
    return Usage("durations must not be negative");
  }

  const int greedy = absl::GetFlag(FLAGS_greedy_threshold);
  const int greedy_x_numa = absl::GetFlag(FLAGS_greedy_threshold_x_numa);
  if (greedy < 0 || greedy_x_numa < 0) {
    return Usage(
        "--greedy_threshold and --greedy_threshold_x_numa must be >= 0");
  }
  const absl::Duration preempt_min_run = absl::GetFlag(FLAGS_preempt_min_run);
  if (preempt_min_run < absl::ZeroDuration() ||
      preempt_min_run > absl::Seconds(1)) {
    return Usage(absl::StrCat(
        "--preempt_min_run=", absl::FormatDuration(preempt_min_run),
        ": must be between 0 and 1s"));
  }
  const std::string slice_policy = absl::GetFlag(FLAGS_slice_policy);
  if (slice_policy != "fixed" && slice_policy != "depth" &&
      slice_policy != "util") {
    return Usage(absl::StrCat("--slice_policy=", slice_policy,
                              ": want fixed, depth or util"));
  }
  const absl::Duration slice_max = absl::GetFlag(FLAGS_slice_max);
  const absl::Duration slice_min = absl::GetFlag(FLAGS_slice_min);
  if (slice_min < absl::Microseconds(100) || slice_max > absl::Seconds(1) ||
      slice_min > slice_max) {
    return Usage(absl::StrCat("--slice_min=", absl::FormatDuration(slice_min),
                              " --slice_max=", absl::FormatDuration(slice_max),
                              ": want 100us <= slice_min <= slice_max <= 1s"));
  }
  const absl::Duration lag_budget = absl::GetFlag(FLAGS_lag_budget);
  if (lag_budget < absl::ZeroDuration() || lag_budget > absl::Seconds(10)) {
    return Usage(absl::StrCat("--lag_budget=", absl::FormatDuration(lag_budget),
                              ": must be between 0 and 10s"));
  }
  const std::string fork_balance = absl::GetFlag(FLAGS_fork_balance);
  if (fork_balance != "tasks" && fork_balance != "load" &&
      fork_balance != "off") {
    return Usage(absl::StrCat("--fork_balance=", fork_balance,
                              ": want tasks, load or off"));
  }
  const absl::Duration half_life = absl::GetFlag(FLAGS_load_half_life);
  if (half_life < absl::Milliseconds(1) || half_life > absl::Seconds(600)) {
    return Usage(
        absl::StrCat("--load_half_life=", absl::FormatDuration(half_life),
                     ": must be between 1ms and 600s"));
  }
  std::vector<std::pair<int, int>> migrations;
  for (absl::string_view item : absl::StrSplit(
           absl::GetFlag(FLAGS_debug_migrate), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(item, absl::MaxSplits(':', 1));
    int pid = 0, domain = -1;
    if (!absl::SimpleAtoi(parts.first, &pid) || pid <= 0 ||
        !absl::SimpleAtoi(parts.second, &domain) || domain < 0) {
      return Usage(
          absl::StrCat("--debug_migrate: '", item, "': want PID:DOMAIN"));
    }
    migrations.emplace_back(pid, domain);
  }

  const absl::Duration interval = absl::GetFlag(FLAGS_interval);
  const absl::Duration tune_interval = absl::GetFlag(FLAGS_tune_interval);
  const absl::Duration slice_under = absl::GetFlag(FLAGS_slice_underutil);
  const absl::Duration slice_over = absl::GetFlag(FLAGS_slice_overutil);
  if (interval < absl::Milliseconds(10) ||
      tune_interval < absl::Milliseconds(10)) {
    return Usage("--interval and --tune_interval must be at least 10ms");
  }
  if (slice_under < absl::Microseconds(100) ||
      slice_over < absl::Microseconds(100) || slice_under > absl::Seconds(1) ||
      slice_over > absl::Seconds(1)) {
    return Usage(
        "--slice_underutil and --slice_overutil must be between 100us and 1s");
  }
  for (const auto& [name, value] :
       {std::pair<const char*, double>{
            "domain_imbalance_pct", absl::GetFlag(FLAGS_domain_imbalance_pct)},
        {"node_imbalance_pct", absl::GetFlag(FLAGS_node_imbalance_pct)},
        {"direct_greedy_under", absl::GetFlag(FLAGS_direct_greedy_under)},
        {"kick_greedy_under", absl::GetFlag(FLAGS_kick_greedy_under)}}) {
    if (!(value >= 0 && value <= 100)) {
      return Usage(
          absl::StrCat("--", name, "=", value, ": must be between 0 and 100"));
    }
  }
  if (absl::GetFlag(FLAGS_max_migrations) < 1) {
    return Usage("--max_migrations must be at least 1");
  }

  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "balanced" && mode != "user") {
    return Usage(absl::StrCat("--mode=", mode, ": want balanced or user"));
  }
  const std::string user_policy = absl::GetFlag(FLAGS_user_policy);
  if (user_policy != "vtime" && user_policy != "fifo") {
    return Usage(
        absl::StrCat("--user_policy=", user_policy, ": want vtime or fifo"));
  }
  const absl::Duration watchdog = absl::GetFlag(FLAGS_watchdog_timeout);
  if (watchdog != absl::ZeroDuration() &&
      (watchdog < absl::Milliseconds(100) || watchdog > absl::Seconds(30))) {
    return Usage("--watchdog_timeout must be 0 (default) or 100ms..30s");
  }
  const absl::Duration user_slice = absl::GetFlag(FLAGS_user_slice);
  const absl::Duration delay = absl::GetFlag(FLAGS_debug_dispatch_delay);
  if (user_slice < absl::Microseconds(100) || user_slice > absl::Seconds(1)) {
    return Usage("--user_slice must be between 100us and 1s");
  }
  if (delay < absl::ZeroDuration() || delay > absl::Seconds(1)) {
    return Usage("--debug_dispatch_delay must be between 0 and 1s");
  }
  if (mode == "user") {
    if (absl::StatusOr<atlas::Layout> layout =
            MakeLayout(domain_options, "", "");
        !layout.ok()) {
      return Usage(std::string(layout.status().message()));
    }
    atlas::user::UserRunOptions user;
    user.policy = user_policy;
    user.slice_ns = static_cast<uint64_t>(absl::ToInt64Nanoseconds(user_slice));
    user.lag_budget_ns =
        static_cast<uint64_t>(absl::ToInt64Nanoseconds(lag_budget));
    user.watchdog_timeout_ms =
        watchdog == absl::ZeroDuration()
            ? 5000
            : static_cast<uint32_t>(absl::ToInt64Milliseconds(watchdog));
    user.debug_dispatch_delay_ns =
        static_cast<uint64_t>(absl::ToInt64Nanoseconds(delay));
    user.stats_table_interval = absl::Seconds(stats_secs);
    user.stats_socket = stats_socket;
    user.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
    user.make_layout = [domain_options] {
      return MakeLayout(domain_options, "", "");
    };
    return atlas::user::RunUser(user);
  }

  atlas::RunOptions options;
  options.scheduler.timeout_ms =
      static_cast<uint32_t>(absl::ToInt64Milliseconds(watchdog));
  options.load_balance = !absl::GetFlag(FLAGS_no_load_balance);
  options.interval = interval;
  options.tune_interval = tune_interval;
  options.balance.domain_imbalance_pct =
      absl::GetFlag(FLAGS_domain_imbalance_pct);
  options.balance.node_imbalance_pct = absl::GetFlag(FLAGS_node_imbalance_pct);
  options.balance.max_migrations = absl::GetFlag(FLAGS_max_migrations);
  options.tuner.direct_greedy_under = absl::GetFlag(FLAGS_direct_greedy_under);
  options.tuner.kick_greedy_under = absl::GetFlag(FLAGS_kick_greedy_under);
  options.tuner.slice_underutil_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(slice_under));
  options.tuner.slice_overutil_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(slice_over));
  options.scheduler.kthreads_local = absl::GetFlag(FLAGS_kthreads_local);
  options.scheduler.wake_sync = absl::GetFlag(FLAGS_wake_sync);
  options.scheduler.wakeup_preempt = absl::GetFlag(FLAGS_wakeup_preempt);
  options.scheduler.slice_policy = slice_policy == "depth"  ? ATLAS_SLICE_DEPTH
                                   : slice_policy == "util" ? ATLAS_SLICE_UTIL
                                                            : ATLAS_SLICE_FIXED;
  options.scheduler.slice_max_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(slice_max));
  options.scheduler.slice_min_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(slice_min));
  options.scheduler.lag_budget_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(lag_budget));
  options.scheduler.fork_balance = fork_balance == "tasks"  ? ATLAS_FORK_TASKS
                                   : fork_balance == "load" ? ATLAS_FORK_LOAD
                                                            : ATLAS_FORK_OFF;
  options.scheduler.evict_guests = absl::GetFlag(FLAGS_evict_guests);
  options.scheduler.kernel_idle_pick = absl::GetFlag(FLAGS_kernel_idle_pick);
  options.scheduler.load_tracking =
      !absl::GetFlag(FLAGS_debug_no_load_tracking);
  options.scheduler.preempt_min_run_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(preempt_min_run));
  options.scheduler.greedy_threshold = static_cast<uint32_t>(greedy);
  options.scheduler.greedy_threshold_x_numa =
      static_cast<uint32_t>(greedy_x_numa);
  options.scheduler.load_half_life_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(half_life));
  options.debug_migrations = std::move(migrations);
  if (slice_policy != "util") {
    // The tuner leaves the slice alone (0 = leave as is).
    options.scheduler.slice_ns = options.scheduler.slice_max_ns;
    options.tuner.slice_underutil_ns = options.tuner.slice_overutil_ns = 0;
  } else {
    options.scheduler.slice_ns = options.tuner.slice_underutil_ns;
  }
  options.scheduler.fifo = absl::GetFlag(FLAGS_fifo);
  options.scheduler.debug_inject_error_after_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(inject));
  options.stats_interval = stats_interval;
  options.stats_table_interval = absl::Seconds(stats_secs);
  options.stats_socket = stats_socket;
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  // Validate the layout before touching the kernel: bad --cpumasks is a
  // usage error even on a machine without sched_ext.
  if (absl::StatusOr<atlas::Layout> layout = MakeLayout(domain_options, "", "");
      !layout.ok()) {
    return Usage(std::string(layout.status().message()));
  }
  options.make_layout = [domain_options] {
    return MakeLayout(domain_options, "", "");
  };
  return atlas::RunBalanced(options);
}

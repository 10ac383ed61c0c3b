// SPDX-License-Identifier: GPL-2.0-only
#include "cli/options.h"

#include <cmath>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/signals.h"
#include "shared/intf.h"

namespace atlas {

const std::vector<std::string> kBalancedOnlyFlags = {
    "fifo",
    "kthreads_local",
    "greedy_threshold",
    "greedy_threshold_x_numa",
    "wakeup_preempt",
    "preempt_min_run",
    "wake_sync",
    "slice_policy",
    "slice_max",
    "slice_min",
    "fork_balance",
    "evict_guests",
    "kernel_idle_pick",
    "debug_no_load_tracking",
    "load_half_life",
    "interval",
    "tune_interval",
    "no_load_balance",
    "domain_imbalance_pct",
    "node_imbalance_pct",
    "max_migrations",
    "direct_greedy_under",
    "kick_greedy_under",
    "slice_underutil",
    "slice_overutil",
    "debug_migrate",
    "stats_interval",
    "verbose",
    "debug_inject_error_after",
};
const std::vector<std::string> kUserOnlyFlags = {
    "user_policy",        "user_slice",       "debug_dispatch_delay",
    "debug_policy_slice", "debug_policy_cpu", "user_compact_locked",
};

namespace {

std::string D(absl::Duration d) { return absl::FormatDuration(d); }

absl::Status Bad(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

// --debug_migrate: PID:DOMAIN[,PID:DOMAIN...].
absl::StatusOr<std::vector<std::pair<int, int>>> ParseMigrations(
    const std::string& text) {
  std::vector<std::pair<int, int>> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(item, absl::MaxSplits(':', 1));
    int pid = 0, domain = -1;
    if (!absl::SimpleAtoi(parts.first, &pid) || pid <= 0 ||
        !absl::SimpleAtoi(parts.second, &domain) || domain < 0) {
      return Bad(
          absl::StrCat("--debug_migrate: '", item, "': want PID:DOMAIN"));
    }
    out.emplace_back(pid, domain);
  }
  return out;
}

absl::Status ValidateModeFlags(const Options& o) {
  if (o.mode != "balanced" && o.mode != "user") {
    return Bad(absl::StrCat("--mode=", o.mode, ": want balanced or user"));
  }
  const bool user = o.mode == "user";
  for (const std::string& f : user ? kBalancedOnlyFlags : kUserOnlyFlags) {
    if (o.given.count(f)) {
      return Bad(user ? absl::StrCat("--", f,
                                     " is a balanced-mode flag: it does "
                                     "nothing with --mode=user")
                      : absl::StrCat("--", f,
                                     " is a --mode=user flag: it does "
                                     "nothing in balanced mode (add "
                                     "--mode=user)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCommon(const Options& o) {
  for (const auto& [name, secs] :
       {std::pair<const char*, double>{"stats", o.stats},
        {"monitor", o.monitor}}) {
    if (!std::isfinite(secs) || secs < 0 || secs > 86400 ||
        (secs > 0 && secs < 0.01)) {
      return Bad(absl::StrCat("--", name, "=", secs,
                              ": want seconds between 0.01 and 86400 (0 = "
                              "off)"));
    }
  }
  if (o.monitor > 0 && (o.stats_socket.empty() || o.stats_socket == "none")) {
    return Bad("--monitor needs a --stats_socket");
  }
  if (!o.hwloc_synthetic.empty() && !o.hwloc_xml.empty()) {
    return Bad("--hwloc_synthetic and --hwloc_xml exclude each other");
  }
  if (!o.show_topology && (!o.hwloc_synthetic.empty() || o.json)) {
    return Bad("--hwloc_synthetic and --json need --show_topology");
  }
  if (o.lag_budget < absl::ZeroDuration() || o.lag_budget > absl::Seconds(10)) {
    return Bad(absl::StrCat("--lag_budget=", D(o.lag_budget),
                            ": must be between 0 and 10s"));
  }
  if (o.debug_load_delay < absl::ZeroDuration() ||
      o.debug_load_delay > absl::Seconds(60)) {
    return Bad(absl::StrCat("--debug_load_delay=", D(o.debug_load_delay),
                            ": want 0 to 60s"));
  }
  if (o.watchdog_timeout != absl::ZeroDuration() &&
      (o.watchdog_timeout < absl::Milliseconds(100) ||
       o.watchdog_timeout > absl::Seconds(30))) {
    return Bad(absl::StrCat("--watchdog_timeout=", D(o.watchdog_timeout),
                            ": must be 0 (default) or 100ms..30s"));
  }
  return absl::OkStatus();
}

absl::Status ValidateBalanced(const Options& o) {
  if (o.stats_interval < absl::ZeroDuration()) {
    return Bad(absl::StrCat("--stats_interval=", D(o.stats_interval),
                            ": must not be negative"));
  }
  if (o.debug_inject_error_after < absl::ZeroDuration()) {
    return Bad(absl::StrCat(
        "--debug_inject_error_after=", D(o.debug_inject_error_after),
        ": must not be negative"));
  }
  if (o.greedy_threshold < 0 || o.greedy_threshold_x_numa < 0) {
    return Bad("--greedy_threshold and --greedy_threshold_x_numa must be >= 0");
  }
  if (o.preempt_min_run < absl::ZeroDuration() ||
      o.preempt_min_run > absl::Seconds(1)) {
    return Bad(absl::StrCat("--preempt_min_run=", D(o.preempt_min_run),
                            ": must be between 0 and 1s"));
  }
  if (o.slice_policy != "fixed" && o.slice_policy != "depth" &&
      o.slice_policy != "util") {
    return Bad(absl::StrCat("--slice_policy=", o.slice_policy,
                            ": want fixed, depth or util"));
  }
  if (o.slice_min < absl::Microseconds(100) || o.slice_max > absl::Seconds(1) ||
      o.slice_min > o.slice_max) {
    return Bad(absl::StrCat("--slice_min=", D(o.slice_min),
                            " --slice_max=", D(o.slice_max),
                            ": want 100us <= slice_min <= slice_max <= 1s"));
  }
  if (o.fork_balance != "tasks" && o.fork_balance != "load" &&
      o.fork_balance != "off") {
    return Bad(absl::StrCat("--fork_balance=", o.fork_balance,
                            ": want tasks, load or off"));
  }
  if (o.load_half_life < absl::Milliseconds(1) ||
      o.load_half_life > absl::Seconds(600)) {
    return Bad(absl::StrCat("--load_half_life=", D(o.load_half_life),
                            ": must be between 1ms and 600s"));
  }
  if (absl::Status s = ParseMigrations(o.debug_migrate).status(); !s.ok()) {
    return s;
  }
  if (o.interval < absl::Milliseconds(10) ||
      o.tune_interval < absl::Milliseconds(10)) {
    return Bad(absl::StrCat("--interval=", D(o.interval), " --tune_interval=",
                            D(o.tune_interval), ": must be at least 10ms"));
  }
  for (const auto& [name, d] : {std::pair<const char*, absl::Duration>{
                                    "slice_underutil", o.slice_underutil},
                                {"slice_overutil", o.slice_overutil}}) {
    if (d < absl::Microseconds(100) || d > absl::Seconds(1)) {
      return Bad(absl::StrCat("--", name, "=", D(d),
                              ": must be between 100us and 1s"));
    }
  }
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"domain_imbalance_pct",
                                       o.domain_imbalance_pct},
        {"node_imbalance_pct", o.node_imbalance_pct},
        {"direct_greedy_under", o.direct_greedy_under},
        {"kick_greedy_under", o.kick_greedy_under}}) {
    if (!(value >= 0 && value <= 100)) {
      return Bad(
          absl::StrCat("--", name, "=", value, ": must be between 0 and 100"));
    }
  }
  if (o.max_migrations < 1) {
    return Bad(absl::StrCat("--max_migrations=", o.max_migrations,
                            ": must be at least 1"));
  }
  return absl::OkStatus();
}

absl::Status ValidateUser(const Options& o) {
  if (o.user_policy != "vtime" && o.user_policy != "fifo") {
    return Bad(
        absl::StrCat("--user_policy=", o.user_policy, ": want vtime or fifo"));
  }
  if (o.user_slice < absl::Microseconds(100) ||
      o.user_slice > absl::Seconds(1)) {
    return Bad(absl::StrCat("--user_slice=", D(o.user_slice),
                            ": must be between 100us and 1s"));
  }
  if (o.debug_policy_slice < absl::ZeroDuration()) {
    return Bad(absl::StrCat("--debug_policy_slice=", D(o.debug_policy_slice),
                            ": want >= 0"));
  }
  if (o.debug_policy_cpu < -1 || o.debug_policy_cpu >= ATLAS_MAX_CPUS) {
    return Bad(absl::StrCat("--debug_policy_cpu=", o.debug_policy_cpu,
                            ": want -1 or a CPU number below ",
                            ATLAS_MAX_CPUS));
  }
  if (o.debug_dispatch_delay < absl::ZeroDuration() ||
      o.debug_dispatch_delay > absl::Seconds(1)) {
    return Bad(
        absl::StrCat("--debug_dispatch_delay=", D(o.debug_dispatch_delay),
                     ": must be between 0 and 1s"));
  }
  return absl::OkStatus();
}

uint64_t Ns(absl::Duration d) {
  return static_cast<uint64_t>(absl::ToInt64Nanoseconds(d));
}

}  // namespace

absl::Status Validate(const Options& o) {
  for (absl::Status s : {ValidateModeFlags(o), ValidateCommon(o)}) {
    if (!s.ok()) return s;
  }
  // Each mode's values are checked even at their defaults: a default out
  // of range is a bug worth a clear line too.
  if (absl::Status s = o.mode == "user" ? ValidateUser(o) : ValidateBalanced(o);
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

DomainOptions ToDomainOptions(const Options& o) {
  DomainOptions d;
  d.cache_level = o.cache_level;
  d.cpumasks = o.cpumasks;
  return d;
}

BalancedOptions ToBalanced(const Options& o) {
  BalancedOptions b;
  SchedulerConfig& s = b.scheduler;
  s.timeout_ms =
      static_cast<uint32_t>(absl::ToInt64Milliseconds(o.watchdog_timeout));
  b.load_balance = !o.no_load_balance;
  b.interval = o.interval;
  b.tune_interval = o.tune_interval;
  b.balance.domain_imbalance_pct = o.domain_imbalance_pct;
  b.balance.node_imbalance_pct = o.node_imbalance_pct;
  b.balance.max_migrations = o.max_migrations;
  b.tuner.direct_greedy_under = o.direct_greedy_under;
  b.tuner.kick_greedy_under = o.kick_greedy_under;
  b.tuner.slice_underutil_ns = Ns(o.slice_underutil);
  b.tuner.slice_overutil_ns = Ns(o.slice_overutil);
  s.kthreads_local = o.kthreads_local;
  s.wake_sync = o.wake_sync;
  s.wakeup_preempt = o.wakeup_preempt;
  s.slice_policy = o.slice_policy == "depth"  ? ATLAS_SLICE_DEPTH
                   : o.slice_policy == "util" ? ATLAS_SLICE_UTIL
                                              : ATLAS_SLICE_FIXED;
  s.slice_max_ns = Ns(o.slice_max);
  s.slice_min_ns = Ns(o.slice_min);
  s.lag_budget_ns = Ns(o.lag_budget);
  s.fork_balance = o.fork_balance == "tasks"  ? ATLAS_FORK_TASKS
                   : o.fork_balance == "load" ? ATLAS_FORK_LOAD
                                              : ATLAS_FORK_OFF;
  s.evict_guests = o.evict_guests;
  s.kernel_idle_pick = o.kernel_idle_pick;
  s.load_tracking = !o.debug_no_load_tracking;
  s.cgroup_weights = o.cgroup_weights;
  s.preempt_min_run_ns = Ns(o.preempt_min_run);
  s.greedy_threshold = static_cast<uint32_t>(o.greedy_threshold);
  s.greedy_threshold_x_numa = static_cast<uint32_t>(o.greedy_threshold_x_numa);
  s.load_half_life_ns = Ns(o.load_half_life);
  if (absl::StatusOr<std::vector<std::pair<int, int>>> m =
          ParseMigrations(o.debug_migrate);
      m.ok()) {
    b.debug_migrations = *std::move(m);
  }
  if (o.slice_policy != "util") {
    // The tuner leaves the slice alone (0 = leave as is).
    s.slice_ns = s.slice_max_ns;
    b.tuner.slice_underutil_ns = b.tuner.slice_overutil_ns = 0;
  } else {
    s.slice_ns = b.tuner.slice_underutil_ns;
  }
  s.fifo = o.fifo;
  s.debug_inject_error_after_ns = Ns(o.debug_inject_error_after);
  b.stats_interval = o.stats_interval;
  b.verbose = o.verbose;
  return b;
}

user::UserOptions ToUser(const Options& o) {
  user::UserOptions u;
  u.policy = o.user_policy;
  u.slice_ns = Ns(o.user_slice);
  u.keep_locked_pages_in_place = !o.user_compact_locked;
  u.lag_budget_ns = Ns(o.lag_budget);
  u.cgroup_weights = o.cgroup_weights;
  u.watchdog_timeout_ms = o.watchdog_timeout == absl::ZeroDuration()
                              ? 5000
                              : static_cast<uint32_t>(absl::ToInt64Milliseconds(
                                    o.watchdog_timeout));
  u.debug_dispatch_delay_ns = Ns(o.debug_dispatch_delay);
  u.debug_policy_slice_ns = Ns(o.debug_policy_slice);
  u.debug_policy_cpu = o.debug_policy_cpu;
  return u;
}

RunConfig ToRunConfig(const Options& o) {
  RunConfig r;
  r.stats_socket = o.stats_socket == "none" ? "" : o.stats_socket;
  r.metrics_listen = o.metrics_listen;
  r.stats_table_interval = absl::Seconds(o.stats);
  r.debug_load_delay = o.debug_load_delay;
  if (!o.debug_online_file.empty()) r.online_file = o.debug_online_file;
  const DomainOptions domains = ToDomainOptions(o);
  r.make_layout = [domains, xml = o.hwloc_xml] {
    SettleWait wait;
    wait.sleep = SleepUnlessStopped;  // SIGINT/SIGTERM end a hotplug wait
    return MakeLayout(domains, HostFiles{}, xml, wait);
  };
  return r;
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/runner.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "planner/planner.h"
#include "scheduler/bpf_load_source.h"
#include "scheduler/exit_info.h"
#include "scheduler/preflight.h"
#include "scheduler/stats.h"
#include "scheduler/topo_check.h"
#include "stats/format.h"
#include "stats/protocol.h"
#include "stats/report.h"

namespace atlas {
namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_debug_migrate{false};

void OnStopSignal(int sig) { g_stop_signal.store(sig); }
void OnUsr1(int) { g_debug_migrate.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  // Background jobs of a non-interactive shell start with SIGINT ignored:
  // install our own handler regardless.
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = OnUsr1;
  sigaction(SIGUSR1, &sa, nullptr);
}

void PrintStats(const BpfScheduler& sched, const char* label) {
  absl::StatusOr<std::vector<uint64_t>> stats = sched.ReadStats();
  if (stats.ok()) {
    std::printf("scx_atlas: %s: %s\n", label, FormatStats(*stats).c_str());
  } else {
    std::fprintf(stderr, "scx_atlas: %s\n",
                 std::string(stats.status().message()).c_str());
  }
  std::string loads;
  const std::vector<DomainLoad> doms = sched.ReadDomainLoads(MonotonicNs());
  for (size_t d = 0; d < doms.size(); ++d) {
    absl::StrAppend(&loads, d ? " " : "", d, ":", absl::SixDigits(doms[d].load),
                    "/", doms[d].nr_tasks);
  }
  std::printf("scx_atlas: loads (domain:load/tasks): %s\n", loads.c_str());
  std::fflush(stdout);
}

// The counters summed over CPUs (zeros if they cannot be read): one map
// read for all of them.
std::vector<uint64_t> Counters(const BpfScheduler& sched) {
  absl::StatusOr<std::vector<uint64_t>> stats = sched.ReadStats();
  return stats.ok() ? *std::move(stats)
                    : std::vector<uint64_t>(ATLAS_NR_STATS, 0);
}

// What the stats server (its own thread) and --stats read: the current
// BPF scheduler, if one is attached, and what the planner last did. The
// main thread detaches the scheduler from the hub before it unloads it.
class StatsHub {
 public:
  void Attach(BpfScheduler* sched, const std::vector<Domain>& domains,
              uint64_t slice_ns, bool load_balance) {
    std::lock_guard<std::mutex> lock(mu_);
    if (base_.started_ns != 0) ++base_.restarts;
    sched_ = sched;
    base_.started_ns = MonotonicNs();
    base_.load_balance = load_balance;
    base_.slice_ns = slice_ns;
    base_.balance_passes = 0;
    base_.last_pass_ns = 0;
    base_.last_pass_requested = 0;
    base_.domains.clear();
    for (const Domain& d : domains) {
      DomainSample ds;
      ds.node = d.node;
      ds.cpus = d.cpus;
      ds.capacity = static_cast<double>(d.capacity) / kMaxCapacity;
      ds.direct_greedy = ds.kick_greedy = true;  // the initial tuning
      base_.domains.push_back(std::move(ds));
    }
  }
  void Detach() {
    std::lock_guard<std::mutex> lock(mu_);
    sched_ = nullptr;
  }
  void Tuned(const Tuning& tuning) {
    std::lock_guard<std::mutex> lock(mu_);
    if (tuning.slice_ns != 0) base_.slice_ns = tuning.slice_ns;
    for (size_t d = 0; d < base_.domains.size(); ++d) {
      if (d < tuning.direct_greedy.size()) {
        base_.domains[d].direct_greedy = tuning.direct_greedy[d];
      }
      if (d < tuning.kick_greedy.size()) {
        base_.domains[d].kick_greedy = tuning.kick_greedy[d];
      }
    }
  }
  void Balanced(const Plan& plan, uint64_t took_ns, const PassCost& cost) {
    std::lock_guard<std::mutex> lock(mu_);
    ++base_.balance_passes;
    base_.last_pass_ns = took_ns;
    base_.last_pass_read_ns = cost.read_ns;
    base_.last_pass_balance_ns = cost.balance_ns;
    base_.last_pass_write_ns = cost.write_ns;
    base_.last_pass_tasks = cost.tasks;
    base_.last_pass_requested = plan.migrations.size();
    if (sched_ != nullptr) {
      const std::vector<DomainLoad> loads =
          sched_->ReadDomainLoads(MonotonicNs());
      for (size_t d = 0; d < base_.domains.size() && d < loads.size(); ++d) {
        base_.domains[d].load_at_last_pass = loads[d].load;
      }
    }
  }
  absl::StatusOr<StatsSample> Sample() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (sched_ == nullptr) {
      return absl::UnavailableError("the scheduler is not attached (yet)");
    }
    StatsSample s = base_;
    s.at_ns = MonotonicNs();
    absl::StatusOr<std::vector<uint64_t>> counters = sched_->ReadStats();
    if (!counters.ok()) return counters.status();
    s.counters = *std::move(counters);
    s.cpu_busy_ns = sched_->ReadCpuBusy();
    const std::vector<DomainLoad> loads = sched_->ReadDomainLoads(s.at_ns);
    for (size_t d = 0; d < s.domains.size() && d < loads.size(); ++d) {
      s.domains[d].load = loads[d].load;
      s.domains[d].runnable = loads[d].runnable;
      s.domains[d].nr_tasks = loads[d].nr_tasks;
    }
    return s;
  }

 private:
  mutable std::mutex mu_;
  BpfScheduler* sched_ = nullptr;
  StatsSample base_;
};

// The newest snapshot of `pid`, if it ran recently.
const atlas_task_snap* FindPid(const std::vector<atlas_task_snap>& snaps,
                               int pid) {
  const atlas_task_snap* found = nullptr;
  for (const atlas_task_snap& s : snaps) {
    if (static_cast<int>(s.pid) == pid &&
        (!found || s.updated_at > found->updated_at)) {
      found = &s;
    }
  }
  return found;
}

// --debug_migrate: request each migration once (when its task has been
// seen), then report where the tasks are.
void DebugMigrate(BpfScheduler& sched, const RunOptions& options,
                  std::vector<bool>& requested) {
  const std::vector<atlas_task_snap> snaps = sched.ReadTaskSnaps();
  for (size_t i = 0; i < options.debug_migrations.size(); ++i) {
    const auto [pid, domain] = options.debug_migrations[i];
    const atlas_task_snap* snap = FindPid(snaps, pid);
    if (snap == nullptr) {
      std::printf("scx_atlas: debug: pid %d not seen running yet\n", pid);
    } else if (!requested[i]) {
      absl::Status s = sched.RequestMigration(snap->pid, snap->uid,
                                              static_cast<uint32_t>(domain));
      std::printf(
          "scx_atlas: debug: migration of pid %u (uid %llu) from domain %u "
          "(may use 0x%llx) to %d: %s\n",
          snap->pid, static_cast<unsigned long long>(snap->uid), snap->dom,
          static_cast<unsigned long long>(snap->allowed_doms[0]), domain,
          s.ok() ? "requested" : std::string(s.message()).c_str());
      requested[i] = true;
    } else {
      std::printf("scx_atlas: debug: pid %u is in domain %u (may use 0x%llx)\n",
                  snap->pid, snap->dom,
                  static_cast<unsigned long long>(snap->allowed_doms[0]));
    }
  }
  std::fflush(stdout);
}

}  // namespace

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "scx_atlas: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

int RunBalanced(const RunOptions& options) {
  if (absl::Status s = CheckCanLoad(kSchedExtSysfs, geteuid() == 0); !s.ok()) {
    return Fail(s);
  }
  InstallSignalHandlers();
  StatsHub hub;
  StatsProtocol protocol([&hub] { return hub.Sample(); });
  absl::StatusOr<std::unique_ptr<StatsServer>> server =
      StatsServer::StartForScheduler(options.stats_socket,
                                     options.metrics_listen, &protocol);
  if (!server.ok()) return Fail(server.status());
  for (;;) {
    absl::StatusOr<Layout> layout = options.make_layout();
    if (!layout.ok()) return Fail(layout.status());
    absl::StatusOr<std::unique_ptr<BpfScheduler>> sched = BpfScheduler::Load(
        options.scheduler, layout->topology, layout->domains);
    if (!sched.ok()) return Fail(sched.status());
    if (absl::Status s = (*sched)->Attach(); !s.ok()) return Fail(s);
    absl::StatusOr<std::string> topo = VerifyTopoCheck(
        (*sched)->TopoCheck(), layout->topology, layout->domains);
    if (!topo.ok()) {
      (*sched)->Detach();
      return Fail(topo.status());
    }
    std::printf("scx_atlas: BPF topology verified: %s\n", topo->c_str());
    std::printf(
        "scx_atlas: enabled: %zu CPUs in %zu domains, slice %llu us%s%s\n",
        layout->topology.cpus.size(), layout->domains.size(),
        static_cast<unsigned long long>(options.scheduler.slice_ns / 1000),
        options.scheduler.slice_policy == ATLAS_SLICE_DEPTH
            ? " (shared out by queue depth)"
        : options.scheduler.slice_policy == ATLAS_SLICE_UTIL ? " (tuned)"
                                                             : "",
        options.scheduler.fifo ? ", fifo" : "");
    std::fflush(stdout);

    hub.Attach(sched->get(), layout->domains, options.scheduler.slice_ns,
               options.load_balance);
    std::optional<StatsSample> table_prev;
    absl::Time next_table = absl::Now() + options.stats_table_interval;
    PlannerLayout planner_layout;
    for (const Domain& d : layout->domains) {
      planner_layout.domains.push_back(
          {d.node, static_cast<double>(d.capacity) / kMaxCapacity});
      planner_layout.domain_cpus.push_back(d.cpus);
    }
    // A task not seen running for two intervals is not the planner's concern.
    BpfLoadSource source(
        sched->get(),
        2 * static_cast<uint64_t>(absl::ToInt64Nanoseconds(options.interval)));
    Planner planner(&source, std::move(planner_layout), options.balance,
                    options.tuner);
    planner.set_clock(&MonotonicNs);
    absl::Time next_balance = absl::Now() + options.interval;
    uint64_t last_applied = 0, last_rejected = 0, last_no_slot = 0;
    absl::Time next_tune = absl::Now();
    absl::Time next_stats = absl::Now() + options.stats_interval;
    std::vector<bool> migrate_requested(options.debug_migrations.size());
    bool migrations_sent = options.debug_migrations.empty();
    while (!(*sched)->Exited() && g_stop_signal.load() == 0) {
      absl::SleepFor(std::min(absl::Milliseconds(50), options.tune_interval));
      const absl::Time now = absl::Now();
      if (now >= next_tune) {
        hub.Tuned(planner.TuneOnce(MonotonicNs()));
        next_tune = now + options.tune_interval;
      }
      if (options.load_balance && now >= next_balance) {
        // What became of the previous pass's requests, then a new pass.
        const std::vector<uint64_t> counters = Counters(**sched);
        const uint64_t applied = counters[ATLAS_STAT_MIGRATE_APPLIED];
        const uint64_t rejected = counters[ATLAS_STAT_MIGRATE_REJECTED] +
                                  counters[ATLAS_STAT_MIGRATE_STALE];
        const uint64_t pass_start = MonotonicNs();
        const Plan plan = planner.BalanceOnce(pass_start);
        hub.Balanced(plan, MonotonicNs() - pass_start, planner.last_cost());
        if (!plan.migrations.empty() || plan.failed_writes ||
            applied != last_applied || rejected != last_rejected) {
          std::printf(
              "scx_atlas: balance: %zu migrations requested%s%s; since the "
              "last pass %llu applied, %llu rejected or stale\n",
              plan.migrations.size(),
              plan.failed_writes ? " (some could not be written)" : "",
              plan.saturated ? " (saturated: weights count)" : "",
              static_cast<unsigned long long>(applied - last_applied),
              static_cast<unsigned long long>(rejected - last_rejected));
          std::fflush(stdout);
        }
        last_applied = applied;
        last_rejected = rejected;
        // Tasks the planner cannot see: say so when their number grows.
        const uint64_t no_slot = counters[ATLAS_STAT_TASK_NO_SLOT];
        if (no_slot > last_no_slot) {
          std::fprintf(stderr,
                       "scx_atlas: %llu tasks got no task_snaps slot (more "
                       "than %u tasks): they run, but the planner cannot "
                       "see or move them\n",
                       static_cast<unsigned long long>(no_slot),
                       ATLAS_MAX_TASK_SLOTS);
          last_no_slot = no_slot;
        }
        next_balance = now + options.interval;
      }
      if (!migrations_sent && g_debug_migrate.load()) {
        DebugMigrate(**sched, options, migrate_requested);
        migrations_sent =
            std::find(migrate_requested.begin(), migrate_requested.end(),
                      false) == migrate_requested.end();
      }
      if (options.stats_table_interval > absl::ZeroDuration() &&
          absl::Now() >= next_table) {
        if (absl::StatusOr<StatsSample> sample = hub.Sample(); sample.ok()) {
          const std::string table = RenderTable(
              BuildReport(*sample, table_prev ? &*table_prev : nullptr));
          std::printf("%s\n", table.c_str());
          std::fflush(stdout);
          table_prev = *std::move(sample);
        }
        next_table += options.stats_table_interval;
      }
      if (options.stats_interval > absl::ZeroDuration() &&
          absl::Now() >= next_stats) {
        PrintStats(**sched, "stats");
        if (!options.debug_migrations.empty() && migrations_sent) {
          DebugMigrate(**sched, options, migrate_requested);
        }
        next_stats += options.stats_interval;
      }
    }
    const int sig = g_stop_signal.load();
    if (sig != 0) {
      std::printf("scx_atlas: %s received, detaching\n",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    PrintStats(**sched, "final stats");
    hub.Detach();  // the stats thread must not read a scheduler being freed
    (*sched)->Detach();  // runs ops.exit if the kernel has not already
    const atlas_exit_info info = (*sched)->ExitInfo();
    if (!(*sched)->Exited()) {
      std::fprintf(stderr, "scx_atlas: detached, but ops.exit did not run\n");
      return 1;
    }
    if (sig == 0 && WantsRestart(info)) {
      std::printf("scx_atlas: restarting: %s\n", DescribeExit(info).c_str());
      continue;
    }
    const int status = ExitStatus(info);
    std::fprintf(status ? stderr : stdout, "scx_atlas: exited: %s\n",
                 DescribeExit(info).c_str());
    return status;
  }
}

}  // namespace atlas

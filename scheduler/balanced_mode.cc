// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/balanced_mode.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "planner/cgroup_shares.h"
#include "planner/planner.h"
#include "scheduler/bpf_load_source.h"
#include "scheduler/cgroup_stats.h"
#include "scheduler/clock.h"
#include "scheduler/stats.h"
#include "scheduler/topo_check.h"

namespace atlas {
namespace {

uint64_t Ns(absl::Duration d) {
  return static_cast<uint64_t>(absl::ToInt64Nanoseconds(d));
}

std::atomic<bool> g_debug_migrate{false};
void OnUsr1(int) { g_debug_migrate.store(true); }

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
    base_.verified_insns = sched->VerifiedInsns();
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
  // What the last cgroup factors were worked out from.
  void Cgrouped(const CgroupShares& shares) {
    std::lock_guard<std::mutex> lock(mu_);
    SetCgroupStats(shares, kCgroupsShown, &base_);
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
void DebugMigrate(BpfScheduler& sched, const BalancedOptions& options,
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

class BalancedMode : public Mode {
 public:
  explicit BalancedMode(const BalancedOptions& options) : options_(options) {
    if (!options_.debug_migrations.empty()) {
      // The test hook's signal, only when the hook is asked for.
      struct sigaction sa = {};
      sa.sa_handler = OnUsr1;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGUSR1, &sa, nullptr);
    }
  }

  absl::Status Load(const Layout& layout, int restarts) override {
    planner_.reset();
    source_.reset();
    sched_.reset();
    layout_ = layout;
    SchedulerConfig config = options_.scheduler;
    config.hotplug_seq = layout.hotplug_seq;
    absl::StatusOr<std::unique_ptr<BpfScheduler>> sched =
        BpfScheduler::Load(config, layout.topology, layout.domains);
    if (!sched.ok()) return sched.status();
    sched_ = *std::move(sched);
    return absl::OkStatus();
  }

  absl::Status Attach() override;
  void Step() override;
  // Works out the cgroups' weight factors and hands them to BPF.
  void UpdateCgroupFactors();
  bool Exited() const override { return sched_->Exited(); }
  void PrintFinalStats() override { PrintStats(*sched_, "final stats"); }
  void Detach() override {
    hub_.Detach();     // the stats threads must not read a freed scheduler
    sched_->Detach();  // runs ops.exit if the kernel has not already
  }
  bool ExitRecorded() const override { return sched_->Exited(); }
  atlas_exit_info ExitInfo() const override { return sched_->ExitInfo(); }
  std::string ExitDump() const override { return sched_->ExitDump(); }
  absl::StatusOr<StatsSample> Sample() const override { return hub_.Sample(); }

 private:
  const BalancedOptions options_;
  Layout layout_;
  std::unique_ptr<BpfScheduler> sched_;
  std::unique_ptr<BpfLoadSource> source_;
  std::unique_ptr<Planner> planner_;
  StatsHub hub_;
  CgroupShares cgroup_shares_;
  // Deadlines on CLOCK_MONOTONIC (ns): a wall-clock step (NTP at boot, an
  // administrator's date) must not freeze the planner for its length.
  uint64_t next_balance_ = 0, next_tune_ = 0, next_stats_ = 0;
  uint64_t last_applied_ = 0, last_rejected_ = 0, last_no_slot_ = 0;
  std::vector<bool> migrate_requested_;
  bool migrations_sent_ = true;
};

absl::Status BalancedMode::Attach() {
  if (absl::Status s = sched_->Attach(); !s.ok()) return s;
  absl::StatusOr<std::string> topo =
      VerifyTopoCheck(sched_->TopoCheck(), layout_.topology, layout_.domains);
  if (!topo.ok()) {
    sched_->Detach();
    return topo.status();
  }
  std::printf("scx_atlas: BPF topology verified: %s\n", topo->c_str());
  std::printf(
      "scx_atlas: enabled: %zu CPUs in %zu domains, slice %llu us%s%s\n",
      layout_.topology.cpus.size(), layout_.domains.size(),
      static_cast<unsigned long long>(options_.scheduler.slice_ns / 1000),
      options_.scheduler.slice_policy == ATLAS_SLICE_DEPTH
          ? " (shared out by queue depth)"
      : options_.scheduler.slice_policy == ATLAS_SLICE_UTIL ? " (tuned)"
                                                            : "",
      options_.scheduler.fifo ? ", fifo" : "");
  std::fflush(stdout);

  hub_.Attach(sched_.get(), layout_.domains, options_.scheduler.slice_ns,
              options_.load_balance);
  PlannerLayout planner_layout;
  for (const Domain& d : layout_.domains) {
    planner_layout.domains.push_back(
        {d.node, static_cast<double>(d.capacity) / kMaxCapacity});
    planner_layout.domain_cpus.push_back(d.cpus);
  }
  // A task not seen running for two intervals is not the planner's concern.
  source_ = std::make_unique<BpfLoadSource>(
      sched_.get(),
      2 * static_cast<uint64_t>(absl::ToInt64Nanoseconds(options_.interval)));
  planner_ = std::make_unique<Planner>(source_.get(), std::move(planner_layout),
                                       options_.balance, options_.tuner);
  planner_->set_clock(&MonotonicNs);
  const uint64_t now = MonotonicNs();
  next_balance_ = now + Ns(options_.interval);
  next_tune_ = now;
  next_stats_ = now + Ns(options_.stats_interval);
  last_applied_ = last_rejected_ = last_no_slot_ = 0;
  migrate_requested_.assign(options_.debug_migrations.size(), false);
  migrations_sent_ = options_.debug_migrations.empty();
  return absl::OkStatus();
}

void BalancedMode::UpdateCgroupFactors() {
  cgroup_shares_.Compute(
      sched_->cgroup_slots(), sched_->nr_cgroup_slots(),
      sched_->task_snap_slots(), sched_->nr_task_snap_slots(), MonotonicNs(),
      sched_->load_half_life_ns(), 2 * Ns(options_.interval));
  uint64_t* out = sched_->cgroup_factors();
  const std::vector<uint64_t>& factors = cgroup_shares_.factors();
  for (size_t i = 0; i < factors.size(); ++i) {
    if (factors[i] != 0)
      __atomic_store_n(&out[i], factors[i], __ATOMIC_RELAXED);
  }
  hub_.Cgrouped(cgroup_shares_);
}

void BalancedMode::Step() {
  absl::SleepFor(std::min(absl::Milliseconds(50), options_.tune_interval));
  const uint64_t now = MonotonicNs();
  if (now >= next_tune_) {
    hub_.Tuned(planner_->TuneOnce(MonotonicNs()));
    if (options_.scheduler.cgroup_weights) UpdateCgroupFactors();
    next_tune_ = now + Ns(options_.tune_interval);
  }
  if (options_.load_balance && now >= next_balance_) {
    // What became of the previous pass's requests, then a new pass.
    const std::vector<uint64_t> counters = Counters(*sched_);
    const uint64_t applied = counters[ATLAS_STAT_MIGRATE_APPLIED];
    const uint64_t rejected = counters[ATLAS_STAT_MIGRATE_REJECTED] +
                              counters[ATLAS_STAT_MIGRATE_STALE];
    const uint64_t pass_start = MonotonicNs();
    const Plan plan = planner_->BalanceOnce(pass_start);
    hub_.Balanced(plan, MonotonicNs() - pass_start, planner_->last_cost());
    if (options_.verbose) {
      std::printf("scx_atlas: %s\n", DescribePass(plan).c_str());
      std::fflush(stdout);
    }
    if (!plan.migrations.empty() || plan.failed_writes ||
        applied != last_applied_ || rejected != last_rejected_) {
      std::printf(
          "scx_atlas: balance: %zu migrations requested%s%s; since the "
          "last pass %llu applied, %llu rejected or stale\n",
          plan.migrations.size(),
          plan.failed_writes ? " (some could not be written)" : "",
          plan.saturated ? " (saturated: weights count)" : "",
          static_cast<unsigned long long>(applied - last_applied_),
          static_cast<unsigned long long>(rejected - last_rejected_));
      std::fflush(stdout);
    }
    last_applied_ = applied;
    last_rejected_ = rejected;
    // Tasks the planner cannot see: say so when their number grows.
    const uint64_t no_slot = counters[ATLAS_STAT_TASK_NO_SLOT];
    if (no_slot > last_no_slot_) {
      std::fprintf(stderr,
                   "scx_atlas: %llu tasks got no task_snaps slot (more "
                   "than %u tasks): they run, but the planner cannot "
                   "see or move them\n",
                   static_cast<unsigned long long>(no_slot),
                   ATLAS_MAX_TASK_SLOTS);
      last_no_slot_ = no_slot;
    }
    next_balance_ = now + Ns(options_.interval);
  }
  if (!migrations_sent_ && g_debug_migrate.load()) {
    DebugMigrate(*sched_, options_, migrate_requested_);
    migrations_sent_ =
        std::find(migrate_requested_.begin(), migrate_requested_.end(),
                  false) == migrate_requested_.end();
  }
  if (options_.stats_interval > absl::ZeroDuration() &&
      MonotonicNs() >= next_stats_) {
    PrintStats(*sched_, "stats");
    if (!options_.debug_migrations.empty() && migrations_sent_) {
      DebugMigrate(*sched_, options_, migrate_requested_);
    }
    next_stats_ += Ns(options_.stats_interval);
  }
}

}  // namespace

std::unique_ptr<Mode> MakeBalancedMode(const BalancedOptions& options) {
  return std::make_unique<BalancedMode>(options);
}

}  // namespace atlas

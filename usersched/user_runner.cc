// SPDX-License-Identifier: GPL-2.0-only
#include "usersched/user_runner.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "scheduler/exit_info.h"
#include "scheduler/preflight.h"
#include "scheduler/stats.h"
#include "stats/format.h"
#include "stats/protocol.h"
#include "stats/report.h"
#include "stats/server.h"
#include "usersched/arena.h"
#include "usersched/policy.h"
#include "usersched/user_bpf.h"

namespace atlas::user {
namespace {

std::atomic<int> g_stop_signal{0};
void OnStopSignal(int sig) { g_stop_signal.store(sig); }

// What a policy sees: the BPF rings and state, the topology, the arena.
class BpfHost : public Host {
 public:
  BpfHost(UserBpf* bpf, int nr_cpus, std::vector<std::vector<int>> siblings,
          std::pmr::memory_resource* memory)
      : bpf_(bpf),
        nr_cpus_(nr_cpus),
        siblings_(std::move(siblings)),
        memory_(memory) {}
  bool Dispatch(const QueuedTask& task, const Decision& d) override {
    atlas_dispatched_task answer = {};
    answer.pid = task.pid;
    answer.cpu = d.cpu;
    answer.slice_ns = d.slice_ns;
    answer.vtime = d.vtime;
    answer.enq_cnt = task.enq_cnt;
    return bpf_->Dispatch(answer);
  }
  bool CpuIdle(int cpu) const override { return bpf_->CpuIdle(cpu); }
  int NrCpus() const override { return nr_cpus_; }
  const std::vector<int>& CacheSiblings(int cpu) const override {
    static const std::vector<int> kNone;
    return cpu >= 0 && cpu < static_cast<int>(siblings_.size()) ? siblings_[cpu]
                                                                : kNone;
  }
  uint64_t NowNs() const override { return MonotonicNs(); }
  uint64_t QueuedInKernel() const override { return bpf_->NrSharedQueued(); }
  std::pmr::memory_resource* memory() const override { return memory_; }

 private:
  UserBpf* bpf_;
  int nr_cpus_;
  std::vector<std::vector<int>> siblings_;
  std::pmr::memory_resource* memory_;
};

void Deliver(void* ctx, const atlas_queued_task& task) {
  static_cast<Policy*>(ctx)->Enqueue(task);
}

// One attach of the BPF side, until it exits or we are told to stop.
// Sets *restart when the kernel asks for a restart (e.g. CPU hotplug).
int RunAttached(const UserRunOptions& options, const Layout& layout,
                Policy* policy, std::pmr::memory_resource* memory,
                uint64_t restarts, bool* restart) {
  const int nr_cpu_ids = layout.topology.nr_cpu_ids;
  std::vector<std::vector<int>> siblings(nr_cpu_ids);
  for (const Domain& d : layout.domains) {
    for (int cpu : d.cpus) siblings[cpu] = d.cpus;
  }
  UserBpfConfig config;
  config.nr_cpu_ids = nr_cpu_ids;
  config.usersched_tgid = getpid();
  config.slice_ns = options.slice_ns;
  config.timeout_ms = options.watchdog_timeout_ms;
  absl::StatusOr<std::unique_ptr<UserBpf>> loaded =
      UserBpf::Load(config, Deliver, policy);
  if (!loaded.ok()) return Fail(loaded.status());
  UserBpf& bpf = **loaded;

  // Figures the other threads read.
  std::atomic<uint64_t> held{0};
  std::atomic<int64_t> faults{-1};
  StatsSample base;
  base.mode = "user";
  base.load_balance = false;
  base.slice_ns = options.slice_ns;
  base.restarts = restarts;
  for (const Domain& d : layout.domains) {
    DomainSample ds;
    ds.node = d.node;
    ds.cpus = d.cpus;
    ds.capacity = static_cast<double>(d.capacity) / kMaxCapacity;
    base.domains.push_back(std::move(ds));
  }
  auto sample = [&]() -> absl::StatusOr<StatsSample> {
    StatsSample s = base;
    s.at_ns = MonotonicNs();
    absl::StatusOr<std::vector<uint64_t>> counters = bpf.ReadStats();
    if (!counters.ok()) return counters.status();
    s.counters = *std::move(counters);
    s.cpu_busy_ns = bpf.ReadCpuBusy();
    s.user_scheduled = held.load();
    s.user_running = bpf.NrRunning();
    s.page_faults = faults.load();
    return s;
  };
  StatsProtocol protocol(sample);
  absl::StatusOr<std::unique_ptr<StatsServer>> server =
      StatsServer::StartForScheduler(options.stats_socket,
                                     options.metrics_listen, &protocol);
  if (!server.ok()) return Fail(server.status());

  if (absl::Status s = bpf.Attach(); !s.ok()) return Fail(s);
  base.started_ns = MonotonicNs();
  std::printf(
      "scx_atlas: enabled: %d CPUs, user mode, policy %s, slice %llu us, "
      "watchdog %u ms\n",
      nr_cpu_ids, policy->name(),
      static_cast<unsigned long long>(options.slice_ns / 1000),
      options.watchdog_timeout_ms);
  std::fflush(stdout);

  std::atomic<bool> printer_stop{false};
  std::thread printer;
  if (options.stats_table_interval > absl::ZeroDuration()) {
    printer = std::thread([&] {
      std::optional<StatsSample> prev;
      absl::Time next = absl::Now() + options.stats_table_interval;
      while (!printer_stop.load()) {
        absl::SleepFor(absl::Milliseconds(50));
        if (absl::Now() < next) continue;
        next += options.stats_table_interval;
        absl::StatusOr<StatsSample> s = sample();
        if (!s.ok()) continue;
        std::printf(
            "%s\n",
            RenderTable(BuildReport(*s, prev ? &*prev : nullptr)).c_str());
        std::fflush(stdout);
        prev = *std::move(s);
      }
    });
  }

  // The scheduling loop. From here on: no allocation outside the arena, no
  // syscall but the rings' and getrusage.
  PrefaultStack(256 * 1024);
  BpfHost host(&bpf, nr_cpu_ids, std::move(siblings), memory);
  const uint64_t warm_at = MonotonicNs() + 1'000'000'000;
  int64_t fault_base = -1;
  uint64_t next_fault_check = 0;
  bool failed_alloc = false;
  try {
    while (!bpf.Exited() && g_stop_signal.load() == 0) {
      const int got = bpf.Consume();
      policy->Schedule(host);
      const size_t pending = policy->Pending();
      held.store(pending, std::memory_order_relaxed);
      if (got == 0) bpf.Poll(pending > 0 ? 1 : 10);
      const uint64_t now = MonotonicNs();
      if (now >= next_fault_check) {
        next_fault_check = now + 100'000'000;
        const long f = ThreadPageFaults();
        if (fault_base >= 0) {
          faults.store(f - fault_base, std::memory_order_relaxed);
        } else if (now >= warm_at) {
          fault_base = f;
          faults.store(0, std::memory_order_relaxed);
        }
      }
    }
  } catch (const std::bad_alloc&) {
    failed_alloc = true;  // the arena is exhausted: leave cleanly
  }
  printer_stop.store(true);
  if (printer.joinable()) printer.join();

  const int sig = g_stop_signal.load();
  if (sig != 0) {
    std::printf("scx_atlas: %s received, detaching\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
  }
  if (absl::StatusOr<std::vector<uint64_t>> st = bpf.ReadStats(); st.ok()) {
    std::string line;
    for (int i = ATLAS_STAT_USER_QUEUED; i < ATLAS_NR_STATS; ++i) {
      absl::StrAppend(&line, " ", kStatDescs[i].name, "=", (*st)[i]);
    }
    std::printf("scx_atlas: final stats:%s page_faults=%lld\n", line.c_str(),
                static_cast<long long>(faults.load()));
  }
  server->reset();
  bpf.Detach();
  if (failed_alloc) {
    std::fprintf(stderr,
                 "scx_atlas: the locked arena (%zu MiB) is exhausted; "
                 "detached\n",
                 options.arena_bytes >> 20);
    return 1;
  }
  const atlas_exit_info info = bpf.ExitInfo();
  if (!bpf.Exited()) {
    std::fprintf(stderr, "scx_atlas: detached, but ops.exit did not run\n");
    return 1;
  }
  if (sig == 0 && WantsRestart(info)) {
    std::printf("scx_atlas: restarting: %s\n", DescribeExit(info).c_str());
    std::fflush(stdout);
    *restart = true;
    return 0;
  }
  const int status = ExitStatus(info);
  std::fprintf(status ? stderr : stdout, "scx_atlas: exited: %s\n",
               DescribeExit(info).c_str());
  return status;
}

}  // namespace

int RunUser(const UserRunOptions& options) {
  if (absl::Status s = CheckCanLoad(kSchedExtSysfs, geteuid() == 0); !s.ok()) {
    return Fail(s);
  }
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  // Everything that allocates a lot (hwloc) before memory is locked.
  absl::StatusOr<Layout> layout = options.make_layout();
  if (!layout.ok()) return Fail(layout.status());

  if (absl::Status s = LockProcessMemory(); !s.ok()) return Fail(s);
  absl::StatusOr<std::unique_ptr<LockedArena>> arena =
      LockedArena::Create(options.arena_bytes);
  if (!arena.ok()) return Fail(arena.status());
  std::pmr::memory_resource* memory = (*arena)->resource();
  std::unique_ptr<Policy> policy =
      options.policy == "fifo"
          ? MakeFifoPolicy(memory)
          : MakeVtimePolicy(memory, options.slice_ns, options.lag_budget_ns);
  if (options.debug_dispatch_delay_ns > 0) {
    policy = MakeDelayPolicy(std::move(policy), memory,
                             options.debug_dispatch_delay_ns);
  }

  for (uint64_t restarts = 0;; ++restarts) {
    bool restart = false;
    const int status =
        RunAttached(options, *layout, policy.get(), memory, restarts, &restart);
    if (!restart) return status;
    layout = options.make_layout();  // CPUs came or went
    if (!layout.ok()) return Fail(layout.status());
  }
}

}  // namespace atlas::user

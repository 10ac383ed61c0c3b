// SPDX-License-Identifier: GPL-2.0-only
#include "usersched/user_mode.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scheduler/cgroup_stats.h"
#include "scheduler/clock.h"
#include "scheduler/stats.h"
#include "usersched/arena.h"
#include "usersched/cgroup_weigher.h"
#include "usersched/heap_counter.h"
#include "usersched/policy.h"
#include "usersched/user_bpf.h"

namespace atlas::user {
namespace {

// What a policy sees: the BPF rings and state, the topology, the arena.
class BpfHost : public Host {
 public:
  BpfHost(UserBpf* bpf, int nr_cpus, std::vector<std::vector<int>> siblings,
          std::pmr::memory_resource* memory, uint64_t forced_slice_ns,
          int forced_cpu)
      : bpf_(bpf),
        nr_cpus_(nr_cpus),
        siblings_(std::move(siblings)),
        memory_(memory),
        forced_slice_ns_(forced_slice_ns),
        forced_cpu_(forced_cpu) {}
  bool Dispatch(const QueuedTask& task, const Decision& d) override {
    atlas_dispatched_task answer = {};
    answer.pid = task.pid;
    answer.cpu = forced_cpu_ >= 0 ? forced_cpu_ : d.cpu;
    answer.slice_ns = forced_slice_ns_ ? forced_slice_ns_ : d.slice_ns;
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
  uint64_t forced_slice_ns_;  // --debug_policy_slice, or 0
  int forced_cpu_;            // --debug_policy_cpu, or -1
};

void Deliver(void* ctx, const atlas_queued_task& task) {
  static_cast<Policy*>(ctx)->Enqueue(task);
}

class UserMode : public Mode {
 public:
  explicit UserMode(const UserOptions& options) : options_(options) {}
  ~UserMode() override { StopWeigher(); }

  absl::Status Prepare(const Layout& layout) override {
    // The layout (hwloc allocates a lot) is made before memory is locked.
    if (absl::Status s = LockProcessMemory(); !s.ok()) return s;
    if (options_.keep_locked_pages_in_place && !stay_put_) {
      stay_put_ = std::make_unique<LockedPagesStayPut>();
      if (!stay_put_->error().empty()) {
        std::fprintf(stderr,
                     "scx_atlas: warning: %s: compaction may move the "
                     "scheduler's locked pages, and a fault on one can "
                     "stall user mode into an ejection\n",
                     stay_put_->error().c_str());
      } else if (stay_put_->changed()) {
        std::printf(
            "scx_atlas: user mode: vm.compact_unevictable_allowed=0 while it "
            "runs (compaction would move its locked pages), 1 again at "
            "exit\n");
      }
    }
    absl::StatusOr<std::unique_ptr<LockedArena>> arena =
        LockedArena::Create(options_.arena_bytes);
    if (!arena.ok()) return arena.status();
    arena_ = *std::move(arena);
    std::pmr::memory_resource* memory = arena_->resource();
    policy_ = options_.policy == "fifo"
                  ? MakeFifoPolicy(memory)
                  : MakeVtimePolicy(memory, options_.slice_ns,
                                    options_.lag_budget_ns);
    if (options_.debug_dispatch_delay_ns > 0) {
      policy_ = MakeDelayPolicy(std::move(policy_), memory,
                                options_.debug_dispatch_delay_ns);
    }
    return absl::OkStatus();
  }

  absl::Status Load(const Layout& layout, int restarts) override {
    const int nr_cpu_ids = layout.topology.nr_cpu_ids;
    std::vector<std::vector<int>> siblings(nr_cpu_ids);
    for (const Domain& d : layout.domains) {
      for (int cpu : d.cpus) siblings[cpu] = d.cpus;
    }
    UserBpfConfig config;
    config.nr_cpu_ids = nr_cpu_ids;
    config.usersched_tgid = getpid();
    config.slice_ns = options_.slice_ns;
    // A policy's slices are clamped to at most a quarter of the watchdog's
    // timeout (1 s at most), or the default slice if that is longer: a few
    // tasks queued on one CPU behind a policy's huge slice must not stall
    // into an ejection.
    config.max_slice_ns = std::max<uint64_t>(
        options_.slice_ns,
        std::min<uint64_t>(1'000'000'000,
                           uint64_t{options_.watchdog_timeout_ms} * 250'000));
    // A task that has waited in the shared queue a quarter of the
    // watchdog's timeout goes to its head (bpf/atlas_user.bpf.c).
    config.max_wait_ns = uint64_t{options_.watchdog_timeout_ms} * 250'000;
    config.timeout_ms = options_.watchdog_timeout_ms;
    config.hotplug_seq = layout.hotplug_seq;
    config.cgroup_weights = options_.cgroup_weights;
    StopWeigher();  // a reload: the old maps go away
    absl::StatusOr<std::unique_ptr<UserBpf>> loaded =
        UserBpf::Load(config, Deliver, policy_.get());
    if (!loaded.ok()) return loaded.status();
    StatsSample base;
    base.mode = "user";
    base.load_balance = false;
    base.slice_ns = options_.slice_ns;
    base.restarts = static_cast<uint64_t>(restarts);
    base.verified_insns = (*loaded)->VerifiedInsns();
    for (const Domain& d : layout.domains) {
      DomainSample ds;
      ds.node = d.node;
      ds.cpus = d.cpus;
      ds.capacity = static_cast<double>(d.capacity) / kMaxCapacity;
      base.domains.push_back(std::move(ds));
    }
    std::lock_guard<std::mutex> lock(mu_);
    host_.reset();
    bpf_ = *std::move(loaded);
    host_ = std::make_unique<BpfHost>(
        bpf_.get(), nr_cpu_ids, std::move(siblings), arena_->resource(),
        options_.debug_policy_slice_ns, options_.debug_policy_cpu);
    base_ = std::move(base);
    attached_ = false;
    nr_cpu_ids_ = nr_cpu_ids;
    return absl::OkStatus();
  }

  absl::Status Attach() override {
    if (absl::Status s = bpf_->Attach(); !s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      base_.started_ns = MonotonicNs();
      attached_ = true;
    }
    // Before "enabled": the stats list the cgroups from then on.
    if (options_.cgroup_weights) StartWeigher();
    std::printf(
        "scx_atlas: enabled: %d CPUs, user mode, policy %s, slice %llu us, "
        "watchdog %u ms\n",
        nr_cpu_ids_, policy_->name(),
        static_cast<unsigned long long>(options_.slice_ns / 1000),
        options_.watchdog_timeout_ms);
    std::fflush(stdout);
    // From the first step on: no allocation outside the arena, no syscall
    // but the rings', getrusage and the runtime's read of the online CPUs
    // once a second (runtime/online_watch.h).
    PrefaultStack(256 * 1024);
    warm_at_ = MonotonicNs() + 1'000'000'000;
    fault_base_ = -1;
    next_fault_check_ = 0;
    return absl::OkStatus();
  }

  void Step() override {
    try {
      const int got = bpf_->Consume();
      policy_->Schedule(*host_);
      const size_t pending = policy_->Pending();
      held_.store(pending, std::memory_order_relaxed);
      if (got == 0) bpf_->Poll(pending > 0 ? 1 : 10);
    } catch (const std::bad_alloc&) {
      failed_alloc_ = true;  // the arena is exhausted: leave cleanly
    }
    const uint64_t now = MonotonicNs();
    if (now >= next_fault_check_) {
      next_fault_check_ = now + 100'000'000;
      const long f = ThreadPageFaults();
      const uint64_t a = ThreadHeapAllocations();
      if (fault_base_ >= 0) {
        faults_.store(f - fault_base_, std::memory_order_relaxed);
        heap_allocs_.store(static_cast<int64_t>(a - heap_base_),
                           std::memory_order_relaxed);
      } else if (now >= warm_at_) {
        fault_base_ = f;
        heap_base_ = a;
        faults_.store(0, std::memory_order_relaxed);
        heap_allocs_.store(0, std::memory_order_relaxed);
      }
    }
  }

  bool Exited() const override { return failed_alloc_ || bpf_->Exited(); }

  void PrintFinalStats() override {
    absl::StatusOr<std::vector<uint64_t>> st = bpf_->ReadStats();
    if (!st.ok()) return;
    std::string line;
    for (int i = ATLAS_STAT_USER_QUEUED; i < ATLAS_NR_STATS; ++i) {
      absl::StrAppend(&line, " ", kStatDescs[i].name, "=", (*st)[i]);
    }
    std::printf("scx_atlas: final stats:%s page_faults=%lld heap_allocs=%lld\n",
                line.c_str(), static_cast<long long>(faults_.load()),
                static_cast<long long>(heap_allocs_.load()));
    std::fflush(stdout);
  }

  void Detach() override {
    StopWeigher();
    bpf_->Detach();
    std::lock_guard<std::mutex> lock(mu_);
    attached_ = false;
  }
  bool ExitRecorded() const override { return bpf_->Exited(); }
  atlas_exit_info ExitInfo() const override { return bpf_->ExitInfo(); }
  std::string ExitDump() const override { return bpf_->ExitDump(); }
  absl::Status Failure() const override {
    if (!failed_alloc_) return absl::OkStatus();
    return absl::ResourceExhaustedError(
        absl::StrCat("the locked arena (", options_.arena_bytes >> 20,
                     " MiB) is exhausted; detached"));
  }

  absl::StatusOr<StatsSample> Sample() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!attached_) {
      return absl::UnavailableError("the scheduler is not attached (yet)");
    }
    StatsSample s = base_;
    s.at_ns = MonotonicNs();
    absl::StatusOr<std::vector<uint64_t>> counters = bpf_->ReadStats();
    if (!counters.ok()) return counters.status();
    s.counters = *std::move(counters);
    s.cpu_busy_ns = bpf_->ReadCpuBusy();
    s.user_scheduled = held_.load();
    s.user_running = bpf_->NrRunning();
    s.page_faults = faults_.load();
    s.heap_allocs = heap_allocs_.load();
    return s;
  }

  // cgroup weights: a thread of its own (it allocates, the scheduling
  // thread must not) updates the factors every kWeighEvery.
  void StartWeigher() {
    CgroupMaps maps;
    maps.slots = bpf_->cgroup_slots();
    maps.slots_used = bpf_->cgroup_slots_used();
    maps.runnable = bpf_->cgroup_runnable();
    maps.factors = bpf_->cgroup_factors();
    {
      std::lock_guard<std::mutex> lock(weigh_mu_);
      stop_weigher_ = false;
    }
    weigher_ = std::thread([this, maps] {
      CgroupWeigher weigher(maps, kWeighHalfLifeNs);
      std::unique_lock<std::mutex> lock(weigh_mu_);
      while (!stop_weigher_) {
        lock.unlock();
        weigher.Update(MonotonicNs());
        {
          std::lock_guard<std::mutex> sample_lock(mu_);
          SetCgroupStats(weigher.shares(), kCgroupsShown, &base_);
        }
        lock.lock();
        weigh_cv_.wait_for(lock, std::chrono::nanoseconds(kWeighEveryNs),
                           [this] { return stop_weigher_; });
      }
    });
  }
  void StopWeigher() {
    if (!weigher_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(weigh_mu_);
      stop_weigher_ = true;
    }
    weigh_cv_.notify_all();
    weigher_.join();
  }

 private:
  static constexpr uint64_t kWeighEveryNs = 100'000'000;
  static constexpr uint64_t kWeighHalfLifeNs = 150'000'000;

  const UserOptions options_;
  std::unique_ptr<LockedPagesStayPut> stay_put_;
  std::unique_ptr<LockedArena> arena_;
  std::unique_ptr<Policy> policy_;
  // Replaced by Load under mu_ (Sample reads them from other threads).
  mutable std::mutex mu_;
  std::unique_ptr<UserBpf> bpf_;
  std::unique_ptr<BpfHost> host_;
  StatsSample base_;
  bool attached_ = false;
  int nr_cpu_ids_ = 0;
  // The scheduling thread's figures the other threads read.
  std::atomic<uint64_t> held_{0};
  std::atomic<int64_t> faults_{-1};
  std::atomic<int64_t> heap_allocs_{-1};
  uint64_t warm_at_ = 0, next_fault_check_ = 0;
  int64_t fault_base_ = -1;
  uint64_t heap_base_ = 0;
  bool failed_alloc_ = false;
  std::thread weigher_;
  std::mutex weigh_mu_;
  std::condition_variable weigh_cv_;
  bool stop_weigher_ = false;
};

}  // namespace

std::unique_ptr<Mode> MakeUserMode(const UserOptions& options) {
  return std::make_unique<UserMode>(options);
}

}  // namespace atlas::user

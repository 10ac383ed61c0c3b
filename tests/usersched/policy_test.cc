// SPDX-License-Identifier: GPL-2.0-only
// The user-mode policies against a fake host, and the locked arena: a
// policy's steady state takes no page fault.
#include "usersched/policy.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory_resource>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "usersched/arena.h"

namespace atlas::user {
namespace {

using ::testing::ElementsAre;

struct Sent {
  int pid;
  int cpu;
  uint64_t vtime;
  uint64_t enq_cnt;
  uint64_t slice_ns;
};

class FakeHost : public Host {
 public:
  explicit FakeHost(int nr_cpus, std::pmr::memory_resource* memory =
                                     std::pmr::get_default_resource())
      : idle_(nr_cpus, false), memory_(memory) {
    for (int c = 0; c < nr_cpus; ++c) {
      // Two CPUs per cache: {0,1}, {2,3}, ...
      siblings_.push_back({c & ~1, (c & ~1) + 1});
    }
  }
  bool Dispatch(const QueuedTask& t, const Decision& d) override {
    if (capacity_ == 0) return false;
    if (capacity_ > 0) --capacity_;
    sent_.push_back({t.pid, d.cpu, d.vtime, t.enq_cnt, d.slice_ns});
    return true;
  }
  bool CpuIdle(int cpu) const override { return idle_[cpu]; }
  int NrCpus() const override { return static_cast<int>(idle_.size()); }
  const std::vector<int>& CacheSiblings(int cpu) const override {
    return siblings_[cpu];
  }
  uint64_t NowNs() const override { return now_; }
  uint64_t QueuedInKernel() const override { return queued_; }
  std::pmr::memory_resource* memory() const override { return memory_; }

  std::vector<bool> idle_;
  std::vector<std::vector<int>> siblings_;
  std::vector<Sent> sent_;
  int capacity_ = -1;  // answers the ring takes; -1 = unlimited
  uint64_t now_ = 1'000'000'000;
  uint64_t queued_ = 0;
  std::pmr::memory_resource* memory_;
};

constexpr uint64_t kLagBudgetNs = 1'000'000'000;

QueuedTask Task(int pid, uint64_t exec_ns, uint32_t weight = 100, int cpu = 0,
                uint32_t nr_allowed = 4, uint64_t enq_cnt = 1) {
  QueuedTask t;
  std::memset(&t, 0, sizeof(t));
  t.pid = pid;
  t.cpu = cpu;
  t.nr_cpus_allowed = nr_allowed;
  t.weight = weight;
  t.sum_exec_runtime = exec_ns;
  t.enq_cnt = enq_cnt;
  return t;
}

std::vector<int> Pids(const std::vector<Sent>& sent) {
  std::vector<int> out;
  for (const Sent& s : sent) out.push_back(s.pid);
  return out;
}

TEST(Fifo, DispatchesInArrivalOrderToTheSharedQueue) {
  auto policy = MakeFifoPolicy(std::pmr::get_default_resource());
  FakeHost host(4);
  for (int pid : {7, 3, 9}) policy->Enqueue(Task(pid, 0));
  EXPECT_EQ(policy->Pending(), 3u);
  policy->Schedule(host);
  EXPECT_THAT(Pids(host.sent_), ElementsAre(7, 3, 9));
  for (const Sent& s : host.sent_) EXPECT_EQ(s.cpu, kAnyCpu);
  EXPECT_LT(host.sent_[0].vtime, host.sent_[1].vtime);
  EXPECT_LT(host.sent_[1].vtime, host.sent_[2].vtime);
  EXPECT_EQ(policy->Pending(), 0u);
}

TEST(Fifo, KeepsTasksWhenTheRingIsFull) {
  auto policy = MakeFifoPolicy(std::pmr::get_default_resource());
  FakeHost host(4);
  for (int pid : {1, 2, 3}) policy->Enqueue(Task(pid, 0));
  host.capacity_ = 1;
  policy->Schedule(host);
  EXPECT_THAT(Pids(host.sent_), ElementsAre(1));
  EXPECT_EQ(policy->Pending(), 2u);
  host.capacity_ = -1;
  policy->Schedule(host);
  EXPECT_THAT(Pids(host.sent_), ElementsAre(1, 2, 3));
}

TEST(Vtime, HeavierAndShorterBurstsGoFirst) {
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 5'000'000,
                                kLagBudgetNs);
  FakeHost host(4);
  // Round 1 establishes each task's CPU time so far.
  for (int pid : {1, 2, 3}) policy->Enqueue(Task(pid, 0));
  policy->Schedule(host);
  host.sent_.clear();
  // pid 1: 4 ms burst, nice 0; pid 2: same burst at 4x the weight;
  // pid 3: 0.1 ms burst (interactive).
  policy->Enqueue(Task(1, 4'000'000, 100));
  policy->Enqueue(Task(2, 4'000'000, 400));
  policy->Enqueue(Task(3, 100'000, 100));
  policy->Schedule(host);
  EXPECT_THAT(Pids(host.sent_), ElementsAre(3, 2, 1));
}

TEST(Vtime, PrefersTheIdlePreviousCpuThenAnIdleCacheSibling) {
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 5'000'000,
                                kLagBudgetNs);
  FakeHost host(4);
  host.idle_ = {false, false, true, true};
  policy->Enqueue(Task(1, 0, 100, /*cpu=*/2));
  policy->Enqueue(Task(2, 0, 100, /*cpu=*/2));  // 2 taken: sibling 3
  policy->Enqueue(Task(3, 0, 100, /*cpu=*/2));  // both taken: shared
  policy->Enqueue(Task(4, 0, 100, /*cpu=*/3, /*nr_allowed=*/1));
  policy->Schedule(host);
  ASSERT_EQ(host.sent_.size(), 4u);
  std::vector<int> cpus;
  for (const Sent& s : host.sent_) cpus.push_back(s.cpu);
  // Equal deadlines: heap order is unspecified, so check the multiset.
  std::sort(cpus.begin(), cpus.end());
  EXPECT_THAT(cpus, ElementsAre(kAnyCpu, kAnyCpu, 2, 3));
  for (const Sent& s : host.sent_) {
    // A pinned task is never sent to a CPU other than its own.
    if (s.pid == 4) {
      EXPECT_TRUE(s.cpu == 3 || s.cpu == kAnyCpu);
    }
  }
}

TEST(Vtime, RepeatsTheEnqueueCounterItWasGiven) {
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 5'000'000,
                                kLagBudgetNs);
  FakeHost host(2);
  policy->Enqueue(Task(5, 0, 100, 0, 2, /*enq_cnt=*/41));
  policy->Enqueue(Task(5, 0, 100, 0, 2, /*enq_cnt=*/42));  // re-enqueued
  policy->Schedule(host);
  ASSERT_EQ(host.sent_.size(), 2u);
  std::vector<uint64_t> cnts = {host.sent_[0].enq_cnt, host.sent_[1].enq_cnt};
  std::sort(cnts.begin(), cnts.end());
  EXPECT_THAT(cnts, ElementsAre(41u, 42u));  // BPF drops the stale one
}

// One CPU shared by 12 nice-0 hogs and one task of weight 1, simulated:
// the kernel's shared queue runs the earliest vtime for 4 ms (a tick),
// then the task is enqueued again. Returns the longest stretch (ns) the
// light task waited between two runs over `secs` of simulated time.
uint64_t LongestWaitOfALightTask(uint64_t lag_budget_ns, int secs) {
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 5'000'000,
                                lag_budget_ns);
  FakeHost host(1);
  constexpr int kLight = 100;
  std::map<int, uint64_t> exec;
  std::multimap<uint64_t, int> queue;  // vtime -> pid: the kernel's DSQ
  auto submit = [&] {
    host.queued_ = queue.size();
    policy->Schedule(host);
    for (const Sent& s : host.sent_) queue.emplace(s.vtime, s.pid);
    host.sent_.clear();
  };
  for (int pid = 1; pid <= 12; ++pid) policy->Enqueue(Task(pid, 0, 100, 0, 1));
  policy->Enqueue(Task(kLight, 0, 1, 0, 1));
  submit();
  uint64_t now = 0, light_ran = 0, longest = 0;
  while (now < static_cast<uint64_t>(secs) * 1'000'000'000) {
    const int pid = queue.begin()->second;
    queue.erase(queue.begin());
    now += 4'000'000;
    exec[pid] += 4'000'000;
    host.now_ += 4'000'000;
    if (pid == kLight) {
      longest = std::max(longest, now - light_ran);
      light_ran = now;
    }
    policy->Enqueue(Task(pid, exec[pid], pid == kLight ? 1 : 100, 0, 1));
    submit();
  }
  return std::max(longest, now - light_ran);
}

TEST(Vtime, ALightTaskWaitsAboutTheLagBudgetAtMost) {
  // Uncapped, one 4 ms run of a weight-1 task costs 400 ms of vtime, which
  // each of the 12 hogs must run to catch up: about 4.8 s of waiting. With
  // a 1 s budget shared by 13 waiting tasks, the lead is at most 77 ms:
  // about 1 s, plus a round of the queue (48 ms).
  const uint64_t capped = LongestWaitOfALightTask(kLagBudgetNs, 30);
  const uint64_t uncapped = LongestWaitOfALightTask(0, 30);
  EXPECT_LE(capped, 1'200'000'000u);
  EXPECT_GE(uncapped, 4'000'000'000u);
}

// 4 CPUs shared by `hogs` nice-0 hogs running 1 s slices (the kernel's
// shared queue, as above, the earliest vtime first; the CPUs' first slices
// end a quarter second apart), and two tasks that wake every 10 ms for
// 0.1 ms: the longest any task, hog or sleeper, waited in the queue (ns)
// over `secs`. FakeHost's CPUs are busy (none idle).
uint64_t LongestWaitBehindLongSlices(int hogs, int secs) {
  constexpr int kCpus = 4;
  constexpr uint64_t kSlice = 1'000'000'000;
  auto policy =
      MakeVtimePolicy(std::pmr::get_default_resource(), kSlice, kLagBudgetNs);
  FakeHost host(kCpus);
  std::map<int, uint64_t> exec, queued_at;
  std::multimap<uint64_t, int> queue;
  auto submit = [&] {
    host.queued_ = queue.size();
    policy->Schedule(host);
    for (const Sent& s : host.sent_) {
      queue.emplace(s.vtime, s.pid);
      queued_at[s.pid] = host.now_;
    }
    host.sent_.clear();
  };
  const int sleepers[] = {hogs + 1, hogs + 2};
  for (int pid = 1; pid <= hogs; ++pid) {
    policy->Enqueue(Task(pid, 0, 100, pid % kCpus, kCpus));
  }
  submit();
  // Per CPU: when its task's slice ends, and the task (0: none).
  std::vector<std::pair<uint64_t, int>> cpu(kCpus);
  uint64_t longest = 0;
  auto start = [&](int c, uint64_t now) {
    if (queue.empty()) return;
    const int pid = queue.begin()->second;
    queue.erase(queue.begin());
    longest = std::max(longest, now - queued_at[pid]);
    const bool sleeper = pid > hogs;
    cpu[c] = {now + (sleeper ? 100'000 : kSlice), pid};
  };
  for (int c = 0; c < kCpus; ++c) {
    start(c, host.now_);
    cpu[c].first = host.now_ + (c + 1) * kSlice / kCpus;
  }
  uint64_t next_wake = host.now_;
  const uint64_t end = host.now_ + static_cast<uint64_t>(secs) * kSlice;
  while (host.now_ < end) {
    int c = 0;
    for (int i = 1; i < kCpus; ++i) {
      if (cpu[i].first < cpu[c].first) c = i;
    }
    if (next_wake < cpu[c].first) {
      host.now_ = next_wake;
      next_wake += 10'000'000;
      for (int pid : sleepers) {
        exec[pid] += 100'000;
        policy->Enqueue(Task(pid, exec[pid], 100, 0, kCpus));
      }
      submit();
      continue;
    }
    const auto [at, pid] = cpu[c];
    host.now_ = at;
    if (pid > 0 && pid <= hogs) {
      exec[pid] += kSlice;
      policy->Enqueue(Task(pid, exec[pid], 100, c, kCpus));
      submit();
    }
    cpu[c] = {host.now_ + 1'000'000, 0};  // idle: looks again in 1 ms
    start(c, host.now_);
  }
  return longest;
}

TEST(Vtime, NoTaskWaitsLongBehindLongSlices) {
  // Round robin: a hog waits (hogs - CPUs) / CPUs slices; half a slice
  // more is allowed. Before capped tasks kept their order, a later hog
  // capped lower went first again and again: 8.6 s (6 hogs), 2.0 s (8),
  // 7.3 s (12).
  for (int hogs : {6, 8, 12}) {
    const uint64_t longest = LongestWaitBehindLongSlices(hogs, 120);
    EXPECT_LE(longest, (hogs - 4) * 250'000'000ULL + 500'000'000ULL)
        << hogs << " hogs";
  }
}

// 4 CPUs shared by 6 busy tasks of a cgroup of cpu.weight 300 and 6 of one
// of weight 100 (as BPF gives them: eff_weight, a nice-0 task's x its
// cgroup's share), simulated as above (every CPU runs the earliest vtime
// for a tick at a time) for `secs`: the first cgroup's share of the CPU.
double ShareOfTheHeavyCgroup(bool cgroup_weights, int secs) {
  constexpr int kCpus = 4, kEach = 6;
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 5'000'000,
                                kLagBudgetNs);
  FakeHost host(kCpus);
  std::map<int, uint64_t> exec;
  std::multimap<uint64_t, int> queue;
  auto heavy = [](int pid) { return pid <= kEach; };
  auto task = [&](int pid) {
    QueuedTask t = Task(pid, exec[pid], 100, 0, kCpus);
    if (cgroup_weights) {
      t.eff_weight = (heavy(pid) ? 300 : 100) * ATLAS_WEIGHT_SCALE / kEach;
      t.cgroup_id = heavy(pid) ? 1 : 2;
    }
    return t;
  };
  auto submit = [&] {
    host.queued_ = queue.size();
    policy->Schedule(host);
    for (const Sent& s : host.sent_) queue.emplace(s.vtime, s.pid);
    host.sent_.clear();
  };
  for (int pid = 1; pid <= 2 * kEach; ++pid) policy->Enqueue(task(pid));
  submit();
  uint64_t on_heavy = 0, all = 0;
  for (uint64_t now = 0; now < static_cast<uint64_t>(secs) * 1'000'000'000;
       now += 4'000'000) {
    std::vector<int> running;
    for (int c = 0; c < kCpus && !queue.empty(); ++c) {
      running.push_back(queue.begin()->second);
      queue.erase(queue.begin());
    }
    host.now_ += 4'000'000;
    for (int pid : running) {
      exec[pid] += 4'000'000;
      if (now >= 1'000'000'000) {  // after a second to settle
        all += 4'000'000;
        if (heavy(pid)) on_heavy += 4'000'000;
      }
    }
    for (int pid : running) policy->Enqueue(task(pid));
    submit();
  }
  return static_cast<double>(on_heavy) / static_cast<double>(all);
}

TEST(Vtime, ChargesByTheEffectiveWeight) {
  // The cgroups' weights split the CPUs 3:1; per-task weights (eff_weight
  // 0: the policy falls back to the task's own) would split them 1:1.
  EXPECT_NEAR(ShareOfTheHeavyCgroup(true, 20), 0.75, 0.02);
  EXPECT_NEAR(ShareOfTheHeavyCgroup(false, 20), 0.5, 0.02);
}

// The slices (by pid) of three tasks, a quarter of nice 0 (pid 1), half of
// the least weight (2) and three times nice 0 (3), scheduled on 4 CPUs
// with `queued` more tasks waiting in the kernel's queue.
std::map<int, uint64_t> SlicesOfThree(uint64_t queued) {
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 8'000'000,
                                kLagBudgetNs);
  FakeHost host(4);
  host.queued_ = queued;
  QueuedTask quarter = Task(1, 0), tiny = Task(2, 0), heavy = Task(3, 0);
  quarter.eff_weight = 25 * ATLAS_WEIGHT_SCALE;
  tiny.eff_weight = ATLAS_WEIGHT_SCALE / 2;
  heavy.eff_weight = 300 * ATLAS_WEIGHT_SCALE;
  for (const QueuedTask& t : {quarter, tiny, heavy}) policy->Enqueue(t);
  policy->Schedule(host);
  std::map<int, uint64_t> slice;
  for (const Sent& s : host.sent_) slice[s.pid] = s.slice_ns;
  return slice;
}

TEST(Vtime, LightTasksRunShorterSlicesWhenMoreWaitThanCpus) {
  std::map<int, uint64_t> slice = SlicesOfThree(2);  // 5 wait for 4 CPUs
  ASSERT_EQ(slice.size(), 3u);
  EXPECT_EQ(slice[1], 2'000'000u);  // a quarter of 8 ms
  EXPECT_EQ(slice[2], 1'000'000u);  // at least 1 ms
  EXPECT_EQ(slice[3], 0u);          // the default slice
}

TEST(Vtime, EveryTaskRunsTheWholeSliceWhenNoMoreWaitThanCpus) {
  // A slice end with nobody waiting only hands the CPU back to the task.
  std::map<int, uint64_t> slice = SlicesOfThree(1);  // 4 wait for 4 CPUs
  ASSERT_EQ(slice.size(), 3u);
  for (const auto& [pid, ns] : slice) EXPECT_EQ(ns, 0u) << pid;
}

TEST(Vtime, ATaskFirstSeenBringsNoCredit) {
  // When the scheduler attaches, every running task is new to the policy
  // with all its past CPU time: charged at once, a nice-19 task that had
  // run a minute went a whole lag budget share ahead of the nice-0 tasks
  // (its weight too small to move the clock) and waited past the
  // watchdog behind many of them. A task seen first starts at the clock.
  auto policy = MakeVtimePolicy(std::pmr::get_default_resource(), 5'000'000,
                                kLagBudgetNs);
  FakeHost host(1);
  policy->Schedule(host);  // learns the time
  policy->Enqueue(Task(1, 0));
  policy->Enqueue(Task(2, 60'000'000'000, /*weight=*/1));  // ran a minute
  for (int pid = 3; pid <= 6; ++pid) policy->Enqueue(Task(pid, 0));
  policy->Schedule(host);
  ASSERT_EQ(host.sent_.size(), 6u);
  uint64_t light = 0, least = UINT64_MAX;
  for (const Sent& s : host.sent_) {
    if (s.pid == 2)
      light = s.vtime;
    else
      least = std::min(least, s.vtime);
  }
  EXPECT_LE(light, least + 5'000'000u);
}

TEST(Delay, HoldsTasksForTheDelay) {
  auto policy =
      MakeDelayPolicy(MakeFifoPolicy(std::pmr::get_default_resource()),
                      std::pmr::get_default_resource(), 50'000'000);
  FakeHost host(2);
  policy->Schedule(host);  // learns the time
  policy->Enqueue(Task(1, 0));
  policy->Schedule(host);
  EXPECT_TRUE(host.sent_.empty());
  host.now_ += 60'000'000;
  policy->Schedule(host);
  EXPECT_THAT(Pids(host.sent_), ElementsAre(1));
}

TEST(Arena, SteadyStateSchedulingTakesNoPageFault) {
  // (Bazel's sandbox may forbid mlockall; the arena alone is what the
  // scheduling path allocates from, populated and locked up front.)
  absl::StatusOr<std::unique_ptr<LockedArena>> arena =
      LockedArena::Create(size_t{4} << 20);
  ASSERT_TRUE(arena.ok()) << arena.status();
  std::pmr::memory_resource* memory = (*arena)->resource();
  for (auto make :
       {+[](std::pmr::memory_resource* m) {
          return MakeVtimePolicy(m, 5'000'000, kLagBudgetNs);
        },
        +[](std::pmr::memory_resource* m) { return MakeFifoPolicy(m); }}) {
    auto policy = make(memory);
    FakeHost host(8, memory);
    host.sent_.reserve(1 << 20);
    auto round = [&](int r) {
      for (int pid = 1; pid <= 2000; ++pid) {
        policy->Enqueue(Task(pid, static_cast<uint64_t>(r) * 1000 + pid,
                             100 + pid % 7, pid % 8, 8));
      }
      host.now_ += 1'000'000;
      policy->Schedule(host);
      host.sent_.clear();
    };
    PrefaultStack(256 * 1024);
    for (int r = 0; r < 20; ++r) round(r);  // warm-up
    const long before = ThreadPageFaults();
    for (int r = 20; r < 220; ++r) round(r);
    const long after = ThreadPageFaults();
    EXPECT_EQ(after - before, 0) << policy->name();
    EXPECT_EQ(policy->Pending(), 0u);
  }
}

TEST(Arena, ExhaustionIsBadAllocNotANewMapping) {
  absl::StatusOr<std::unique_ptr<LockedArena>> arena =
      LockedArena::Create(size_t{1} << 20);
  ASSERT_TRUE(arena.ok());
  std::pmr::vector<char> v((*arena)->resource());
  EXPECT_THROW(v.resize(size_t{8} << 20), std::bad_alloc);
}

}  // namespace
}  // namespace atlas::user

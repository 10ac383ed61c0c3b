// SPDX-License-Identifier: GPL-2.0-only
//
// The default user-mode policy (see policy.h): weighted vtime with
// deadlines, topology-aware CPU choice.
#include <algorithm>
#include <deque>
#include <unordered_map>
#include <vector>

#include "usersched/policy.h"

namespace atlas::user {
namespace {

class VtimePolicy : public Policy {
 public:
  VtimePolicy(std::pmr::memory_resource* memory, uint64_t slice_ns,
              uint64_t lag_budget_ns)
      : slice_ns_(slice_ns),
        lag_budget_ns_(lag_budget_ns),
        tasks_(memory),
        heap_(memory),
        claimed_(memory) {
    tasks_.reserve(4096);
    heap_.reserve(4096);
  }

  const char* name() const override { return "vtime"; }

  void Enqueue(const QueuedTask& task) override {
    auto [it, first_sight] = tasks_.try_emplace(task.pid);
    TaskState& st = it->second;
    // A pid seen with less CPU time than before is a new task. A task seen
    // for the first time brings no burst: what it ran before the scheduler
    // knew it (all its life, for the tasks already running when the
    // scheduler attached) was charged to nobody, and counting it would put
    // a long-running task a whole lag budget ahead at once, before the
    // queue filled up (a nice-19 task behind 24 hogs then waited past the
    // 5 s watchdog in test_fairness).
    const uint64_t burst = first_sight ? 0
                           : task.sum_exec_runtime >= st.exec_ns
                               ? task.sum_exec_runtime - st.exec_ns
                               : task.sum_exec_runtime;
    st.exec_ns = task.sum_exec_runtime;
    const uint64_t weight = std::max<uint64_t>(FairWeight(task), 1);
    st.vruntime += Scaled(burst, weight);
    // A sleeper may not bank more than one slice of credit.
    const uint64_t floor = clock_ > slice_ns_ ? clock_ - slice_ns_ : 0;
    st.vruntime = std::max(st.vruntime, floor);
    st.seen_ns = last_now_;
    Item item;
    item.deadline = st.vruntime + Scaled(std::min(burst, slice_ns_), weight);
    if (lag_budget_ns_ != 0) {
      // Never further ahead than the lag budget shared by those waiting.
      const uint64_t waiting = waiting_hint_ + heap_.size();
      const uint64_t limit =
          clock_ +
          std::max<uint64_t>(kMinLeadNs, lag_budget_ns_ / (1 + waiting));
      st.vruntime = std::min(st.vruntime, limit);
      // Tasks at the cap go in the order they reach it: a cap that came
      // out lower than an earlier one (fewer tasks waiting then, or a clock
      // that fell back as sleepers joined its average) would otherwise put
      // each later hog ahead of a capped one, again and again (behind 1 s
      // slices a hog waited 6 s, into the kernel's watchdog).
      if (item.deadline >= limit) {
        item.deadline = std::max(limit, last_capped_);
        last_capped_ = item.deadline;
      }
    }
    Track(st, static_cast<double>(weight));
    item.task = task;
    heap_.push_back(item);
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }

  void Schedule(Host& host) override {
    last_now_ = host.NowNs();
    waiting_hint_ = host.QueuedInKernel();
    claimed_.assign(static_cast<size_t>(host.NrCpus()), 0);
    const bool crowded =
        waiting_hint_ + heap_.size() > static_cast<uint64_t>(host.NrCpus());
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), Later);
      const Item& item = heap_.back();
      Decision decision;
      decision.cpu = PickCpu(host, item.task);
      decision.vtime = item.deadline;
      decision.slice_ns = SliceFor(FairWeight(item.task), crowded);
      if (!host.Dispatch(item.task, decision)) {
        std::push_heap(heap_.begin(), heap_.end(), Later);  // ring full
        break;
      }
      heap_.pop_back();
    }
    if (last_now_ - last_expire_ns_ > kExpireEveryNs) Expire(host);
    if (last_now_ - last_sweep_ns_ > 1'000'000'000) Sweep();
  }

  size_t Pending() const override { return heap_.size(); }

 private:
  struct TaskState {
    uint64_t vruntime = 0;
    uint64_t exec_ns = 0;
    uint64_t seen_ns = 0;
    // Its part in the clock's average (weight 0: not in it).
    double avg_weight = 0;
    uint64_t avg_vruntime = 0;
  };
  struct Item {
    uint64_t deadline;
    QueuedTask task;
  };
  static bool Later(const Item& a, const Item& b) {
    return a.deadline > b.deadline;
  }
  // When more tasks wait than there are CPUs (`crowded`), a task lighter
  // than a nice-0 one runs a proportionally shorter slice (at least 1 ms,
  // or the slice if shorter): a slice's vruntime then stays within the
  // lead cap, lag_budget / (1 + waiting), which would otherwise charge a
  // light task (a cgroup's share split among its tasks) less than its run.
  // Otherwise every task runs the whole slice: the lead cap is wide, and a
  // slice end would only hand the CPU back to the same task after a round
  // trip to this policy (a cgroup's 4 stress-ng tasks, a quarter of nice 0
  // each, on 4 CPUs ran 1.25 ms slices). 0: the default slice.
  uint64_t SliceFor(uint64_t weight, bool crowded) const {
    if (weight >= kNice0Weight || !crowded) return 0;
    const uint64_t least = std::min<uint64_t>(kMinSliceNs, slice_ns_);
    return std::max(least, slice_ns_ * weight / kNice0Weight);
  }
  // ns of CPU time as vruntime at `weight` (FairWeight's scale).
  static uint64_t Scaled(uint64_t ns, uint64_t weight) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) *
                                 kNice0Weight / weight);
  }

  // The clock is the weighted average vruntime of the tasks seen lately
  // (EEVDF's V): the tasks enqueued within the expiry window, each by its
  // weight. Not the largest vruntime dispatched: a light task's vruntime
  // leaps by slice x its weight's inverse per run, and a clock that
  // followed it would floor the heavier tasks up to it, taking their due.
  void Track(TaskState& st, double weight) {
    if (st.avg_weight > 0) {
      sum_weight_ -= st.avg_weight;
      sum_wv_ -= st.avg_weight * Rel(st.avg_vruntime);
    }
    st.avg_weight = weight;
    st.avg_vruntime = st.vruntime;
    sum_weight_ += weight;
    sum_wv_ += weight * Rel(st.vruntime);
    UpdateClock();
  }
  double Rel(uint64_t v) const {
    return static_cast<double>(static_cast<int64_t>(v - base_));
  }
  void UpdateClock() {
    if (!(sum_weight_ > 0)) return;
    const double rel = sum_wv_ / sum_weight_;
    clock_ = rel >= 0 ? base_ + static_cast<uint64_t>(rel)
                      : base_ - static_cast<uint64_t>(-rel);
  }

  // Takes the tasks not enqueued within the window out of the average (a
  // sleeper's vruntime stands still and would hold the clock back), and
  // sums the rest again from a base at the clock (no drift). The window:
  // 100 ms, or two rounds of the queue when that is longer (a busy task is
  // enqueued once a round).
  void Expire(Host& host) {
    last_expire_ns_ = last_now_;
    const uint64_t per_cpu = (waiting_hint_ + heap_.size()) /
                             static_cast<uint64_t>(std::max(host.NrCpus(), 1));
    const uint64_t window =
        std::max<uint64_t>(100'000'000, 2 * (1 + per_cpu) * slice_ns_);
    base_ = clock_;
    sum_weight_ = 0;
    sum_wv_ = 0;
    for (auto& [pid, st] : tasks_) {
      if (st.avg_weight <= 0) continue;
      if (last_now_ - st.seen_ns > window) {
        st.avg_weight = 0;
        continue;
      }
      sum_weight_ += st.avg_weight;
      sum_wv_ += st.avg_weight * Rel(st.avg_vruntime);
    }
    UpdateClock();
  }

  int PickCpu(Host& host, const QueuedTask& task) {
    const int prev = task.cpu;
    const int n = host.NrCpus();
    if (prev < 0 || prev >= n) return kAnyCpu;
    auto take = [&](int cpu) {
      if (claimed_[cpu] || !host.CpuIdle(cpu)) return false;
      claimed_[cpu] = 1;
      return true;
    };
    if (take(prev)) return prev;
    // Another CPU only for a task allowed everywhere (the exact cpumask is
    // BPF's to check; it falls back to the shared queue otherwise).
    if (static_cast<int>(task.nr_cpus_allowed) >= n) {
      for (int cpu : host.CacheSiblings(prev)) {
        if (cpu != prev && cpu >= 0 && cpu < n && take(cpu)) return cpu;
      }
    }
    return kAnyCpu;
  }

  // Forgets tasks not seen for 10 s (exited, or asleep: they come back with
  // the clock's floor anyway).
  void Sweep() {
    last_sweep_ns_ = last_now_;
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      if (last_now_ - it->second.seen_ns > 10'000'000'000ULL) {
        if (it->second.avg_weight > 0) {
          sum_weight_ -= it->second.avg_weight;
          sum_wv_ -= it->second.avg_weight * Rel(it->second.avg_vruntime);
        }
        it = tasks_.erase(it);
      } else {
        ++it;
      }
    }
  }

  static constexpr uint64_t kMinLeadNs = 1'000'000;
  static constexpr uint64_t kMinSliceNs = 1'000'000;
  static constexpr uint64_t kExpireEveryNs = 20'000'000;
  static constexpr uint64_t kNice0Weight = uint64_t{100} * ATLAS_WEIGHT_SCALE;

  uint64_t slice_ns_;
  uint64_t lag_budget_ns_;
  uint64_t waiting_hint_ = 0;  // tasks in the kernel's queue, last Schedule
  uint64_t clock_ = 0;         // weighted average vruntime (Track)
  uint64_t last_capped_ = 0;   // the last deadline set at the lead cap
  uint64_t base_ = 0;          // the average's sums are relative to it
  double sum_weight_ = 0, sum_wv_ = 0;
  uint64_t last_now_ = 0;
  uint64_t last_sweep_ns_ = 0;
  uint64_t last_expire_ns_ = 0;
  std::pmr::unordered_map<int32_t, TaskState> tasks_;
  std::pmr::vector<Item> heap_;
  std::pmr::vector<char> claimed_;  // CPUs given a task this round
};

class DelayPolicy : public Policy {
 public:
  DelayPolicy(std::unique_ptr<Policy> inner, std::pmr::memory_resource* memory,
              uint64_t delay_ns)
      : inner_(std::move(inner)), delay_ns_(delay_ns), held_(memory) {}
  const char* name() const override { return inner_->name(); }
  void Enqueue(const QueuedTask& task) override {
    held_.push_back({now_, task});
  }
  void Schedule(Host& host) override {
    now_ = host.NowNs();
    while (!held_.empty() && now_ - held_.front().first >= delay_ns_) {
      inner_->Enqueue(held_.front().second);
      held_.pop_front();
    }
    inner_->Schedule(host);
  }
  size_t Pending() const override { return held_.size() + inner_->Pending(); }

 private:
  std::unique_ptr<Policy> inner_;
  uint64_t delay_ns_;
  uint64_t now_ = 0;
  std::pmr::deque<std::pair<uint64_t, QueuedTask>> held_;
};

}  // namespace

std::unique_ptr<Policy> MakeVtimePolicy(std::pmr::memory_resource* memory,
                                        uint64_t slice_ns,
                                        uint64_t lag_budget_ns) {
  return std::make_unique<VtimePolicy>(memory, slice_ns, lag_budget_ns);
}

std::unique_ptr<Policy> MakeDelayPolicy(std::unique_ptr<Policy> inner,
                                        std::pmr::memory_resource* memory,
                                        uint64_t delay_ns) {
  return std::make_unique<DelayPolicy>(std::move(inner), memory, delay_ns);
}

}  // namespace atlas::user

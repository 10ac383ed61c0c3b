// SPDX-License-Identifier: GPL-2.0-only
//
// The example policy: first come, first served, on whichever CPU frees up
// first. A whole --mode=user policy is this: hold what Enqueue gives you in
// containers that allocate from the locked arena, and hand tasks to
// Host::Dispatch in Schedule.
//
//   sudo scx_atlas --mode=user --user_policy=fifo
#include <deque>

#include "usersched/policy.h"

namespace atlas::user {
namespace {

class FifoPolicy : public Policy {
 public:
  explicit FifoPolicy(std::pmr::memory_resource* memory) : queue_(memory) {}

  const char* name() const override { return "fifo"; }

  void Enqueue(const QueuedTask& task) override { queue_.push_back(task); }

  void Schedule(Host& host) override {
    while (!queue_.empty()) {
      Decision decision;
      decision.cpu = kAnyCpu;   // the shared queue...
      decision.vtime = ++seq_;  // ...in arrival order
      if (!host.Dispatch(queue_.front(), decision)) return;  // ring full
      queue_.pop_front();
    }
  }

  size_t Pending() const override { return queue_.size(); }

 private:
  std::pmr::deque<QueuedTask> queue_;
  uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Policy> MakeFifoPolicy(std::pmr::memory_resource* memory) {
  return std::make_unique<FifoPolicy>(memory);
}

}  // namespace atlas::user

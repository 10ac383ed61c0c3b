// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/policy.h: how to write a scheduling policy for --mode=user.
//
// The kernel enqueues a task -> BPF sends it here -> Policy::Enqueue. Then
// Policy::Schedule decides, for each task it holds, where and when it runs:
// Host::Dispatch(task, {cpu, slice, vtime}). cpu is a CPU the task may use,
// or kAnyCpu: the shared queue, ordered by vtime, that every CPU takes from
// when it has nothing else. Dispatch only what should run soon; tasks you
// hold are not running. An answer for a task that was re-enqueued since
// (affinity or priority change) is dropped by BPF and counted as stale.
//
// Rules of the scheduling path (Enqueue and Schedule): never block, never
// make a syscall, and allocate only from Host::memory() (a locked arena:
// use std::pmr containers). A page fault here can deadlock the machine
// until the kernel's watchdog ejects the scheduler.
//
// See fifo_policy.cc for a complete policy in under 100 lines.
#ifndef SCX_ATLAS_USERSCHED_POLICY_H_
#define SCX_ATLAS_USERSCHED_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <vector>

#include "shared/intf.h"

namespace atlas::user {

inline constexpr int kAnyCpu = ATLAS_CPU_ANY;

// pid, cpu (where it last ran), nr_cpus_allowed, weight (100 = nice 0),
// sum_exec_runtime (ns), vtime, enq_cnt, comm; cgroup_id (its cgroup, 0
// when cgroup weights are off) and eff_weight (below).
using QueuedTask = atlas_queued_task;

// The weight a fair policy should charge a task by: its own weight x its
// cgroup's factor (--cgroup_weights: the cgroup's cpu.weight shared among
// its runnable tasks and child cgroups, at every level), x
// ATLAS_WEIGHT_SCALE: 100 x ATLAS_WEIGHT_SCALE is one nice-0 task alone
// in the root cgroup.
inline uint64_t FairWeight(const QueuedTask& task) {
  return task.eff_weight != 0 ? task.eff_weight
                              : uint64_t{task.weight} * ATLAS_WEIGHT_SCALE;
}

struct Decision {
  int cpu = kAnyCpu;
  uint64_t slice_ns = 0;  // 0: the default slice (--user_slice)
  uint64_t vtime = 0;     // order in the shared queue (kAnyCpu)
};

// What a policy may ask and do.
class Host {
 public:
  virtual ~Host() = default;
  // False if the answer ring is full: keep the task, try next Schedule.
  virtual bool Dispatch(const QueuedTask& task, const Decision& decision) = 0;
  // No task is running on `cpu` now.
  virtual bool CpuIdle(int cpu) const = 0;
  virtual int NrCpus() const = 0;
  // The CPUs sharing `cpu`'s last-level cache (its domain), `cpu` included.
  virtual const std::vector<int>& CacheSiblings(int cpu) const = 0;
  virtual uint64_t NowNs() const = 0;  // CLOCK_MONOTONIC
  // Tasks waiting in the kernel's shared queue (a recent snapshot).
  virtual uint64_t QueuedInKernel() const = 0;
  virtual std::pmr::memory_resource* memory() const = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual const char* name() const = 0;
  // A task the kernel enqueued (it may already be held: then this is a
  // newer enqueue of it, and the older one is stale).
  virtual void Enqueue(const QueuedTask& task) = 0;
  // Dispatch what should run now.
  virtual void Schedule(Host& host) = 0;
  // Tasks held, not yet dispatched.
  virtual size_t Pending() const = 0;
};

// Weighted virtual time with deadlines: a task's vruntime advances by its
// CPU time x nice-0 / FairWeight; it is dispatched by deadline = vruntime +
// its last burst (capped at one slice) x nice-0 / FairWeight, so short
// sleepers (interactive tasks) go first. The clock is the weighted average
// vruntime of the tasks enqueued lately. A task's vruntime is kept at most
// one slice behind the clock (a sleeper banks no more credit), and never
// more than lag_budget_ns / (1 + tasks waiting) ahead of it (at least 1 ms;
// 0 = no cap), so a task of any weight waits about lag_budget_ns plus one
// round of the queue at most; tasks at the cap keep the order they reached
// it (no hog is overtaken again and again by later ones capped lower); a task
// lighter than nice 0 runs a shorter slice in proportion (at least 1 ms), so
// the cap does not undo its weight (a cgroup's share split among many tasks).
// CPU: the task's previous CPU if idle, else an idle CPU sharing its cache
// (tasks that may run anywhere), else the shared queue.
std::unique_ptr<Policy> MakeVtimePolicy(std::pmr::memory_resource* memory,
                                        uint64_t slice_ns,
                                        uint64_t lag_budget_ns);

// First come, first served (fifo_policy.cc: the example).
std::unique_ptr<Policy> MakeFifoPolicy(std::pmr::memory_resource* memory);

// Testing: holds every task `delay_ns` before passing it to `inner` (forces
// stale answers when tasks are re-enqueued meanwhile).
std::unique_ptr<Policy> MakeDelayPolicy(std::unique_ptr<Policy> inner,
                                        std::pmr::memory_resource* memory,
                                        uint64_t delay_ns);

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_POLICY_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// planner/balancer.h: the load balancer's core. Pure: no syscalls, clocks or
// maps; the same input always gives the same plan.
//
// Loads are normalized by domain capacity (CPUs x relative speed), so an
// efficiency-core domain is "full" sooner. The machine is balanced between
// NUMA nodes first, then between the domains inside each node. A domain (a
// node) is imbalanced when its load is more than domain_imbalance_pct
// (node_imbalance_pct) percent away from its capacity-weighted share of the
// average. Each move takes one task from the most loaded imbalanced domain
// (of the pushing node; inside the nodes, the most loaded of any node) to
// the least loaded one that can pull (of the pulling node; of the same
// node), choosing the task whose load is nearest the smaller of the two
// imbalances and rejecting any that would not shrink their sum; a task is
// never moved twice, never to a domain its cpumask excludes, and a pass
// makes at most max_migrations moves.
//
// Task loads: duty cycle alone while the machine has idle time; duty cycle x
// weight once it is saturated (runnable tasks >= CPUs), with "infeasible"
// weights capped: a task can use at most one CPU, so a weight that would
// give it more than one CPU's share is lowered to exactly that share. The
// domain loads come counted with an earlier plan's cap (BPF counts a task's
// weight up to it, LoadSnapshot::weight_cap) and are used as they are.
// (Taking the capped part out of uncapped loads here instead, from the
// heavy tasks' duty cycles, swung the loads by whole nice-0 tasks from pass
// to pass in the guest and made the planner move hogs back and forth: a nice
// -20 kworker weighs 88 nice-0 tasks, and its duty cycle and its domain's
// load average are never quite of the same window.)
#ifndef SCX_ATLAS_PLANNER_BALANCER_H_
#define SCX_ATLAS_PLANNER_BALANCER_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "planner/snapshot.h"

namespace atlas {

struct BalanceDomain {
  int node = 0;
  double capacity = 1;  // in CPUs of the fastest kind (capacity / 1024)
};

struct BalanceParams {
  double domain_imbalance_pct = 5;
  double node_imbalance_pct = 17;
  int max_migrations = 32;
};

struct Migration {
  uint64_t uid = 0;
  uint32_t pid = 0;
  int from = 0;
  int to = 0;
  double load = 0;
};

struct Plan {
  std::vector<Migration> migrations;
  bool saturated = false;  // weights were used
  // The infeasible-weight cap for the tasks of this snapshot (infinity:
  // none), to count domain loads with from now on (LoadSnapshot::weight_cap).
  double weight_cap = std::numeric_limits<double>::infinity();
  int failed_writes = 0;  // requests the source did not accept
  int tasks = 0;  // tasks in the snapshot (slots in use, recently written)
  std::vector<double> loads_before;  // per domain, in the units used
  std::vector<double> loads_after;   // ... had every migration applied
};

Plan Balance(const LoadSnapshot& snapshot,
             const std::vector<BalanceDomain>& domains,
             const BalanceParams& params);

// Caps infeasible weights (see above) for `nr_cpus` CPUs; returns the
// effective weights in the same order. Exposed for tests.
std::vector<double> CapInfeasibleWeights(const std::vector<double>& weights,
                                         double nr_cpus);

// Sum over domains of |load - capacity-weighted average|: what a plan
// must never increase.
double TotalImbalance(const std::vector<double>& loads,
                      const std::vector<BalanceDomain>& domains);

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_BALANCER_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// planner/snapshot.h: what the planner sees of the machine at one instant,
// as plain numbers: every domain's load and every recently active task's
// duty cycle, weight, domain and reachable domains. Filled from the BPF
// side's mmap'ed arrays by BpfLoadSource, or by hand in tests.
//
// Thread safety: plain values.
#ifndef SCX_ATLAS_PLANNER_SNAPSHOT_H_
#define SCX_ATLAS_PLANNER_SNAPSHOT_H_

#include <bitset>
#include <cstdint>
#include <vector>

#include "shared/intf.h"

namespace atlas {

using DomainSet = std::bitset<ATLAS_MAX_DOMAINS>;

struct TaskLoad {
  uint64_t uid = 0;
  uint32_t pid = 0;
  int domain = 0;
  double duty_cycle = 0;  // 0..1, fraction of time runnable
  uint32_t weight = 100;  // 100 = nice 0
  DomainSet allowed;      // domains its cpumask reaches
};

struct DomainState {
  double load = 0;      // sum(duty cycle x weight / 100) of its tasks
  double runnable = 0;  // sum(duty cycle) of its tasks
};

struct LoadSnapshot {
  std::vector<DomainState> domains;  // indexed by domain id
  std::vector<TaskLoad> tasks;       // recently active tasks, any order
};

}  // namespace atlas

#endif  // SCX_ATLAS_PLANNER_SNAPSHOT_H_

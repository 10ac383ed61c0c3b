// SPDX-License-Identifier: GPL-2.0-only
//
// topology/topology.h: the plain model of the machine every other part of
// scx_atlas uses (the BPF rodata, the planner, --show_topology). Only
// hwloc_loader.cc talks to hwloc; tests build a Topology from hwloc
// synthetic strings or XML through that loader, or by hand.
//
// Invariants: `cpus` holds the online CPUs sorted by OS index, each exactly
// once; every CpuInfo::core indexes `cores`, whose lists are sorted and
// partition `cpus`; `nodes` is sorted and names every CpuInfo::node;
// 1 <= capacity <= kMaxCapacity.
//
// Thread safety: immutable after construction; safe to share.
#ifndef SCX_ATLAS_TOPOLOGY_TOPOLOGY_H_
#define SCX_ATLAS_TOPOLOGY_TOPOLOGY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace atlas {

// A CPU's relative compute capacity; the fastest kind of CPU has this.
inline constexpr uint32_t kMaxCapacity = 1024;

enum class CpuKind { kUniform, kPerformance, kEfficiency };

std::string CpuKindName(CpuKind kind);

struct CpuInfo {
  int cpu = 0;   // OS index
  int core = 0;  // index into Topology::cores
  int l2 = -1;   // L2 cache instance (logical index), -1 if none reported
  int l3 = -1;   // L3 cache instance (logical index), -1 if none reported
  int node = 0;  // NUMA node OS index
  CpuKind kind = CpuKind::kUniform;
  uint32_t capacity = kMaxCapacity;
};

struct Topology {
  // One more than the highest CPU index the kernel may use (online or not).
  int nr_cpu_ids = 0;
  std::vector<CpuInfo> cpus;
  std::vector<std::vector<int>> cores;  // CPUs (SMT siblings) of each core
  std::vector<int> nodes;               // NUMA node OS indices

  // The CpuInfo of `cpu`, or nullptr if it is not an online CPU.
  const CpuInfo* Find(int cpu) const;
  // The CPUs sharing `cpu`'s core, `cpu` included; empty if not online.
  const std::vector<int>& SmtSiblings(int cpu) const;
  // The online CPUs of a NUMA node, sorted.
  std::vector<int> NodeCpus(int node) const;
  bool smt_enabled() const;
};

// "0-3,8,10-11" for a sorted list of CPU numbers.
std::string FormatCpuList(const std::vector<int>& cpus);

}  // namespace atlas

#endif  // SCX_ATLAS_TOPOLOGY_TOPOLOGY_H_

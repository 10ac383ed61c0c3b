// SPDX-License-Identifier: GPL-2.0-only
//
// topology/domains.h: the scheduling domains built from a Topology. Pure:
// no hwloc, no syscalls. A domain is a set of CPUs that share one dispatch
// queue in BPF and one load figure in the planner.
//
// Default: one domain per L3 cache (cache_level 3) or per L2 (cache_level 2),
// split further so that a domain never spans NUMA nodes and, on hybrid parts,
// never mixes performance and efficiency cores. Explicit domains come from a
// cpumask list: "0-3,4-7" is two domains; one domain made of several ranges
// joins them with '+': "0-3+8-11,4-7+12-15".
//
// Every returned layout satisfies: domains are numbered 0..n-1 in order of
// their lowest CPU; they partition the online CPUs; each lies in one node and
// has one kind; capacity = sum of its CPUs' capacities.
#ifndef SCX_ATLAS_TOPOLOGY_DOMAINS_H_
#define SCX_ATLAS_TOPOLOGY_DOMAINS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/intf.h"
#include "topology/topology.h"

namespace atlas {

inline constexpr int kMaxCpus = ATLAS_MAX_CPUS;
inline constexpr int kMaxDomains = ATLAS_MAX_DOMAINS;
inline constexpr int kMaxNodes = ATLAS_MAX_NODES;

struct Domain {
  int id = 0;
  int node = 0;
  CpuKind kind = CpuKind::kUniform;
  uint32_t capacity = 0;  // sum of the CPUs' capacities
  std::vector<int> cpus;  // sorted
};

struct DomainOptions {
  int cache_level = 3;   // 2 or 3; ignored when cpumasks is set
  std::string cpumasks;  // explicit domains, see above; empty = by cache
};

absl::StatusOr<std::vector<Domain>> BuildDomains(const Topology& topology,
                                                 const DomainOptions& options);

// Parses a CPU list ("0-3,8,10-11"; '+' also separates ranges) into sorted,
// unique CPU numbers. Errors name the offending part.
absl::StatusOr<std::vector<int>> ParseCpuList(const std::string& text);

}  // namespace atlas

#endif  // SCX_ATLAS_TOPOLOGY_DOMAINS_H_

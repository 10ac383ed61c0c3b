// SPDX-License-Identifier: GPL-2.0-only
#include "topology/show.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace atlas {

std::string FormatLayoutTable(const Topology& topology,
                              const std::vector<Domain>& domains) {
  std::string out = absl::StrFormat(
      "%d CPUs online (nr_cpu_ids %d), %d NUMA nodes, SMT %s, %d domains\n",
      topology.cpus.size(), topology.nr_cpu_ids, topology.nodes.size(),
      topology.smt_enabled() ? "on" : "off", domains.size());
  absl::StrAppendFormat(&out, "%-6s %-4s %-11s %8s  %s\n", "domain", "node",
                        "kind", "capacity", "cpus");
  for (const Domain& d : domains) {
    absl::StrAppendFormat(&out, "%-6d %-4d %-11s %8u  %s\n", d.id, d.node,
                          CpuKindName(d.kind), d.capacity,
                          FormatCpuList(d.cpus));
  }
  return out;
}

std::string FormatLayoutJson(const Topology& topology,
                             const std::vector<Domain>& domains) {
  std::vector<std::string> nodes;
  for (int node : topology.nodes) {
    nodes.push_back(absl::StrCat("{\"id\": ", node, ", \"cpus\": [",
                                 absl::StrJoin(topology.NodeCpus(node), ", "),
                                 "]}"));
  }
  std::vector<std::string> doms;
  for (const Domain& d : domains) {
    doms.push_back(absl::StrCat(
        "{\"id\": ", d.id, ", \"node\": ", d.node, ", \"kind\": \"",
        CpuKindName(d.kind), "\", \"capacity\": ", d.capacity, ", \"cpus\": [",
        absl::StrJoin(d.cpus, ", "), "]}"));
  }
  return absl::StrCat("{\"nr_cpus\": ", topology.cpus.size(), ", \"nodes\": [",
                      absl::StrJoin(nodes, ", "), "], \"domains\": [",
                      absl::StrJoin(doms, ", "), "]}\n");
}

}  // namespace atlas

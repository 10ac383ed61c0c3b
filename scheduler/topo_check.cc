// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/topo_check.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace atlas {

absl::StatusOr<std::string> VerifyTopoCheck(
    const atlas_topo_check& check, const Topology& topology,
    const std::vector<Domain>& domains) {
  auto mismatch = [](const std::string& what, uint64_t bpf, uint64_t want) {
    return absl::InternalError(absl::StrCat("BPF topology mismatch: ", what,
                                            " has ", bpf, " CPUs in BPF, ",
                                            want, " in the layout"));
  };
  if (!check.done)
    return absl::InternalError("ops.init did not build the topology");
  if (check.error != 0) {
    return absl::InternalError(absl::StrCat(
        "ops.init failed to build the topology cpumasks: ", check.error));
  }
  if (check.nr_cpus != topology.cpus.size()) {
    return mismatch("the machine", check.nr_cpus, topology.cpus.size());
  }
  std::vector<uint32_t> domain_sizes;
  for (const Domain& d : domains) {
    if (check.domain_cpus[d.id] != d.cpus.size()) {
      return mismatch(absl::StrCat("domain ", d.id), check.domain_cpus[d.id],
                      d.cpus.size());
    }
    domain_sizes.push_back(check.domain_cpus[d.id]);
  }
  std::vector<uint32_t> node_sizes;
  for (int node : topology.nodes) {
    const size_t want = topology.NodeCpus(node).size();
    if (check.node_cpus[node] != want) {
      return mismatch(absl::StrCat("node ", node), check.node_cpus[node], want);
    }
    node_sizes.push_back(check.node_cpus[node]);
  }
  uint32_t smt_cores = 0;
  for (const auto& core : topology.cores) smt_cores += core.size() > 1;
  if (check.nr_smt_cores != smt_cores) {
    return absl::InternalError(
        absl::StrCat("BPF topology mismatch: ", check.nr_smt_cores,
                     " SMT cores in BPF, ", smt_cores, " in the layout"));
  }
  return absl::StrCat(check.nr_cpus, " CPUs, domains ",
                      absl::StrJoin(domain_sizes, "+"), ", nodes ",
                      absl::StrJoin(node_sizes, "+"), ", ", smt_cores,
                      " SMT cores");
}

}  // namespace atlas

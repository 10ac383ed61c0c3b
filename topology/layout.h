// SPDX-License-Identifier: GPL-2.0-only
//
// topology/layout.h: what a scheduler is loaded for: the machine's topology
// and the domains built on it.
#ifndef SCX_ATLAS_TOPOLOGY_LAYOUT_H_
#define SCX_ATLAS_TOPOLOGY_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "topology/domains.h"
#include "topology/topology.h"

namespace atlas {

struct Layout {
  Topology topology;
  std::vector<Domain> domains;
};

// The domains of this machine (or, for --show_topology, of an hwloc
// synthetic description or XML export when one is given).
absl::StatusOr<Layout> MakeLayout(const DomainOptions& options,
                                  const std::string& synthetic = "",
                                  const std::string& xml = "");

}  // namespace atlas

#endif  // SCX_ATLAS_TOPOLOGY_LAYOUT_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// topology/show.h: the text and JSON forms of a domain layout printed by
// `scx_atlas --show_topology [--json]`. Pure.
#ifndef SCX_ATLAS_TOPOLOGY_SHOW_H_
#define SCX_ATLAS_TOPOLOGY_SHOW_H_

#include <string>
#include <vector>

#include "topology/domains.h"
#include "topology/topology.h"

namespace atlas {

// A table: one row per domain (domain, node, kind, capacity, CPUs).
std::string FormatLayoutTable(const Topology& topology,
                              const std::vector<Domain>& domains);

// One JSON object: {"nr_cpus": N, "nodes": [{"id": 0, "cpus": [...]}],
// "domains": [{"id": 0, "node": 0, "kind": "...", "capacity": C,
// "cpus": [...]}]} with sorted CPU lists.
std::string FormatLayoutJson(const Topology& topology,
                             const std::vector<Domain>& domains);

}  // namespace atlas

#endif  // SCX_ATLAS_TOPOLOGY_SHOW_H_

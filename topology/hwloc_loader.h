// SPDX-License-Identifier: GPL-2.0-only
//
// topology/hwloc_loader.h: builds a Topology from hwloc; the only file that
// includes hwloc. The host machine, an hwloc synthetic description ("pack:2
// numa:2 l3:4 core:8 pu:2") or an hwloc XML export (which may carry cpukinds
// for hybrid parts) can be loaded. CPU kinds: hwloc ranks kinds by
// efficiency; the highest rank is "performance" (capacity 1024), lower ranks
// get a capacity scaled by their CoreType/FrequencyMaxMHz info when present,
// else 512. With one kind every CPU is "uniform" at 1024.
//
// Thread safety: each call builds its own hwloc topology; calls may run
// concurrently.
#ifndef SCX_ATLAS_TOPOLOGY_HWLOC_LOADER_H_
#define SCX_ATLAS_TOPOLOGY_HWLOC_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "topology/topology.h"

namespace atlas {

absl::StatusOr<Topology> LoadHostTopology();
absl::StatusOr<Topology> LoadSyntheticTopology(const std::string& description);
absl::StatusOr<Topology> LoadXmlTopology(const std::string& path);

}  // namespace atlas

#endif  // SCX_ATLAS_TOPOLOGY_HWLOC_LOADER_H_

// SPDX-License-Identifier: GPL-2.0-only
#include "topology/layout.h"

#include <utility>

#include "topology/hwloc_loader.h"

namespace atlas {

absl::StatusOr<Layout> MakeLayout(const DomainOptions& options,
                                  const std::string& synthetic,
                                  const std::string& xml) {
  absl::StatusOr<Topology> topology = !synthetic.empty()
                                          ? LoadSyntheticTopology(synthetic)
                                      : !xml.empty() ? LoadXmlTopology(xml)
                                                     : LoadHostTopology();
  if (!topology.ok()) return topology.status();
  absl::StatusOr<std::vector<Domain>> domains =
      BuildDomains(*topology, options);
  if (!domains.ok()) return domains.status();
  return Layout{*std::move(topology), *std::move(domains)};
}

}  // namespace atlas

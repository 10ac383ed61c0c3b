// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/topo_check.h: compares the cpumasks the BPF side built in
// ops.init (counted back into struct atlas_topo_check) with the layout
// userspace sent, so a wrong hand-over is caught at start, not as odd
// scheduling later. Pure.
#ifndef SCX_ATLAS_SCHEDULER_TOPO_CHECK_H_
#define SCX_ATLAS_SCHEDULER_TOPO_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/intf.h"
#include "topology/domains.h"
#include "topology/topology.h"

namespace atlas {

// On a match, a one-line summary ("8 CPUs, domains 4+4, nodes 4+4, 4 SMT
// cores"); otherwise an error naming the first difference.
absl::StatusOr<std::string> VerifyTopoCheck(const atlas_topo_check& check,
                                            const Topology& topology,
                                            const std::vector<Domain>& domains);

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_TOPO_CHECK_H_

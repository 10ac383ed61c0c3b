// SPDX-License-Identifier: GPL-2.0-only
//
// topology/layout.h: what a scheduler is loaded for: the machine's topology,
// the domains built on it, and the kernel's hotplug sequence number it was
// read at.
//
// The host's layout is always the kernel's online CPUs: hwloc is asked for
// the CPUs outside this process's cpuset too (a confined service or a
// container schedules the whole machine), environment variables that would
// make hwloc describe another machine are refused, and what hwloc reports is
// checked against /sys/devices/system/cpu/online. The hotplug sequence
// number is read first: the kernel ends a scheduler whose number is stale
// when it attaches (a CPU came or went meanwhile) with a restart request.
#ifndef SCX_ATLAS_TOPOLOGY_LAYOUT_H_
#define SCX_ATLAS_TOPOLOGY_LAYOUT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "topology/domains.h"
#include "topology/topology.h"

namespace atlas {

struct Layout {
  Topology topology;
  std::vector<Domain> domains;
  uint64_t hotplug_seq = 0;  // 0: not known (no sched_ext)
  // Readings before this one that a CPU coming or going made suspect, or
  // that were not the online CPUs, and how long they took with their
  // pauses (MakeLayout, SettleWait).
  int unsettled_readings = 0;
  absl::Duration settle_time = absl::ZeroDuration();
};

// Where the kernel tells the online CPUs and its hotplug sequence number.
struct HostFiles {
  std::string online = "/sys/devices/system/cpu/online";
  std::string hotplug_seq = "/sys/kernel/sched_ext/hotplug_seq";
  // Reads the sequence number instead of `hotplug_seq` (tests: a number
  // that changes from one reading to the next, as under a flapping CPU).
  std::function<uint64_t()> read_hotplug_seq;
};

// A reading during which a CPU came or went, or whose CPUs are not the
// online ones (a CPU's sysfs files half there), is read again after
// `pause`, until `limit` has passed (sustained hotplug is waited out, not a
// reason to exit; a zero limit: one reading). A host's mismatch that lasts
// past the limit is an UnavailableError, an XML export's a
// FailedPreconditionError. `sleep` pauses and says whether
// to go on; false (e.g. a stop signal) ends the wait with a CancelledError.
struct SettleWait {
  absl::Duration limit = absl::Seconds(30);
  absl::Duration pause = absl::Milliseconds(200);
  std::function<bool(absl::Duration)> sleep;  // empty: absl::SleepFor
};

// The domains of this machine's online CPUs. With `xml` (an hwloc XML
// export, e.g. to give a hybrid layout to a machine whose firmware does not
// describe it), the topology comes from that file instead of the machine,
// and its CPUs must be exactly the online ones all the same.
absl::StatusOr<Layout> MakeLayout(const DomainOptions& options,
                                  const HostFiles& files = {},
                                  const std::string& xml = "",
                                  const SettleWait& wait = {});

// The domains of an hwloc synthetic description or XML export (for
// --show_topology); no check against the host.
absl::StatusOr<Layout> MakeLayoutFrom(const DomainOptions& options,
                                      const std::string& synthetic,
                                      const std::string& xml);

// OK if the topology's CPUs are exactly `online`; else an error naming the
// CPUs that differ.
absl::Status CheckOnline(const Topology& topology,
                         const std::vector<int>& online);

}  // namespace atlas

#endif  // SCX_ATLAS_TOPOLOGY_LAYOUT_H_

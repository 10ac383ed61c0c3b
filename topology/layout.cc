// SPDX-License-Identifier: GPL-2.0-only
#include "topology/layout.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "topology/hwloc_loader.h"

namespace atlas {
namespace {

absl::StatusOr<Layout> WithDomains(absl::StatusOr<Topology> topology,
                                   const DomainOptions& options) {
  if (!topology.ok()) return topology.status();
  absl::StatusOr<std::vector<Domain>> domains =
      BuildDomains(*topology, options);
  if (!domains.ok()) return domains.status();
  return Layout{*std::move(topology), *std::move(domains)};
}

// Up to the first 8 CPUs of a list, as "1, 2, 3 (and 5 more)".
std::string FewCpus(const std::vector<int>& cpus) {
  const size_t shown = std::min<size_t>(cpus.size(), 8);
  std::string out = absl::StrJoin(cpus.begin(), cpus.begin() + shown, ", ");
  if (cpus.size() > shown) {
    absl::StrAppend(&out, " (and ", cpus.size() - shown, " more)");
  }
  return out;
}

}  // namespace

absl::Status CheckOnline(const Topology& topology,
                         const std::vector<int>& online) {
  std::vector<int> seen;
  for (const CpuInfo& info : topology.cpus) seen.push_back(info.cpu);
  std::sort(seen.begin(), seen.end());
  std::vector<int> missing, extra;
  std::set_difference(online.begin(), online.end(), seen.begin(), seen.end(),
                      std::back_inserter(missing));
  std::set_difference(seen.begin(), seen.end(), online.begin(), online.end(),
                      std::back_inserter(extra));
  if (missing.empty() && extra.empty()) return absl::OkStatus();
  std::string why = "hwloc's topology is not the kernel's online CPUs:";
  if (!missing.empty()) absl::StrAppend(&why, " it lacks ", FewCpus(missing));
  if (!missing.empty() && !extra.empty()) absl::StrAppend(&why, ";");
  if (!extra.empty()) {
    absl::StrAppend(&why, " it has ", FewCpus(extra), ", which are offline");
  }
  return absl::FailedPreconditionError(why);
}

absl::StatusOr<Layout> MakeLayout(const DomainOptions& options,
                                  const HostFiles& files,
                                  const std::string& xml,
                                  const SettleWait& wait) {
  auto read_seq = [&] {
    if (files.read_hotplug_seq) return files.read_hotplug_seq();
    uint64_t seq = 0;
    if (std::ifstream in(files.hotplug_seq); in) in >> seq;
    return seq;
  };
  auto read_online = [&]() -> absl::StatusOr<std::vector<int>> {
    std::ifstream in(files.online);
    std::string text;
    if (!in || !std::getline(in, text)) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the online CPUs from ", files.online));
    }
    return ParseCpuList(std::string(absl::StripAsciiWhitespace(text)));
  };
  auto now = [] {
    return absl::FromChrono(
        std::chrono::steady_clock::now().time_since_epoch());
  };
  // The sequence number first: a CPU that comes or goes after this read
  // makes it stale, and the kernel then restarts us at attach. A CPU that
  // came or went while hwloc read (the online list or the number differs
  // before and after) makes the reading suspect: read again, after a pause
  // (under a flapping CPU, back-to-back readings can all overlap a change).
  // A reading whose CPUs are not the online ones is read again too: the
  // online list and the number can hold still while a CPU's sysfs files
  // come or go (a CPU going offline bumps the number first, then loses its
  // cache files, then leaves the online list), and hwloc then drops that
  // CPU from a reading that looked settled. Only once the wait's limit has
  // passed is a mismatch the answer (at once with a zero limit).
  const absl::Duration start = now();
  // An XML export cannot change while we wait: parsed once (and its error
  // said at once, not after the wait).
  std::optional<Topology> from_xml;
  if (!xml.empty()) {
    absl::StatusOr<Topology> loaded = LoadXmlTopology(xml);
    if (!loaded.ok()) return loaded.status();
    from_xml = *std::move(loaded);
  }
  for (int readings = 1;; ++readings) {
    const uint64_t seq = read_seq();
    absl::StatusOr<std::vector<int>> online = read_online();
    if (!online.ok()) return online.status();
    absl::StatusOr<Topology> topology =
        from_xml ? absl::StatusOr<Topology>(*from_xml) : LoadHostTopology();
    absl::StatusOr<std::vector<int>> after = read_online();
    if (!after.ok()) return after.status();
    absl::Status mismatch;
    if (*after == *online && read_seq() == seq) {
      if (!topology.ok()) return topology.status();
      // The CPUs first: the domains (and --cpumasks, which names CPUs) are
      // built only on a topology of the online CPUs (built on the reading
      // that lacked CPU 7, --cpumasks=4-7 was an error at once).
      mismatch = CheckOnline(*topology, *online);
      if (mismatch.ok()) {
        absl::StatusOr<Layout> layout =
            WithDomains(*std::move(topology), options);
        if (!layout.ok()) return layout.status();
        layout->hotplug_seq = seq;
        layout->unsettled_readings = readings - 1;
        layout->settle_time = now() - start;
        return layout;
      }
    }
    const absl::Duration waited = now() - start;
    if (waited >= wait.limit) {
      const std::string over =
          absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(1)));
      if (mismatch.ok()) {
        return absl::UnavailableError(
            absl::StrCat("the online CPUs kept changing for ", over, " (",
                         readings, " readings of the topology)"));
      }
      std::string why(mismatch.message());
      if (readings > 1) {
        absl::StrAppend(&why, " (", readings, " readings over ", over, ")");
      }
      // Unavailable: at start, main leaves a host's mismatch to Run's wait
      // (a start during hotplug, as at boot, is not a usage error); an XML
      // export unlike the online CPUs at start is one (checked once: an
      // export of another machine), and a restart waits for it too.
      if (xml.empty()) return absl::UnavailableError(why);
      return absl::FailedPreconditionError(
          absl::StrCat("--hwloc_xml=", xml, ": ", why));
    }
    if (!wait.sleep) {
      absl::SleepFor(wait.pause);
    } else if (!wait.sleep(wait.pause)) {
      return absl::CancelledError(
          "stopped while waiting for the online CPUs to settle");
    }
  }
}

absl::StatusOr<Layout> MakeLayoutFrom(const DomainOptions& options,
                                      const std::string& synthetic,
                                      const std::string& xml) {
  return WithDomains(!synthetic.empty() ? LoadSyntheticTopology(synthetic)
                                        : LoadXmlTopology(xml),
                     options);
}

}  // namespace atlas

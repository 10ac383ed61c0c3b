// SPDX-License-Identifier: GPL-2.0-only
#include "topology/domains.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace atlas {
namespace {

absl::Status CheckLimits(const Topology& topology) {
  if (topology.nr_cpu_ids > kMaxCpus) {
    return absl::InvalidArgumentError(
        absl::StrCat("the machine has ", topology.nr_cpu_ids,
                     " CPU ids; scx_atlas supports at most ", kMaxCpus));
  }
  for (int node : topology.nodes) {
    if (node >= kMaxNodes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "NUMA node ", node, " is beyond the supported ", kMaxNodes));
    }
  }
  return absl::OkStatus();
}

// Fills id, node, kind, capacity; sorts and numbers the domains.
absl::StatusOr<std::vector<Domain>> Finish(const Topology& topology,
                                           std::vector<Domain> domains) {
  if (static_cast<int>(domains.size()) > kMaxDomains) {
    return absl::InvalidArgumentError(absl::StrCat(
        domains.size(), " domains; scx_atlas supports at most ", kMaxDomains));
  }
  std::sort(domains.begin(), domains.end(),
            [](const Domain& a, const Domain& b) { return a.cpus < b.cpus; });
  for (size_t i = 0; i < domains.size(); ++i) {
    Domain& d = domains[i];
    d.id = static_cast<int>(i);
    d.capacity = 0;
    const CpuInfo* first = topology.Find(d.cpus.front());
    d.node = first->node;
    d.kind = first->kind;
    for (int cpu : d.cpus) {
      const CpuInfo* info = topology.Find(cpu);
      if (info->node != d.node) {
        return absl::InvalidArgumentError(absl::StrCat(
            "domain ", FormatCpuList(d.cpus), " spans NUMA nodes ", d.node,
            " and ", info->node, "; a domain must lie in one node"));
      }
      if (info->kind != d.kind) d.kind = CpuKind::kUniform;  // mixed by hand
      d.capacity += info->capacity;
    }
  }
  return domains;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(const std::string& text) {
  std::set<int> cpus;
  if (text.empty()) return absl::InvalidArgumentError("empty CPU list");
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar(",+"))) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    int lo = 0, hi = 0;
    const bool is_range = part.find('-') != absl::string_view::npos;
    if (!absl::SimpleAtoi(range.first, &lo) || lo < 0 ||
        (is_range && (!absl::SimpleAtoi(range.second, &hi) || hi < lo)) ||
        range.first.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad CPU range '", part, "' in '", text,
                       "' (want N or N-M with N <= M)"));
    }
    if (!is_range) hi = lo;
    if (hi >= kMaxCpus) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CPU ", hi, " in '", text, "' is beyond the supported ", kMaxCpus));
    }
    for (int cpu = lo; cpu <= hi; ++cpu) cpus.insert(cpu);
  }
  return std::vector<int>(cpus.begin(), cpus.end());
}

absl::StatusOr<std::vector<Domain>> BuildDomains(const Topology& topology,
                                                 const DomainOptions& options) {
  if (absl::Status s = CheckLimits(topology); !s.ok()) return s;
  if (topology.cpus.empty())
    return absl::InvalidArgumentError("no online CPUs");
  std::vector<Domain> domains;

  if (!options.cpumasks.empty()) {
    std::map<int, std::string> owner;  // cpu -> the list that named it
    for (absl::string_view list : absl::StrSplit(options.cpumasks, ',')) {
      // A domain is one comma-free list; ranges inside it are joined by '+'.
      if (list.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--cpumasks: empty domain in '", options.cpumasks, "'"));
      }
      absl::StatusOr<std::vector<int>> cpus = ParseCpuList(std::string(list));
      if (!cpus.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--cpumasks: ", cpus.status().message()));
      }
      for (int cpu : *cpus) {
        if (topology.Find(cpu) == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--cpumasks: CPU ", cpu, " in '", list, "' is ",
              cpu < topology.nr_cpu_ids ? "offline" : "not present"));
        }
        auto [it, inserted] = owner.emplace(cpu, std::string(list));
        if (!inserted) {
          return absl::InvalidArgumentError(
              absl::StrCat("--cpumasks: domains '", it->second, "' and '", list,
                           "' overlap on CPU ", cpu));
        }
      }
      Domain domain;
      domain.cpus = *std::move(cpus);
      domains.push_back(std::move(domain));
    }
    std::vector<int> uncovered;
    for (const CpuInfo& info : topology.cpus) {
      if (!owner.count(info.cpu)) uncovered.push_back(info.cpu);
    }
    if (!uncovered.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cpumasks: CPUs ", FormatCpuList(uncovered),
                       " are online but in no domain"));
    }
    absl::StatusOr<std::vector<Domain>> out =
        Finish(topology, std::move(domains));
    if (!out.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cpumasks: ", out.status().message()));
    }
    return out;
  }

  if (options.cache_level != 2 && options.cache_level != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cache_level=", options.cache_level, ": must be 2 or 3"));
  }
  // Group by (cache instance, node, kind). A CPU whose cache level is not
  // reported falls back to its node.
  std::map<std::tuple<int, int, CpuKind>, std::vector<int>> groups;
  for (const CpuInfo& info : topology.cpus) {
    const int cache = options.cache_level == 2 ? info.l2 : info.l3;
    groups[{cache, info.node, info.kind}].push_back(info.cpu);
  }
  for (auto& [key, cpus] : groups) {
    Domain domain;
    domain.cpus = std::move(cpus);
    domains.push_back(std::move(domain));
  }
  return Finish(topology, std::move(domains));
}

}  // namespace atlas

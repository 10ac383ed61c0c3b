// SPDX-License-Identifier: GPL-2.0-only
#include "topology/topology.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace atlas {

std::string CpuKindName(CpuKind kind) {
  switch (kind) {
    case CpuKind::kPerformance:
      return "performance";
    case CpuKind::kEfficiency:
      return "efficiency";
    case CpuKind::kUniform:
      break;
  }
  return "uniform";
}

const CpuInfo* Topology::Find(int cpu) const {
  auto it = std::lower_bound(
      cpus.begin(), cpus.end(), cpu,
      [](const CpuInfo& info, int value) { return info.cpu < value; });
  return it != cpus.end() && it->cpu == cpu ? &*it : nullptr;
}

const std::vector<int>& Topology::SmtSiblings(int cpu) const {
  static const std::vector<int> kNone;
  const CpuInfo* info = Find(cpu);
  return info ? cores[info->core] : kNone;
}

std::vector<int> Topology::NodeCpus(int node) const {
  std::vector<int> out;
  for (const CpuInfo& info : cpus) {
    if (info.node == node) out.push_back(info.cpu);
  }
  return out;
}

bool Topology::smt_enabled() const {
  return std::any_of(cores.begin(), cores.end(),
                     [](const std::vector<int>& c) { return c.size() > 1; });
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ",";
    absl::StrAppend(&out, cpus[i]);
    if (j > i) absl::StrAppend(&out, "-", cpus[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace atlas

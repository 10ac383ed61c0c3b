// SPDX-License-Identifier: GPL-2.0-only
#include "topology/hwloc_loader.h"

#include <hwloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace atlas {
namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using HwlocTopology = std::unique_ptr<hwloc_topology, TopologyDeleter>;

struct BitmapDeleter {
  void operator()(hwloc_bitmap_s* b) const { hwloc_bitmap_free(b); }
};
using HwlocBitmap = std::unique_ptr<hwloc_bitmap_s, BitmapDeleter>;

int AncestorIndex(hwloc_topology_t topo, hwloc_obj_type_t type,
                  hwloc_obj_t pu) {
  hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu);
  return obj ? static_cast<int>(obj->logical_index) : -1;
}

// Kind and capacity per CPU from hwloc's cpukinds. Kinds are ranked by
// efficiency when hwloc knows it (index 0 = most energy-efficient); when it
// does not, Intel's CoreType info still tells P-cores from E-cores.
void AssignKinds(hwloc_topology_t topo, Topology& out) {
  const int nr = hwloc_cpukinds_get_nr(topo, 0);
  if (nr <= 1) return;  // one kind (or none): all uniform
  std::vector<HwlocBitmap> sets;
  std::vector<int> rank(nr);
  int nr_ranks = nr;
  bool ranked = true;
  std::vector<std::string> core_types;
  for (int k = 0; k < nr; ++k) {
    sets.emplace_back(hwloc_bitmap_alloc());
    int efficiency = -1;
    unsigned nr_infos = 0;
    hwloc_info_s* infos = nullptr;
    if (hwloc_cpukinds_get_info(topo, k, sets[k].get(), &efficiency, &nr_infos,
                                &infos, 0) != 0) {
      return;
    }
    ranked = ranked && efficiency >= 0;
    core_types.emplace_back();
    for (unsigned i = 0; i < nr_infos; ++i) {
      if (std::strcmp(infos[i].name, "CoreType") == 0) {
        core_types[k] = infos[i].value;
      }
    }
    rank[k] = k;
  }
  if (!ranked) {  // unranked kinds: only Intel's core types order them
    nr_ranks = 2;
    for (int k = 0; k < nr; ++k) {
      if (core_types[k] == "IntelAtom") {
        rank[k] = 0;
      } else if (core_types[k] == "IntelCore") {
        rank[k] = 1;
      } else {
        return;  // unknown: treat all CPUs as uniform
      }
    }
  }
  for (int k = 0; k < nr; ++k) {
    const bool fastest = rank[k] == nr_ranks - 1;
    const uint32_t capacity = std::max<uint32_t>(
        1, kMaxCapacity * static_cast<uint32_t>(rank[k] + 1) / nr_ranks);
    for (CpuInfo& info : out.cpus) {
      if (hwloc_bitmap_isset(sets[k].get(), info.cpu)) {
        info.kind = fastest ? CpuKind::kPerformance : CpuKind::kEfficiency;
        info.capacity = capacity;
      }
    }
  }
}

absl::StatusOr<Topology> FromHwloc(hwloc_topology_t topo) {
  Topology out;
  const int nr_pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  if (nr_pus <= 0) return absl::InternalError("hwloc found no CPUs");
  out.nr_cpu_ids =
      hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(topo)) + 1;
  std::map<int, int> core_by_hwloc;  // hwloc core logical index -> ours
  for (int i = 0; i < nr_pus; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
    CpuInfo info;
    info.cpu = static_cast<int>(pu->os_index);
    info.l2 = AncestorIndex(topo, HWLOC_OBJ_L2CACHE, pu);
    info.l3 = AncestorIndex(topo, HWLOC_OBJ_L3CACHE, pu);
    const int node = pu->nodeset ? hwloc_bitmap_first(pu->nodeset) : -1;
    info.node = node < 0 ? 0 : node;
    const int core = AncestorIndex(topo, HWLOC_OBJ_CORE, pu);
    // A PU without a core object is a core of its own.
    const int core_key = core >= 0 ? core : -1 - info.cpu;
    auto [it, inserted] = core_by_hwloc.emplace(core_key, 0);
    if (inserted) {
      it->second = static_cast<int>(out.cores.size());
      out.cores.emplace_back();
    }
    info.core = it->second;
    out.cores[info.core].push_back(info.cpu);
    out.cpus.push_back(info);
  }
  out.nr_cpu_ids = std::max(out.nr_cpu_ids, out.cpus.back().cpu + 1);
  std::sort(out.cpus.begin(), out.cpus.end(),
            [](const CpuInfo& a, const CpuInfo& b) { return a.cpu < b.cpu; });
  for (auto& core : out.cores) std::sort(core.begin(), core.end());
  for (const CpuInfo& info : out.cpus) out.nodes.push_back(info.node);
  std::sort(out.nodes.begin(), out.nodes.end());
  out.nodes.erase(std::unique(out.nodes.begin(), out.nodes.end()),
                  out.nodes.end());
  AssignKinds(topo, out);
  return out;
}

enum class Source { kHost, kSynthetic, kXml };

absl::StatusOr<Topology> Load(Source source, const std::string& arg) {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) {
    return absl::InternalError("hwloc_topology_init failed");
  }
  HwlocTopology topo(raw);
  if (source == Source::kHost) {
    // These would make hwloc describe another machine than the one the
    // kernel schedules.
    for (const char* var :
         {"HWLOC_XMLFILE", "HWLOC_SYNTHETIC", "HWLOC_FSROOT"}) {
      if (const char* value = std::getenv(var); value != nullptr) {
        return absl::FailedPreconditionError(absl::StrCat(
            var, "=", value,
            " is set: hwloc would describe another machine than this one; "
            "unset it"));
      }
    }
    // The CPUs outside this process's cpuset too: the scheduler runs them
    // all, wherever it was started from.
    if (hwloc_topology_set_flags(raw, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) !=
        0) {
      return absl::InternalError("hwloc_topology_set_flags failed");
    }
  }
  if (source == Source::kSynthetic &&
      hwloc_topology_set_synthetic(raw, arg.c_str()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid hwloc synthetic description '", arg, "'"));
  }
  if (source == Source::kXml && hwloc_topology_set_xml(raw, arg.c_str()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read hwloc XML file '", arg, "'"));
  }
  if (hwloc_topology_load(raw) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("hwloc could not load the topology",
                     source == Source::kHost ? "" : " from '" + arg + "'"));
  }
  return FromHwloc(raw);
}

}  // namespace

absl::StatusOr<Topology> LoadHostTopology() { return Load(Source::kHost, ""); }

absl::StatusOr<Topology> LoadSyntheticTopology(const std::string& description) {
  return Load(Source::kSynthetic, description);
}

absl::StatusOr<Topology> LoadXmlTopology(const std::string& path) {
  return Load(Source::kXml, path);
}

}  // namespace atlas

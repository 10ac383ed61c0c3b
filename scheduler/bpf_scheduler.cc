// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_scheduler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bpf/atlas_bpf.skel.h"

namespace atlas {
namespace {

std::string ErrnoText(int err) {
  return absl::StrCat(std::strerror(err < 0 ? -err : err), " (errno ",
                      err < 0 ? -err : err, ")");
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpfScheduler>> BpfScheduler::Load(
    const SchedulerConfig& config, const Topology& topology,
    const std::vector<Domain>& domains) {
  if (domains.empty() || static_cast<int>(domains.size()) > kMaxDomains) {
    return absl::InvalidArgumentError("bad domain layout");
  }
  struct ::atlas_bpf* skel = atlas_bpf__open();
  if (skel == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot open the BPF program: ", ErrnoText(errno)));
  }
  std::unique_ptr<BpfScheduler> sched(new BpfScheduler(skel));

  auto* ro = skel->rodata;
  ro->nr_cpu_ids = static_cast<uint32_t>(topology.nr_cpu_ids);
  ro->nr_domains = static_cast<uint32_t>(domains.size());
  ro->slice_ns = config.slice_ns;
  ro->fifo_sched = config.fifo;
  ro->debug_inject_error_after_ns = config.debug_inject_error_after_ns;
  ro->nr_cores = static_cast<uint32_t>(topology.cores.size());
  for (uint32_t& dom : ro->cpu_domain) dom = ATLAS_NO_DOMAIN;
  for (const Domain& domain : domains) {
    ro->domain_node[domain.id] = domain.node;
    for (int cpu : domain.cpus) ro->cpu_domain[cpu] = domain.id;
  }
  for (const CpuInfo& info : topology.cpus) {
    ro->cpu_core[info.cpu] = static_cast<uint32_t>(info.core);
  }

  if (int err = atlas_bpf__load(skel); err != 0) {
    return absl::InternalError(
        absl::StrCat("the kernel rejected the BPF scheduler: ", ErrnoText(err),
                     " (the verifier log, if any, is above)"));
  }
  return sched;
}

BpfScheduler::~BpfScheduler() {
  Detach();
  atlas_bpf__destroy(skel_);
}

absl::Status BpfScheduler::Attach() {
  bpf_link* link = bpf_map__attach_struct_ops(skel_->maps.atlas_ops);
  if (link == nullptr) {
    const int err = errno;
    if (err == EBUSY || err == EEXIST) {
      return absl::AlreadyExistsError(
          "another sched_ext scheduler is already active; stop it first");
    }
    return absl::InternalError(
        absl::StrCat("cannot attach the scheduler: ", ErrnoText(err)));
  }
  skel_->links.atlas_ops = link;
  return absl::OkStatus();
}

void BpfScheduler::Detach() {
  if (skel_->links.atlas_ops != nullptr) {
    bpf_link__destroy(skel_->links.atlas_ops);
    skel_->links.atlas_ops = nullptr;
  }
}

bool BpfScheduler::Exited() const {
  return __atomic_load_n(&skel_->bss->exit_info.exited, __ATOMIC_ACQUIRE) != 0;
}

atlas_topo_check BpfScheduler::TopoCheck() const {
  atlas_topo_check check;
  std::memcpy(&check, &skel_->bss->topo_check, sizeof(check));
  return check;
}

atlas_exit_info BpfScheduler::ExitInfo() const {
  atlas_exit_info info;
  std::memcpy(&info, &skel_->bss->exit_info, sizeof(info));
  return info;
}

absl::StatusOr<std::vector<uint64_t>> BpfScheduler::ReadStats() const {
  const int nr_cpus = libbpf_num_possible_cpus();
  if (nr_cpus <= 0) return absl::InternalError("cannot count possible CPUs");
  std::vector<atlas_cpu_stats> per_cpu(nr_cpus);
  const uint32_t key = 0;
  if (bpf_map__lookup_elem(skel_->maps.stats, &key, sizeof(key), per_cpu.data(),
                           per_cpu.size() * sizeof(atlas_cpu_stats), 0) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot read the stats map: ", ErrnoText(errno)));
  }
  std::vector<uint64_t> totals(ATLAS_NR_STATS, 0);
  for (const atlas_cpu_stats& s : per_cpu) {
    for (int i = 0; i < ATLAS_NR_STATS; ++i) totals[i] += s.counters[i];
  }
  return totals;
}

}  // namespace atlas

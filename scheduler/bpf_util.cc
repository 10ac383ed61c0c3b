// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "shared/intf.h"

namespace atlas {

std::string ErrnoText(int err) {
  return absl::StrCat(std::strerror(err < 0 ? -err : err), " (errno ",
                      err < 0 ? -err : err, ")");
}

absl::StatusOr<bpf_link*> AttachStructOps(bpf_map* ops) {
  bpf_link* link = bpf_map__attach_struct_ops(ops);
  if (link == nullptr) {
    const int err = errno;
    if (err == EBUSY || err == EEXIST) {
      return absl::AlreadyExistsError(
          "another sched_ext scheduler is already active; stop it first");
    }
    // The kernel refuses sched_ext under isolcpus= domain isolation (its
    // log says "isolcpus= domain isolation is not supported").
    std::string isolated;
    std::getline(std::ifstream("/sys/devices/system/cpu/isolated"), isolated);
    if (err == EINVAL && !isolated.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the kernel refused the scheduler (", ErrnoText(err), "): CPUs ",
          isolated,
          " are isolated (isolcpus=), and sched_ext does not run with domain "
          "isolation; boot without isolcpus= (a cpuset, e.g. systemd's "
          "AllowedCPUs=, keeps CPUs for one workload)"));
    }
    return absl::InternalError(
        absl::StrCat("cannot attach the scheduler: ", ErrnoText(err)));
  }
  return link;
}

absl::StatusOr<std::vector<uint64_t>> ReadCounters(const bpf_map* stats) {
  const int nr_cpus = libbpf_num_possible_cpus();
  if (nr_cpus <= 0) return absl::InternalError("cannot count possible CPUs");
  std::vector<atlas_cpu_stats> per_cpu(nr_cpus);
  const uint32_t key = 0;
  if (bpf_map__lookup_elem(stats, &key, sizeof(key), per_cpu.data(),
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

std::map<std::string, uint64_t> VerifiedInsns(bpf_object* obj) {
  std::map<std::string, uint64_t> out;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;  // not loaded (autoload off)
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_prog_get_info_by_fd(fd, &info, &len) != 0) continue;
    out[bpf_program__name(prog)] = info.verified_insns;
  }
  return out;
}

absl::Status LoadError(const char* what, int err) {
  return absl::InternalError(absl::StrCat("the kernel rejected ", what, ": ",
                                          ErrnoText(err),
                                          " (the verifier log, if any, is "
                                          "above)"));
}

}  // namespace atlas

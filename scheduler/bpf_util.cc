// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>

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

namespace {

// True if struct `type_id` of `btf`, or an anonymous struct or union inside
// it, has a member `name`.
bool HasMember(const btf* btf, uint32_t type_id, const char* name) {
  const btf_type* t = btf__type_by_id(btf, type_id);
  if (t == nullptr || (!btf_is_struct(t) && !btf_is_union(t))) return false;
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* member = btf__name_by_offset(btf, m->name_off);
    if (member != nullptr && std::strcmp(member, name) == 0) return true;
    if ((member == nullptr || *member == '\0') &&
        HasMember(btf, btf__resolve_type(btf, m->type), name)) {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* LibraryKconfig() {
  static const std::string* const kconfig = [] {
    bool preempt_rcu = true;  // the conservative answer (see common.bpf.h)
    if (btf* vmlinux = btf__load_vmlinux_btf()) {
      const int id =
          btf__find_by_name_kind(vmlinux, "task_struct", BTF_KIND_STRUCT);
      if (id > 0) {
        preempt_rcu = HasMember(vmlinux, static_cast<uint32_t>(id),
                                "rcu_read_lock_nesting");
      }
      btf__free(vmlinux);
    }
    return new std::string(
        absl::StrCat("CONFIG_PREEMPT_RCU=", preempt_rcu ? "y" : "n", "\n"));
  }();
  return kconfig->c_str();
}

void SkipLibraryPrograms(bpf_object* obj) {
  if (bpf_program* prog =
          bpf_object__find_program_by_name(obj, "scx_lib_init_probe")) {
    bpf_program__set_autoload(prog, false);
  }
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

absl::StatusOr<void*> MmapMap(const bpf_map* map, size_t bytes, bool writable,
                              const char* name) {
  void* p = mmap(nullptr, bytes, PROT_READ | (writable ? PROT_WRITE : 0),
                 MAP_SHARED, bpf_map__fd(map), 0);
  if (p == MAP_FAILED) {
    return absl::InternalError(
        absl::StrCat("cannot mmap the BPF map ", name, ": ", ErrnoText(errno)));
  }
  return p;
}

absl::Status LoadError(const char* what, int err) {
  return absl::InternalError(absl::StrCat("the kernel rejected ", what, ": ",
                                          ErrnoText(err),
                                          " (the verifier log, if any, is "
                                          "above)"));
}

}  // namespace atlas

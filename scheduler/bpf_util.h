// SPDX-License-Identifier: GPL-2.0-only
//
// scheduler/bpf_util.h: what both BPF programs' owners (BpfScheduler for
// balanced mode, user::UserBpf for user mode) do the same way: own the
// skeleton (attach its struct_ops map, detach, read the exit record its
// ops.exit writes, destroy), sum the per-CPU event counters, word errnos.
//
// Thread safety: ReadCounters may be called from any thread.
#ifndef SCX_ATLAS_SCHEDULER_BPF_UTIL_H_
#define SCX_ATLAS_SCHEDULER_BPF_UTIL_H_

#include <bpf/libbpf.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/intf.h"

struct bpf_map;
struct bpf_link;

namespace atlas {

// "Device or resource busy (errno 16)"; accepts -errno too.
std::string ErrnoText(int err);

// Before load: leaves out the programs of the kernel's sched_ext BPF
// library that are not scheduler callbacks (scx/common.bpf.h's
// scx_lib_init_probe, an fentry program on bpf_scx_reg that tells
// is_migration_disabled() whether the BPF prolog disables migration on
// pre-6.18 kernels without CONFIG_PREEMPT_RCU; left out, that answer keeps
// its conservative default: a task stays on its CPU when in doubt). fentry
// needs CONFIG_FUNCTION_TRACER, which not every sched_ext kernel has.
void SkipLibraryPrograms(bpf_object* obj);

// The Kconfig values the kernel's sched_ext BPF library asks for, read from
// the running kernel's BTF rather than a config file (many kernels ship
// none: no /proc/config.gz, no /boot/config-*): "CONFIG_PREEMPT_RCU=y" or
// "=n" (task_struct has rcu_read_lock_nesting only with it). For
// bpf_object_open_opts.kconfig; valid for the life of the process.
const char* LibraryKconfig();

// Makes `ops` the kernel's sched_ext scheduler.
absl::StatusOr<bpf_link*> AttachStructOps(bpf_map* ops);

// The per-CPU counters map (atlas_cpu_stats), summed over CPUs.
absl::StatusOr<std::vector<uint64_t>> ReadCounters(const bpf_map* stats);

// Per program of a loaded object: the instructions the kernel's verifier
// processed to load it (bpf_prog_info.verified_insns, 0 where the kernel
// does not tell), by program name.
std::map<std::string, uint64_t> VerifiedInsns(bpf_object* obj);

// Maps `bytes` of an mmap'able BPF array (BPF_F_MMAPABLE) into this
// process, read-only or read-write; munmap(p, bytes) when done.
absl::StatusOr<void*> MmapMap(const bpf_map* map, size_t bytes, bool writable,
                              const char* name);

// "the kernel rejected <what>: <errno text> (the verifier log, if any, is
// above)", for a failed skeleton load.
absl::Status LoadError(const char* what, int err);

// Owns an opened bpftool skeleton of a sched_ext struct_ops program from
// open to destroy. Traits give its type and parts:
//   using Skel = ...;  static void Destroy(Skel*);
//   static bpf_map* Ops(Skel*);  static bpf_link*& Link(Skel*);
//   static const atlas_exit_info* ExitRecord(const Skel*);
//   static const char* ExitDump(const Skel*);  // ATLAS_EXIT_DUMP_LEN bytes
template <typename Traits>
class StructOpsSkeleton {
 public:
  using Skel = typename Traits::Skel;
  explicit StructOpsSkeleton(Skel* skel) : skel_(skel) {}
  ~StructOpsSkeleton() {
    Detach();
    Traits::Destroy(skel_);
  }
  StructOpsSkeleton(const StructOpsSkeleton&) = delete;
  StructOpsSkeleton& operator=(const StructOpsSkeleton&) = delete;

  Skel* get() const { return skel_; }
  // Makes the program the kernel's sched_ext scheduler.
  absl::Status Attach() {
    absl::StatusOr<bpf_link*> link = AttachStructOps(Traits::Ops(skel_));
    if (!link.ok()) return link.status();
    Traits::Link(skel_) = *link;
    return absl::OkStatus();
  }
  // Detaches (ops.exit runs if the kernel has not already); idempotent.
  void Detach() {
    bpf_link*& link = Traits::Link(skel_);
    if (link != nullptr) {
      bpf_link__destroy(link);
      link = nullptr;
    }
  }
  // ops.exit ran; any thread.
  bool Exited() const {
    return __atomic_load_n(&Traits::ExitRecord(skel_)->exited,
                           __ATOMIC_ACQUIRE) != 0;
  }
  atlas_exit_info ExitInfo() const {
    atlas_exit_info info;
    std::memcpy(&info, Traits::ExitRecord(skel_), sizeof(info));
    return info;
  }
  // Once loaded: see VerifiedInsns above.
  std::map<std::string, uint64_t> VerifiedInsns() const {
    return atlas::VerifiedInsns(skel_->obj);
  }
  // The kernel's debug dump of an error exit (empty otherwise), once
  // Exited().
  std::string ExitDump() const {
    const char* dump = Traits::ExitDump(skel_);
    return std::string(dump, strnlen(dump, ATLAS_EXIT_DUMP_LEN));
  }

 private:
  Skel* skel_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_SCHEDULER_BPF_UTIL_H_

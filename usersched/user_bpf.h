// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/user_bpf.h: owns the user-mode BPF side (bpf/atlas_user.bpf.c)
// through its skeleton: load, attach, the two rings (tasks in, answers out),
// the per-CPU state, counters and the exit record.
//
// Thread safety: Consume/Poll/Dispatch from the scheduling thread only;
// Exited, ExitInfo, ReadStats, ReadCpuBusy, CpuIdle, NrRunning and
// NrSharedQueued from any.
#ifndef SCX_ATLAS_USERSCHED_USER_BPF_H_
#define SCX_ATLAS_USERSCHED_USER_BPF_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "scheduler/bpf_util.h"
#include "shared/intf.h"

struct atlas_user_bpf;  // the bpftool skeleton
struct ring_buffer;
struct user_ring_buffer;

namespace atlas::user {

struct UserBpfConfig {
  int nr_cpu_ids = 1;
  int usersched_tgid = 0;
  uint64_t slice_ns = 5'000'000;
  uint64_t heartbeat_ns = 10'000'000;
  uint32_t timeout_ms = 5000;
  uint64_t hotplug_seq = 0;               // as SchedulerConfig::hotplug_seq
  uint64_t max_slice_ns = 1'000'000'000;  // a policy's slices are clamped
  // a task waiting longer in the shared queue goes to its head
  uint64_t max_wait_ns = 1'250'000'000;
  bool cgroup_weights = true;  // bpf/atlas_cgroup.bpf.h
};

// StructOpsSkeleton's traits for bpf/atlas_user.bpf.c.
struct AtlasUserSkel {
  using Skel = ::atlas_user_bpf;
  static void Destroy(Skel* skel);
  static bpf_map* Ops(Skel* skel);
  static bpf_link*& Link(Skel* skel);
  static const atlas_exit_info* ExitRecord(const Skel* skel);
  static const char* ExitDump(const Skel* skel);
};

class UserBpf {
 public:
  // Called for every task BPF queued, from Consume/Poll.
  using OnQueued = void (*)(void* ctx, const atlas_queued_task& task);

  static absl::StatusOr<std::unique_ptr<UserBpf>> Load(
      const UserBpfConfig& config, OnQueued on_queued, void* ctx);
  ~UserBpf();
  UserBpf(const UserBpf&) = delete;
  UserBpf& operator=(const UserBpf&) = delete;

  absl::Status Attach();
  void Detach();
  bool Exited() const;
  atlas_exit_info ExitInfo() const;
  // The kernel's debug dump of an error exit (empty otherwise).
  std::string ExitDump() const { return owner_.ExitDump(); }
  std::map<std::string, uint64_t> VerifiedInsns() const;

  // Delivers the queued tasks without waiting; returns how many.
  int Consume();
  // Waits up to `timeout_ms` for queued tasks, then delivers them.
  int Poll(int timeout_ms);
  // Queues an answer for ops.dispatch; false if the ring is full.
  bool Dispatch(const atlas_dispatched_task& answer);

  absl::StatusOr<std::vector<uint64_t>> ReadStats() const;
  std::vector<uint64_t> ReadCpuBusy() const;
  bool CpuIdle(int cpu) const;
  uint64_t NrRunning() const;
  // Tasks waiting in the shared queue, as of the last ops.dispatch.
  uint64_t NrSharedQueued() const;

  // cgroup weights (mmap'ed maps; any thread): the cgroup slots, how many
  // are in use (the prefix [0, n) holds them all), each slot's runnable
  // time, and the factors BPF applies (written by CgroupWeigher).
  const atlas_cgroup* cgroup_slots() const { return cgroups_; }
  const uint32_t* cgroup_slots_used() const;
  const atlas_cgroup_runnable* cgroup_runnable() const { return runnable_; }
  uint64_t* cgroup_factors() const { return factors_; }

 private:
  UserBpf(struct ::atlas_user_bpf* skel, int nr_cpu_ids)
      : owner_(skel), skel_(skel), nr_cpu_ids_(nr_cpu_ids) {}
  struct Sink {
    OnQueued fn;
    void* ctx;
  };
  static int OnRecord(void* ctx, void* data, size_t size);

  StructOpsSkeleton<AtlasUserSkel> owner_;
  struct ::atlas_user_bpf* skel_;  // owner_'s
  int nr_cpu_ids_;
  Sink sink_ = {};
  ring_buffer* queued_ = nullptr;
  user_ring_buffer* answers_ = nullptr;
  const atlas_user_cpu* cpus_ = nullptr;  // mmap'ed user_cpus
  const atlas_cgroup* cgroups_ = nullptr;
  const atlas_cgroup_runnable* runnable_ = nullptr;
  uint64_t* factors_ = nullptr;
};

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_USER_BPF_H_

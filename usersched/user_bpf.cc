// SPDX-License-Identifier: GPL-2.0-only
#include "usersched/user_bpf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/atlas_user_bpf.skel.h"
#include "scheduler/bpf_util.h"

namespace atlas::user {
namespace {

constexpr size_t kCpusBytes = sizeof(atlas_user_cpu) * ATLAS_MAX_CPUS;
constexpr size_t kCgroupsBytes = sizeof(atlas_cgroup) * ATLAS_MAX_CGROUPS;
constexpr size_t kRunnableBytes =
    sizeof(atlas_cgroup_runnable) * ATLAS_MAX_CGROUPS;
constexpr size_t kFactorsBytes = sizeof(uint64_t) * ATLAS_MAX_CGROUPS;

}  // namespace

int UserBpf::OnRecord(void* ctx, void* data, size_t size) {
  if (size < sizeof(atlas_queued_task)) return 0;
  const Sink* sink = static_cast<const Sink*>(ctx);
  sink->fn(sink->ctx, *static_cast<const atlas_queued_task*>(data));
  return 0;
}

absl::StatusOr<std::unique_ptr<UserBpf>> UserBpf::Load(
    const UserBpfConfig& config, OnQueued on_queued, void* ctx) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kconfig = LibraryKconfig());
  struct ::atlas_user_bpf* skel = atlas_user_bpf__open_opts(&open_opts);
  if (skel == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot open the BPF program: ", ErrnoText(errno)));
  }
  std::unique_ptr<UserBpf> bpf(new UserBpf(skel, config.nr_cpu_ids));
  skel->rodata->nr_cpu_ids = static_cast<uint32_t>(config.nr_cpu_ids);
  skel->rodata->usersched_tgid = config.usersched_tgid;
  skel->rodata->default_slice_ns = config.slice_ns;
  skel->rodata->heartbeat_ns = config.heartbeat_ns;
  skel->rodata->max_slice_ns = config.max_slice_ns;
  skel->rodata->max_wait_ns = config.max_wait_ns;
  skel->rodata->cgroup_weights = config.cgroup_weights;
  skel->struct_ops.atlas_user_ops->timeout_ms = config.timeout_ms;
  skel->struct_ops.atlas_user_ops->exit_dump_len = ATLAS_EXIT_DUMP_LEN;
  skel->struct_ops.atlas_user_ops->hotplug_seq = config.hotplug_seq;
  SkipLibraryPrograms(skel->obj);
  if (int err = atlas_user_bpf__load(skel); err != 0) {
    return LoadError("the user-mode BPF program", err);
  }
  bpf->sink_ = {on_queued, ctx};
  bpf->queued_ = ring_buffer__new(bpf_map__fd(skel->maps.queued), OnRecord,
                                  &bpf->sink_, nullptr);
  if (bpf->queued_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot map the queued ring: ", ErrnoText(errno)));
  }
  bpf->answers_ =
      user_ring_buffer__new(bpf_map__fd(skel->maps.dispatched), nullptr);
  if (bpf->answers_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot map the dispatch ring: ", ErrnoText(errno)));
  }
  absl::StatusOr<void*> p =
      MmapMap(skel->maps.user_cpus, kCpusBytes, false, "user_cpus");
  if (!p.ok()) return p.status();
  bpf->cpus_ = static_cast<const atlas_user_cpu*>(*p);
  p = MmapMap(skel->maps.cgroups, kCgroupsBytes, false, "cgroups");
  if (!p.ok()) return p.status();
  bpf->cgroups_ = static_cast<const atlas_cgroup*>(*p);
  p = MmapMap(skel->maps.cgroup_runnable, kRunnableBytes, false,
              "cgroup_runnable");
  if (!p.ok()) return p.status();
  bpf->runnable_ = static_cast<const atlas_cgroup_runnable*>(*p);
  p = MmapMap(skel->maps.cgroup_factors, kFactorsBytes, true, "cgroup_factors");
  if (!p.ok()) return p.status();
  bpf->factors_ = static_cast<uint64_t*>(*p);
  return bpf;
}

void AtlasUserSkel::Destroy(Skel* skel) { atlas_user_bpf__destroy(skel); }
bpf_map* AtlasUserSkel::Ops(Skel* skel) { return skel->maps.atlas_user_ops; }
bpf_link*& AtlasUserSkel::Link(Skel* skel) {
  return skel->links.atlas_user_ops;
}
const atlas_exit_info* AtlasUserSkel::ExitRecord(const Skel* skel) {
  return &skel->bss->exit_info;
}
const char* AtlasUserSkel::ExitDump(const Skel* skel) {
  return skel->bss->exit_dump;
}

UserBpf::~UserBpf() {
  owner_.Detach();
  if (queued_) ring_buffer__free(queued_);
  if (answers_) user_ring_buffer__free(answers_);
  if (cpus_) munmap(const_cast<atlas_user_cpu*>(cpus_), kCpusBytes);
  if (cgroups_) munmap(const_cast<atlas_cgroup*>(cgroups_), kCgroupsBytes);
  if (runnable_) {
    munmap(const_cast<atlas_cgroup_runnable*>(runnable_), kRunnableBytes);
  }
  if (factors_) munmap(factors_, kFactorsBytes);
}

absl::Status UserBpf::Attach() { return owner_.Attach(); }
void UserBpf::Detach() { owner_.Detach(); }
bool UserBpf::Exited() const { return owner_.Exited(); }
atlas_exit_info UserBpf::ExitInfo() const { return owner_.ExitInfo(); }
std::map<std::string, uint64_t> UserBpf::VerifiedInsns() const {
  return owner_.VerifiedInsns();
}

int UserBpf::Consume() {
  const int n = ring_buffer__consume(queued_);
  return n < 0 ? 0 : n;
}

int UserBpf::Poll(int timeout_ms) {
  const int n = ring_buffer__poll(queued_, timeout_ms);
  return n < 0 ? 0 : n;
}

bool UserBpf::Dispatch(const atlas_dispatched_task& answer) {
  void* slot = user_ring_buffer__reserve(answers_, sizeof(answer));
  if (slot == nullptr) return false;
  std::memcpy(slot, &answer, sizeof(answer));
  user_ring_buffer__submit(answers_, slot);
  return true;
}

absl::StatusOr<std::vector<uint64_t>> UserBpf::ReadStats() const {
  return ReadCounters(skel_->maps.stats);
}

std::vector<uint64_t> UserBpf::ReadCpuBusy() const {
  std::vector<uint64_t> out(nr_cpu_ids_);
  for (int cpu = 0; cpu < nr_cpu_ids_; ++cpu) {
    out[cpu] = __atomic_load_n(&cpus_[cpu].busy_ns, __ATOMIC_RELAXED);
  }
  return out;
}

bool UserBpf::CpuIdle(int cpu) const {
  return cpu >= 0 && cpu < nr_cpu_ids_ &&
         __atomic_load_n(&cpus_[cpu].running_pid, __ATOMIC_RELAXED) == 0;
}

uint64_t UserBpf::NrRunning() const {
  return __atomic_load_n(&skel_->bss->nr_running, __ATOMIC_RELAXED);
}

const uint32_t* UserBpf::cgroup_slots_used() const {
  return &skel_->bss->cgroup_slots_used;
}

uint64_t UserBpf::NrSharedQueued() const {
  return __atomic_load_n(&skel_->bss->nr_shared_queued, __ATOMIC_RELAXED);
}

}  // namespace atlas::user

// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/bpf_scheduler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bpf/atlas_bpf.skel.h"
#include "planner/task_slots.h"
#include "scheduler/bpf_util.h"
#include "scheduler/clock.h"
#include "scheduler/dom_load_avg.h"

namespace atlas {
absl::StatusOr<std::unique_ptr<BpfScheduler>> BpfScheduler::Load(
    const SchedulerConfig& config, const Topology& topology,
    const std::vector<Domain>& domains) {
  if (domains.empty() || static_cast<int>(domains.size()) > kMaxDomains) {
    return absl::InvalidArgumentError("bad domain layout");
  }
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kconfig = LibraryKconfig());
  struct ::atlas_bpf* skel = atlas_bpf__open_opts(&open_opts);
  if (skel == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot open the BPF program: ", ErrnoText(errno)));
  }
  std::unique_ptr<BpfScheduler> sched(
      new BpfScheduler(skel, static_cast<int>(domains.size()),
                       topology.nr_cpu_ids, config.load_half_life_ns));

  auto* ro = skel->rodata;
  ro->nr_cpu_ids = static_cast<uint32_t>(topology.nr_cpu_ids);
  ro->nr_domains = static_cast<uint32_t>(domains.size());
  ro->nr_cores = static_cast<uint32_t>(topology.cores.size());
  ro->nr_nodes = static_cast<uint32_t>(topology.nodes.back() + 1);
  ro->load_half_life_ns = config.load_half_life_ns;
  ro->greedy_threshold = config.greedy_threshold;
  ro->greedy_threshold_x_numa = config.greedy_threshold_x_numa;
  ro->fifo_sched = config.fifo;
  ro->kthreads_local = config.kthreads_local;
  ro->wake_sync = config.wake_sync;
  ro->wakeup_preempt = config.wakeup_preempt;
  ro->preempt_min_run_ns = config.preempt_min_run_ns;
  ro->slice_policy = config.slice_policy;
  ro->slice_max_ns = config.slice_max_ns;
  ro->slice_min_ns = config.slice_min_ns;
  ro->lag_budget_ns = config.lag_budget_ns;
  ro->fork_balance = config.fork_balance;
  ro->evict_guests = config.evict_guests;
  ro->kernel_idle_pick = config.kernel_idle_pick;
  ro->load_tracking = config.load_tracking;
  ro->cgroup_weights = config.cgroup_weights;
  sched->cgroup_weights_ = config.cgroup_weights;
  ro->debug_inject_error_after_ns = config.debug_inject_error_after_ns;
  skel->struct_ops.atlas_ops->timeout_ms = config.timeout_ms;
  skel->struct_ops.atlas_ops->exit_dump_len = ATLAS_EXIT_DUMP_LEN;
  skel->struct_ops.atlas_ops->hotplug_seq = config.hotplug_seq;
  for (uint32_t& dom : ro->cpu_domain) dom = ATLAS_NO_DOMAIN;
  for (const Domain& domain : domains) {
    ro->domain_node[domain.id] = domain.node;
    ro->domain_nr_cpus[domain.id] = static_cast<uint32_t>(domain.cpus.size());
    ro->domain_kind[domain.id] =
        domain.kind == CpuKind::kPerformance  ? ATLAS_KIND_PERFORMANCE
        : domain.kind == CpuKind::kEfficiency ? ATLAS_KIND_EFFICIENCY
                                              : ATLAS_KIND_UNIFORM;
    for (int cpu : domain.cpus) ro->cpu_domain[cpu] = domain.id;
  }
  for (const CpuInfo& info : topology.cpus) {
    ro->cpu_core[info.cpu] = static_cast<uint32_t>(info.core);
  }
  // Initial tuning (bss initial values): every domain may take greedy work.
  Tuning tuning;
  tuning.slice_ns = config.slice_ns;
  tuning.direct_greedy.assign(domains.size(), true);
  tuning.kick_greedy.assign(domains.size(), true);
  sched->ApplyTuning(tuning);

  // One entry per (CPU, domain) for the load counters.
  if (int err = bpf_map__set_max_entries(
          skel->maps.dom_cpu_loads,
          static_cast<uint32_t>(topology.nr_cpu_ids * domains.size()));
      err != 0) {
    return absl::InternalError(
        absl::StrCat("cannot size the per-CPU load map: ", ErrnoText(err)));
  }
  SkipLibraryPrograms(skel->obj);
  if (int err = atlas_bpf__load(skel); err != 0) {
    return LoadError("the BPF scheduler", err);
  }
  if (absl::Status s = sched->MapShared(); !s.ok()) return s;
  return sched;
}

absl::Status BpfScheduler::MapShared() {
  auto map = [](bpf_map* m, size_t size,
                const char* name) -> absl::StatusOr<const void*> {
    absl::StatusOr<void*> p = MmapMap(m, size, /*writable=*/false, name);
    if (!p.ok()) return p.status();
    return *p;
  };
  absl::StatusOr<const void*> p = map(
      skel_->maps.dom_loads, sizeof(atlas_dom_load) * kMaxDomains, "dom_loads");
  if (!p.ok()) return p.status();
  dom_loads_ = static_cast<const atlas_dom_load*>(*p);
  p = map(skel_->maps.task_snaps,
          sizeof(atlas_task_snap) * ATLAS_MAX_TASK_SLOTS, "task_snaps");
  if (!p.ok()) return p.status();
  task_snaps_ = static_cast<const atlas_task_snap*>(*p);
  p = map(skel_->maps.dom_cpu_loads, DomCpuLoadsBytes(), "dom_cpu_loads");
  if (!p.ok()) return p.status();
  dom_cpu_loads_ = static_cast<const atlas_dom_cpu_load*>(*p);
  load_avgs_.assign(nr_domains_, DomainLoadAverage(half_life_ns_));
  p = map(skel_->maps.cpu_busy, sizeof(atlas_cpu_busy) * kMaxCpus, "cpu_busy");
  if (!p.ok()) return p.status();
  cpu_busy_ = static_cast<const atlas_cpu_busy*>(*p);
  p = map(skel_->maps.cgroups, sizeof(atlas_cgroup) * ATLAS_MAX_CGROUPS,
          "cgroups");
  if (!p.ok()) return p.status();
  cgroups_ = static_cast<const atlas_cgroup*>(*p);
  absl::StatusOr<void*> f =
      MmapMap(skel_->maps.cgroup_factors, sizeof(uint64_t) * ATLAS_MAX_CGROUPS,
              /*writable=*/true, "cgroup_factors");
  if (!f.ok()) return f.status();
  cgroup_factors_ = static_cast<uint64_t*>(*f);
  return absl::OkStatus();
}

void AtlasSkel::Destroy(Skel* skel) { atlas_bpf__destroy(skel); }
bpf_map* AtlasSkel::Ops(Skel* skel) { return skel->maps.atlas_ops; }
bpf_link*& AtlasSkel::Link(Skel* skel) { return skel->links.atlas_ops; }
const atlas_exit_info* AtlasSkel::ExitRecord(const Skel* skel) {
  return &skel->bss->exit_info;
}
const char* AtlasSkel::ExitDump(const Skel* skel) {
  return skel->bss->exit_dump;
}

BpfScheduler::~BpfScheduler() {
  owner_.Detach();
  if (dom_loads_) {
    munmap(const_cast<atlas_dom_load*>(dom_loads_),
           sizeof(atlas_dom_load) * kMaxDomains);
  }
  if (dom_cpu_loads_) {
    munmap(const_cast<atlas_dom_cpu_load*>(dom_cpu_loads_), DomCpuLoadsBytes());
  }
  if (task_snaps_) {
    munmap(const_cast<atlas_task_snap*>(task_snaps_),
           sizeof(atlas_task_snap) * ATLAS_MAX_TASK_SLOTS);
  }
  if (cpu_busy_) {
    munmap(const_cast<atlas_cpu_busy*>(cpu_busy_),
           sizeof(atlas_cpu_busy) * kMaxCpus);
  }
  if (cgroups_) {
    munmap(const_cast<atlas_cgroup*>(cgroups_),
           sizeof(atlas_cgroup) * ATLAS_MAX_CGROUPS);
  }
  if (cgroup_factors_) {
    munmap(cgroup_factors_, sizeof(uint64_t) * ATLAS_MAX_CGROUPS);
  }
}

absl::Status BpfScheduler::Attach() {
  {
    // Every counter is 0 until the first callback: the averages start at
    // 0 from here, as the kernel starts calling.
    const uint64_t now_ns = MonotonicNs();
    std::lock_guard<std::mutex> lock(load_mu_);
    for (DomainLoadAverage& avg : load_avgs_) avg.Start({}, now_ns);
  }
  return owner_.Attach();
}

void BpfScheduler::Detach() { owner_.Detach(); }

bool BpfScheduler::Exited() const { return owner_.Exited(); }

atlas_topo_check BpfScheduler::TopoCheck() const {
  atlas_topo_check check;
  std::memcpy(&check, &skel_->bss->topo_check, sizeof(check));
  return check;
}

atlas_exit_info BpfScheduler::ExitInfo() const { return owner_.ExitInfo(); }
std::map<std::string, uint64_t> BpfScheduler::VerifiedInsns() const {
  return owner_.VerifiedInsns();
}

absl::StatusOr<std::vector<uint64_t>> BpfScheduler::ReadStats() const {
  return ReadCounters(skel_->maps.stats);
}

std::vector<DomainLoad> BpfScheduler::ReadDomainLoads(uint64_t now_ns) const {
  std::vector<DomainLoad> out(nr_domains_);
  std::vector<DomainIntegrals> sums(nr_domains_);
  for (int d = 0; d < nr_domains_; ++d) {
    out[d].nr_tasks =
        __atomic_load_n(&dom_loads_[d].nr_tasks, __ATOMIC_RELAXED);
  }
  // Every CPU's entry of every domain (struct atlas_dom_cpu_load).
  for (int cpu = 0; cpu < nr_cpu_ids_; ++cpu) {
    for (int d = 0; d < nr_domains_; ++d) {
      const atlas_dom_cpu_load* shared =
          &dom_cpu_loads_[static_cast<size_t>(cpu) * nr_domains_ + d];
      atlas_dom_cpu_load copy = {};
      // Seqcount read. The owning CPU writes for a few instructions; after
      // 100 failed tries yield between tries; after 1000, use the last
      // copy (at worst one torn figure, never a stalled loop).
      for (int attempt = 0; attempt < 1000; ++attempt) {
        const uint64_t seq = __atomic_load_n(&shared->seq, __ATOMIC_ACQUIRE);
        if ((seq & 1) == 0) {
          std::memcpy(&copy, shared, sizeof(copy));
          __atomic_thread_fence(__ATOMIC_ACQUIRE);
          if (__atomic_load_n(&shared->seq, __ATOMIC_RELAXED) == seq) break;
        }
        if (attempt > 100) sched_yield();
      }
      AddCpuEntry(copy, now_ns, &sums[d]);
    }
  }
  std::lock_guard<std::mutex> lock(load_mu_);
  for (int d = 0; d < nr_domains_; ++d) {
    load_avgs_[d].Advance(sums[d], now_ns);
    out[d].load = load_avgs_[d].weight() / (100.0 * ATLAS_WEIGHT_SCALE);
    out[d].runnable = load_avgs_[d].runnable();
  }
  return out;
}

size_t BpfScheduler::nr_task_snap_slots() const {
  const uint32_t used =
      __atomic_load_n(&skel_->bss->task_slots_used, __ATOMIC_ACQUIRE);
  return std::min<size_t>(used, ATLAS_MAX_TASK_SLOTS);
}

size_t BpfScheduler::nr_cgroup_slots() const {
  const uint32_t used =
      __atomic_load_n(&skel_->bss->cgroup_slots_used, __ATOMIC_ACQUIRE);
  return std::min<size_t>(used, ATLAS_MAX_CGROUPS);
}

std::vector<atlas_task_snap> BpfScheduler::ReadTaskSnaps() const {
  std::vector<atlas_task_snap> out;
  const size_t n = nr_task_snap_slots();
  for (size_t i = 0; i < n; ++i) {
    atlas_task_snap s;
    if (ReadSlot(task_snaps_[i], &s)) out.push_back(s);
  }
  return out;
}

void BpfScheduler::SetLoadWeightCap(uint32_t cap) {
  __atomic_store_n(&skel_->bss->load_weight_cap, cap, __ATOMIC_RELAXED);
}

uint32_t BpfScheduler::LoadWeightCap() const {
  return __atomic_load_n(&skel_->bss->load_weight_cap, __ATOMIC_RELAXED);
}

std::vector<uint64_t> BpfScheduler::ReadCpuBusy() const {
  std::vector<uint64_t> out(nr_cpu_ids_);
  for (int cpu = 0; cpu < nr_cpu_ids_; ++cpu) {
    out[cpu] = __atomic_load_n(&cpu_busy_[cpu].busy_ns, __ATOMIC_RELAXED);
  }
  return out;
}

absl::Status BpfScheduler::RequestMigration(uint32_t pid, uint64_t uid,
                                            uint32_t target_domain) {
  if (static_cast<int>(target_domain) >= nr_domains_) {
    return absl::InvalidArgumentError(
        absl::StrCat("no domain ", target_domain));
  }
  atlas_migration m = {};
  m.uid = uid;
  m.target_dom = target_domain;
  // A new entry counts as pending; replacing a request that was not applied
  // yet does not count twice.
  if (bpf_map__update_elem(skel_->maps.migrations, &pid, sizeof(pid), &m,
                           sizeof(m), BPF_NOEXIST) == 0) {
    __atomic_fetch_add(&skel_->bss->migrations_pending, 1, __ATOMIC_RELEASE);
    return absl::OkStatus();
  }
  if (errno == EEXIST &&
      bpf_map__update_elem(skel_->maps.migrations, &pid, sizeof(pid), &m,
                           sizeof(m), BPF_EXIST) == 0) {
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("cannot write a migration request: ", ErrnoText(errno)));
}

void BpfScheduler::ApplyTuning(const Tuning& tuning) {
  auto* bss = skel_->bss;
  uint64_t direct[ATLAS_DOM_WORDS] = {}, kick[ATLAS_DOM_WORDS] = {};
  for (size_t d = 0; d < tuning.direct_greedy.size(); ++d) {
    if (tuning.direct_greedy[d]) direct[d / 64] |= uint64_t{1} << (d % 64);
  }
  for (size_t d = 0; d < tuning.kick_greedy.size(); ++d) {
    if (tuning.kick_greedy[d]) kick[d / 64] |= uint64_t{1} << (d % 64);
  }
  for (int w = 0; w < ATLAS_DOM_WORDS; ++w) {
    __atomic_store_n(&bss->direct_greedy_doms[w], direct[w], __ATOMIC_RELAXED);
    __atomic_store_n(&bss->kick_greedy_doms[w], kick[w], __ATOMIC_RELAXED);
  }
  if (tuning.slice_ns) {
    __atomic_store_n(&skel_->data->tune_slice_ns, tuning.slice_ns,
                     __ATOMIC_RELAXED);
  }
  __atomic_fetch_add(&bss->tune_gen, 1, __ATOMIC_RELEASE);
}

}  // namespace atlas

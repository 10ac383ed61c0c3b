// SPDX-License-Identifier: GPL-2.0-only
// The production balance pass: Balance() over a snapshot whose tasks sit in
// slots as BPF lays them out (task_snaps, one slot per task, packed at the
// front), so the pass's read of the tasks is included; next to a bare scan
// of the same slots, reading every field the pass uses of each task once.
// Shapes (hot): 1, hot (domain 0's tasks busy, the others light: one
// source); 0, uniform (duty cycles uniform in (0, 1], tasks dealt
// round-robin: sources only where chance piles load up); 2, one far over
// (uniform, but domain 0's tasks busy: one source far over among many
// slightly over). 2 NUMA nodes, 8 CPUs per domain.
// cgroups:64: every task in one of 64 cgroups at random, each with a
// factor (as with --cgroup_weights, the default), which the pass applies
// to each task's weight; the bare scan then reads the task's factor too.
//   bazel run -c opt //planner:balancer_benchmark
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "planner/balancer.h"
#include "planner/task_slots.h"

namespace atlas {
namespace {

constexpr uint64_t kNow = 10'000'000'000;

// Cache-line aligned, as BPF's mmap'ed array is (a slot is one line).
template <typename T>
struct LineAligned : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = LineAligned<U>;
  };
  LineAligned() = default;
  template <typename U>
  LineAligned(const LineAligned<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
  }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
};

struct Input {
  std::vector<atlas_task_snap, LineAligned<atlas_task_snap>> slots;
  std::vector<uint64_t> factors;  // per cgroup slot
  LoadSnapshot snapshot;          // points into slots
  std::vector<BalanceDomain> domains;
};

// Task i in slot i and domain i % D, written in the last millisecond.
void MakeInput(int nr_tasks, int nr_domains, int hot, int nr_cgroups,
               Input* in) {
  std::mt19937_64 rng(42);
  for (int d = 0; d < nr_domains; ++d) in->domains.push_back({d % 2, 8.0});
  in->snapshot.domains.resize(nr_domains);
  in->slots.resize(nr_tasks);
  for (int i = 0; i < nr_tasks; ++i) {
    const int d = i % nr_domains;
    atlas_task_snap& s = in->slots[i];
    s.uid = static_cast<uint64_t>(i) + 1;
    s.pid = static_cast<uint32_t>(i) + 1;
    s.dom = static_cast<uint32_t>(d);
    s.weight = 100;
    s.cgroup = nr_cgroups > 0 ? static_cast<uint16_t>(rng() % nr_cgroups)
                              : ATLAS_NO_CGROUP;
    s.updated_at = kNow - rng() % 1'000'000;
    const double dcyc = d == 0 && hot != 0 ? 0.9
                        : hot == 1
                            ? 0.05
                            : static_cast<double>(1 + rng() % 1000) / 1000;
    s.dcyc = static_cast<uint64_t>(dcyc * ATLAS_LOAD_ONE);
    for (int w = 0; w < ATLAS_DOM_WORDS; ++w) s.allowed_doms[w] = ~0ull;
    in->snapshot.domains[d].load += dcyc;
    in->snapshot.domains[d].runnable += dcyc;
  }
  // Factors from 1/4 to 2 (a cgroup's weight over the weight active in it).
  for (int c = 0; c < nr_cgroups; ++c)
    in->factors.push_back(EncodeFactor(0.25 * (1 + c % 8)));
  in->snapshot.cgroup_factors = in->factors.data();
  in->snapshot.nr_cgroup_factors = in->factors.size();
  in->snapshot.slots = in->slots.data();
  in->snapshot.nr_slots = in->slots.size();
  in->snapshot.now_ns = kNow;
  in->snapshot.max_age_ns = 2'000'000'000;
}

void BM_BalancePass(benchmark::State& state) {
  Input in;
  MakeInput(state.range(0), state.range(1), state.range(2), state.range(3),
            &in);
  for (auto _ : state) {
    Plan plan = Balance(in.snapshot, in.domains, BalanceParams{});
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  // What a pass achieves (the plan's own loads: balancer_test checks them
  // against a reference): its moves, and the imbalance it leaves of the
  // one it found (TotalImbalance after / before).
  const Plan plan = Balance(in.snapshot, in.domains, BalanceParams{});
  state.counters["moves"] = static_cast<double>(plan.migrations.size());
  const double before = TotalImbalance(plan.loads_before, in.domains);
  state.counters["left"] =
      before > 0 ? TotalImbalance(plan.loads_after, in.domains) / before : 0;
  // ... and the most a domain is over its share after, of before.
  auto worst = [&in](const std::vector<double>& loads) {
    double load = 0, cap = 0, most = 0;
    for (size_t d = 0; d < loads.size(); ++d) {
      load += loads[d];
      cap += in.domains[d].capacity;
    }
    for (size_t d = 0; d < loads.size(); ++d) {
      most = std::max(most, loads[d] - load / cap * in.domains[d].capacity);
    }
    return most;
  };
  const double worst_before = worst(plan.loads_before);
  state.counters["worst"] =
      worst_before > 0 ? worst(plan.loads_after) / worst_before : 0;
}

// Reads, from every slot, each field the pass uses, once.
void BM_ScanSlots(benchmark::State& state) {
  Input in;
  MakeInput(state.range(0), state.range(1), state.range(2), state.range(3),
            &in);
  const uint64_t* factors = in.factors.data();
  const size_t nr_factors = in.factors.size();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const atlas_task_snap& s : in.slots) {
      sum += s.uid + s.updated_at + s.dcyc + s.dcyc_cur + s.dom + s.weight +
             s.allowed_doms[0] +
             (s.cgroup < nr_factors ? factors[s.cgroup] : 0);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void Args(benchmark::internal::Benchmark* b) {
  for (int hot : {1, 0}) {
    for (int tasks : {1000, 10000, 100000}) {
      for (int domains : {8, 64, 128}) b->Args({tasks, domains, hot, 0});
    }
  }
  for (int hot : {1, 0}) {
    for (int tasks : {1000, 10000, 100000}) b->Args({tasks, 64, hot, 64});
  }
  for (int tasks : {1000, 10000}) {
    for (int domains : {64, 128}) b->Args({tasks, domains, 2, 0});
  }
  // The fewest tasks a machine of 64 or 128 domains runs: its kernel
  // threads alone (cpuhp, migration, ksoftirqd, kworkers, ... about 7.6 per
  // CPU and 65 more, in the guest's 7.3 kernel at 4, 8 and 16 CPUs) are
  // about 3960 at 512 CPUs and 7850 at 1024; 1000 tasks is a machine of
  // 8 domains of 8 CPUs at most.
  for (int hot : {1, 0, 2}) {
    b->Args({4000, 64, hot, 0});
    b->Args({8000, 128, hot, 0});
  }
  for (int hot : {1, 0}) b->Args({4000, 64, hot, 64});
  b->ArgNames({"tasks", "domains", "hot", "cgroups"});
}

BENCHMARK(BM_BalancePass)->Apply(Args);
BENCHMARK(BM_ScanSlots)->Apply(Args);

}  // namespace
}  // namespace atlas

BENCHMARK_MAIN();

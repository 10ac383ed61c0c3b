// SPDX-License-Identifier: GPL-2.0-only
// The production balance pass from the BPF side's memory: the task_snaps
// rings (ATLAS_SNAP_SLOTS per domain, laid out as BPF lays them) read into
// a snapshot, then Balance(), next to a bare scan of the same slots. The
// rings bound the tasks to domains x ATLAS_SNAP_SLOTS, so the sizes are the
// ones that fit (1k / 10k / 50k tasks x 8 / 64 / 128 domains).
//   bazel run -c opt //scheduler:snapshot_benchmark
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "planner/balancer.h"
#include "scheduler/task_snaps.h"

namespace atlas {
namespace {

constexpr uint64_t kNow = 10'000'000'000;
constexpr uint64_t kHalfLife = 1'000'000'000;

struct Input {
  std::vector<atlas_task_snap> slots;
  std::vector<DomainState> domain_states;
  std::vector<BalanceDomain> domains;
};

// Task i in domain i % D, in the next slot of that domain's ring. hot:
// domain 0's tasks busy (duty cycle near 1), the others light; else duty
// cycles uniform. Every task may use every domain; 2 NUMA nodes.
Input MakeInput(int nr_tasks, int nr_domains, bool hot) {
  std::mt19937_64 rng(42);
  Input in;
  in.slots.resize(static_cast<size_t>(nr_domains) * ATLAS_SNAP_SLOTS);
  in.domain_states.resize(nr_domains);
  for (int d = 0; d < nr_domains; ++d) in.domains.push_back({d % 2, 8.0});
  for (int i = 0; i < nr_tasks; ++i) {
    const int d = i % nr_domains;
    atlas_task_snap& s = in.slots[static_cast<size_t>(d) * ATLAS_SNAP_SLOTS +
                                  (i / nr_domains) % ATLAS_SNAP_SLOTS];
    s.uid = static_cast<uint64_t>(i) + 1;
    s.pid = static_cast<uint32_t>(i) + 1;
    s.dom = static_cast<uint32_t>(d);
    s.weight = 100;
    s.updated_at = kNow - rng() % 1'000'000;
    const double dcyc = hot ? (d == 0 ? 0.9 : 0.05)
                            : static_cast<double>(1 + rng() % 1000) / 1000;
    s.dcyc = static_cast<uint64_t>(dcyc * ATLAS_LOAD_ONE);
    for (int w = 0; w < ATLAS_DOM_WORDS; ++w) s.allowed_doms[w] = ~0ull;
    in.domain_states[d].load += dcyc;
    in.domain_states[d].runnable += dcyc;
  }
  return in;
}

void BM_ReadAndBalance(benchmark::State& state) {
  const Input in = MakeInput(state.range(0), state.range(1), state.range(2));
  // Buffers kept across passes, as BpfLoadSource and Planner keep them.
  TaskSnapReader reader;
  LoadSnapshot snap;
  for (auto _ : state) {
    snap.domains = in.domain_states;
    snap.tasks.clear();
    for (const atlas_task_snap& s :
         reader.Read(in.slots.data(), in.slots.size())) {
      snap.tasks.push_back(TaskLoadFromSnap(s, kNow, kHalfLife));
    }
    Plan plan = Balance(snap, in.domains, BalanceParams{});
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Reads, from every slot, each field the pass uses, once.
void BM_ScanSlots(benchmark::State& state) {
  const Input in = MakeInput(state.range(0), state.range(1), state.range(2));
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const atlas_task_snap& s : in.slots) {
      sum += s.uid + s.updated_at + s.dcyc + s.dcyc_cur + s.dom + s.weight +
             s.allowed_doms[0];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void Args(benchmark::internal::Benchmark* b) {
  for (int hot : {1, 0}) {
    for (int tasks : {1000, 10000, 50000}) {
      for (int domains : {8, 64, 128}) {
        if (tasks <= domains * ATLAS_SNAP_SLOTS) b->Args({tasks, domains, hot});
      }
    }
  }
  b->ArgNames({"tasks", "domains", "hot"});
}

BENCHMARK(BM_ReadAndBalance)->Apply(Args);
BENCHMARK(BM_ScanSlots)->Apply(Args);

}  // namespace
}  // namespace atlas

BENCHMARK_MAIN();

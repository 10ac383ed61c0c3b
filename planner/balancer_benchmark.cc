// SPDX-License-Identifier: GPL-2.0-only
// One balance pass over N tasks in D domains (2 NUMA nodes), next to a bare
// scan of the same snapshot memory: the cost of the planner's math over the
// cost of just reading what it needs.
//   bazel run -c opt //planner:balancer_benchmark
#include <benchmark/benchmark.h>

#include <random>

#include "planner/balancer.h"

namespace atlas {
namespace {

struct Input {
  LoadSnapshot snapshot;
  std::vector<BalanceDomain> domains;
};

// Half the tasks in domain 0 (a hot spot), the rest spread; duty cycles
// uniform in (0, 1]; every task may use every domain.
Input MakeInput(int nr_tasks, int nr_domains) {
  std::mt19937_64 rng(42);
  Input in;
  for (int d = 0; d < nr_domains; ++d) in.domains.push_back({d % 2, 8.0});
  in.snapshot.domains.resize(nr_domains);
  DomainSet all;
  for (int d = 0; d < nr_domains; ++d) all.set(d);
  for (int i = 0; i < nr_tasks; ++i) {
    TaskLoad t;
    t.uid = i + 1;
    t.pid = i + 1;
    t.domain = (i % 2) ? 0 : static_cast<int>(rng() % nr_domains);
    t.duty_cycle = (1 + rng() % 1000) / 1000.0;
    t.allowed = all;
    in.snapshot.domains[t.domain].load += t.duty_cycle;
    in.snapshot.domains[t.domain].runnable += t.duty_cycle;
    in.snapshot.tasks.push_back(t);
  }
  return in;
}

void BM_BalancePass(benchmark::State& state) {
  const Input in = MakeInput(state.range(0), state.range(1));
  for (auto _ : state) {
    Plan plan = Balance(in.snapshot, in.domains, BalanceParams{});
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Reads every field the balancer reads from each task, once.
void BM_ScanSnapshot(benchmark::State& state) {
  const Input in = MakeInput(state.range(0), state.range(1));
  for (auto _ : state) {
    double sum = 0;
    for (const TaskLoad& t : in.snapshot.tasks) {
      sum += t.duty_cycle * t.weight + t.domain + t.allowed[t.domain];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void Args(benchmark::internal::Benchmark* b) {
  for (int tasks : {1000, 10000, 100000}) {
    for (int domains : {8, 64, 128}) b->Args({tasks, domains});
  }
}

BENCHMARK(BM_BalancePass)->Apply(Args);
BENCHMARK(BM_ScanSnapshot)->Apply(Args);

}  // namespace
}  // namespace atlas

BENCHMARK_MAIN();

// SPDX-License-Identifier: GPL-2.0-only
#include "planner/balancer.h"

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atlas {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

DomainSet All(int n) {
  DomainSet s;
  for (int d = 0; d < n; ++d) s.set(d);
  return s;
}

// A snapshot whose domain figures are the sums of its tasks.
LoadSnapshot Make(int nr_domains, const std::vector<TaskLoad>& tasks) {
  LoadSnapshot snap;
  snap.domains.resize(nr_domains);
  snap.tasks = tasks;
  for (const TaskLoad& t : tasks) {
    snap.domains[t.domain].load += t.duty_cycle * t.weight / 100.0;
    snap.domains[t.domain].runnable += t.duty_cycle;
  }
  return snap;
}

TaskLoad Task(uint64_t uid, int domain, double dcyc, DomainSet allowed,
              uint32_t weight = 100) {
  TaskLoad t;
  t.uid = uid;
  t.pid = static_cast<uint32_t>(1000 + uid);
  t.domain = domain;
  t.duty_cycle = dcyc;
  t.weight = weight;
  t.allowed = allowed;
  return t;
}

std::vector<BalanceDomain> Domains(std::vector<int> nodes, double cap = 4) {
  std::vector<BalanceDomain> out;
  for (int n : nodes) out.push_back({n, cap});
  return out;
}

// Loads after applying a plan to the snapshot, in the plan's units.
std::vector<double> Apply(const Plan& plan) { return plan.loads_after; }

TEST(Balance, BalancedInputGivesAnEmptyPlan) {
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i, i % 2, 0.5, All(2)));
  Plan plan = Balance(Make(2, tasks), Domains({0, 0}), {});
  EXPECT_THAT(plan.migrations, IsEmpty());
}

TEST(Balance, OneHotDomainEndsWithinTheThreshold) {
  // 12 half-busy tasks in domain 0 of 4 domains (one node).
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 12; ++i) tasks.push_back(Task(i, 0, 0.5, All(4)));
  std::vector<BalanceDomain> doms = Domains({0, 0, 0, 0});
  Plan plan = Balance(Make(4, tasks), doms, {});
  ASSERT_FALSE(plan.migrations.empty());
  const double avg = 6.0 / 4;
  for (double load : Apply(plan)) {
    EXPECT_NEAR(load, avg, 0.5 + 1e-9);  // within one task of the average
  }
  EXPECT_LT(TotalImbalance(plan.loads_after, doms),
            TotalImbalance(plan.loads_before, doms));
}

TEST(Balance, NodesAreBalancedBeforeDomainsInsideANode) {
  // Node 0 = domains 0,1 (all load in domain 0); node 1 = domains 2,3.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i, 0, 1.0, All(4)));
  BalanceParams params;
  params.max_migrations = 1;  // the first move shows the priority
  Plan plan = Balance(Make(4, tasks), Domains({0, 0, 1, 1}), params);
  ASSERT_EQ(plan.migrations.size(), 1u);
  EXPECT_GE(plan.migrations[0].to, 2);  // across nodes first
  params.max_migrations = 32;
  plan = Balance(Make(4, tasks), Domains({0, 0, 1, 1}), params);
  EXPECT_THAT(plan.loads_after, ElementsAre(2, 2, 2, 2));
}

TEST(Balance, CapacityNormalizesLoadOnHybridParts) {
  // Domain 0: 4 P-cores (capacity 4); domain 1: 8 E-cores at half speed
  // (capacity 4). Equal capacity -> equal loads, although 8 CPUs vs 4.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i, 1, 1.0, All(2)));
  std::vector<BalanceDomain> doms = {{0, 4.0}, {0, 4.0}};
  Plan plan = Balance(Make(2, tasks), doms, {});
  EXPECT_THAT(plan.loads_after, ElementsAre(4, 4));
  // A faster domain takes more: capacity 6 vs 2 -> 6 and 2 of 8.
  doms = {{0, 6.0}, {0, 2.0}};
  plan = Balance(Make(2, tasks), doms, {});
  EXPECT_THAT(plan.loads_after, ElementsAre(6, 2));
}

TEST(Balance, NeverMovesATaskItsCpumaskExcludes) {
  DomainSet only0;
  only0.set(0);
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(Task(i, 0, 1.0, only0));
  tasks.push_back(Task(100, 0, 1.0, All(2)));
  Plan plan = Balance(Make(2, tasks), Domains({0, 0}), {});
  ASSERT_EQ(plan.migrations.size(), 1u);
  EXPECT_EQ(plan.migrations[0].uid, 100u);
  EXPECT_EQ(plan.migrations[0].to, 1);
}

TEST(Balance, NoTaskMovesTwiceAndPlansAreDeterministic) {
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 40; ++i) {
    tasks.push_back(Task(i, i % 3 == 0 ? 0 : 1, 0.1 + 0.02 * i, All(4)));
  }
  std::vector<BalanceDomain> doms = Domains({0, 0, 1, 1});
  Plan a = Balance(Make(4, tasks), doms, {});
  Plan b = Balance(Make(4, tasks), doms, {});
  std::set<uint64_t> seen;
  for (const Migration& m : a.migrations)
    EXPECT_TRUE(seen.insert(m.uid).second);
  ASSERT_EQ(a.migrations.size(), b.migrations.size());
  for (size_t i = 0; i < a.migrations.size(); ++i) {
    EXPECT_EQ(a.migrations[i].uid, b.migrations[i].uid);
    EXPECT_EQ(a.migrations[i].to, b.migrations[i].to);
  }
}

TEST(Balance, WeightsCountOnlyWhenSaturated) {
  // 2 CPUs of capacity, 1 runnable task's worth: not saturated, weights
  // are ignored.
  std::vector<TaskLoad> tasks = {Task(1, 0, 0.5, All(2), 1000),
                                 Task(2, 0, 0.5, All(2), 100)};
  Plan plan = Balance(Make(2, tasks), Domains({0, 0}, 1), {});
  EXPECT_FALSE(plan.saturated);
  EXPECT_THAT(plan.loads_before, ElementsAre(1.0, 0.0));
  // Saturated (4 runnable on 2 CPUs): weights count.
  for (int i = 3; i < 6; ++i) tasks.push_back(Task(i, 1, 1.0, All(2)));
  plan = Balance(Make(2, tasks), Domains({0, 0}, 1), {});
  EXPECT_TRUE(plan.saturated);
}

TEST(Balance, InfeasibleWeightsAreCapped) {
  // 4 CPUs; one task of weight 10000 among three of 100: it cannot use more
  // than one CPU, so it counts as 100*3/(4-1) = 100.
  EXPECT_THAT(CapInfeasibleWeights({10000, 100, 100, 100}, 4),
              ElementsAre(100, 100, 100, 100));
  // Feasible weights stay.
  EXPECT_THAT(CapInfeasibleWeights({300, 100, 100, 100}, 2),
              ElementsAre(300, 100, 100, 100));
  // Two heavy tasks on 3 CPUs: both capped to the rest's share.
  EXPECT_THAT(CapInfeasibleWeights({5000, 5000, 100}, 3),
              ElementsAre(100, 100, 100));
  // 5 tasks on 4 CPUs: 10000 -> 400 / 3.
  std::vector<double> capped =
      CapInfeasibleWeights({100, 10000, 100, 100, 100}, 4);
  EXPECT_NEAR(capped[1], 400.0 / 3, 1e-9);
  EXPECT_EQ(capped[0], 100);
}

TEST(Balance, HeavyTaskDoesNotDistortTheBalance) {
  // 4 CPUs in 2 domains, saturated. Domain 0: a weight-10000 task and one
  // nice-0 task; domain 1: three nice-0 tasks. The heavy task can use one
  // CPU at most: capped, the loads are 2.33 vs 3 and nothing is worth
  // moving. Uncapped, domain 0 would look 30x busier and lose its nice-0
  // task to the already crowded domain 1.
  std::vector<TaskLoad> tasks = {
      Task(1, 0, 1.0, All(2), 10000), Task(2, 0, 1.0, All(2)),
      Task(3, 1, 1.0, All(2)), Task(4, 1, 1.0, All(2)),
      Task(5, 1, 1.0, All(2))};
  Plan plan = Balance(Make(2, tasks), Domains({0, 0}, 2), {});
  EXPECT_TRUE(plan.saturated);
  EXPECT_NEAR(plan.loads_before[0], 1 + 4.0 / 3, 1e-9);
  EXPECT_THAT(plan.migrations, IsEmpty());
}

TEST(Balance, CappedTaskMovesWithItsCappedLoad) {
  // 4 CPUs in 2 domains, saturated, everything in domain 0: a weight-10000
  // task among four nice-0 ones. Capped to 400/3 it weighs 1.33, so the
  // plan may move it, and then with that load, never with 100.
  std::vector<TaskLoad> tasks = {Task(1, 0, 1.0, All(2), 10000)};
  for (int i = 2; i < 6; ++i) tasks.push_back(Task(i, 0, 1.0, All(2)));
  Plan plan = Balance(Make(2, tasks), Domains({0, 0}, 2), {});
  ASSERT_TRUE(plan.saturated);
  EXPECT_NEAR(plan.loads_before[0], 4 + 4.0 / 3, 1e-9);
  ASSERT_FALSE(plan.migrations.empty());
  for (const Migration& m : plan.migrations) {
    if (m.uid == 1) {
      EXPECT_NEAR(m.load, 4.0 / 3, 1e-9);
    } else {
      EXPECT_NEAR(m.load, 1.0, 1e-9);
    }
  }
  EXPECT_NEAR(plan.loads_after[0] + plan.loads_after[1], 4 + 4.0 / 3, 1e-9);
  EXPECT_LE(std::abs(plan.loads_after[0] - plan.loads_after[1]), 4.0 / 3);
}

// Property: over thousands of random snapshots, a plan never increases the
// total imbalance, never violates a cpumask, never moves a task twice and
// never exceeds max_migrations.
TEST(BalanceProperty, RandomSnapshots) {
  std::mt19937_64 rng(12345);
  for (int iter = 0; iter < 3000; ++iter) {
    const int nd = 1 + static_cast<int>(rng() % 8);
    const int nodes = 1 + static_cast<int>(rng() % std::min(nd, 3));
    std::vector<BalanceDomain> doms;
    for (int d = 0; d < nd; ++d) {
      doms.push_back({d % nodes, 1.0 + static_cast<double>(rng() % 8)});
    }
    std::vector<TaskLoad> tasks;
    const int nt = static_cast<int>(rng() % 60);
    for (int i = 0; i < nt; ++i) {
      DomainSet allowed;
      for (int d = 0; d < nd; ++d) {
        if (rng() % 3) allowed.set(d);
      }
      const int dom = static_cast<int>(rng() % nd);
      allowed.set(dom);
      tasks.push_back(Task(i + 1, dom, (rng() % 1000) / 1000.0, allowed,
                           static_cast<uint32_t>(1 + rng() % 400)));
    }
    BalanceParams params;
    params.max_migrations = 1 + static_cast<int>(rng() % 20);
    const Plan plan = Balance(Make(nd, tasks), doms, params);
    std::string why;
    for (size_t d = 0; d < doms.size(); ++d) {
      why += " d" + std::to_string(d) + "(node " +
             std::to_string(doms[d].node) + " cap " +
             std::to_string(doms[d].capacity) + ") " +
             std::to_string(plan.loads_before[d]) + "->" +
             std::to_string(plan.loads_after[d]);
    }
    for (const Migration& m : plan.migrations) {
      why += " [" + std::to_string(m.from) + "->" + std::to_string(m.to) + " " +
             std::to_string(m.load) + "]";
    }
    ASSERT_LE(TotalImbalance(plan.loads_after, doms),
              TotalImbalance(plan.loads_before, doms) + 1e-9)
        << "iteration " << iter << ":" << why;
    ASSERT_LE(static_cast<int>(plan.migrations.size()), params.max_migrations);
    std::set<uint64_t> seen;
    for (const Migration& m : plan.migrations) {
      ASSERT_TRUE(seen.insert(m.uid).second) << "iteration " << iter;
      ASSERT_TRUE(tasks[m.uid - 1].allowed[m.to]) << "iteration " << iter;
      ASSERT_EQ(tasks[m.uid - 1].domain, m.from);
    }
  }
}

}  // namespace
}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
#include "planner/balancer.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "planner/task_slots.h"

namespace atlas {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

DomainSet All(int n) {
  DomainSet s;
  for (int d = 0; d < n; ++d) s.set(d);
  return s;
}

constexpr uint64_t kNow = 1'000'000'000'000;

TaskLoad Task(uint64_t uid, int domain, double dcyc, DomainSet allowed,
              uint32_t weight = 100) {
  TaskLoad t;
  t.uid = uid;
  t.pid = static_cast<uint32_t>(1000 + uid);
  t.domain = domain;
  // As BPF stores it: in 1/ATLAS_LOAD_ONE steps.
  t.duty_cycle = std::round(dcyc * ATLAS_LOAD_ONE) / ATLAS_LOAD_ONE;
  t.weight = weight;
  t.allowed = allowed;
  return t;
}

// A snapshot whose tasks sit in slots as BPF lays them out (one slot per
// task, written now, so duty cycles read as stored) and whose domain
// figures are the sums of its tasks, the weights counted up to `cap` (as
// BPF counts them with load_weight_cap). `tasks` is what the reference
// model starts from: the slots decoded.
struct Input {
  std::vector<atlas_task_snap> slots;
  std::vector<TaskLoad> tasks;
  LoadSnapshot snap;  // points into slots: Input moves, never copies
  Input() = default;
  Input(Input&&) = default;
  Input(const Input&) = delete;
};

Input Make(int nr_domains, const std::vector<TaskLoad>& tasks,
           double cap = std::numeric_limits<double>::infinity()) {
  Input in;
  in.snap.domains.resize(nr_domains);
  in.snap.weight_cap = cap;
  in.snap.now_ns = kNow;
  for (const TaskLoad& t : tasks) {
    if (t.uid == 0) ADD_FAILURE() << "uid 0 marks a free slot";
    atlas_task_snap s = {};
    s.uid = t.uid;
    s.pid = t.pid;
    s.dom = static_cast<uint32_t>(t.domain);
    s.weight = t.weight;
    s.updated_at = kNow;
    s.dcyc = static_cast<uint64_t>(std::llround(t.duty_cycle * ATLAS_LOAD_ONE));
    s.dcyc_cur = s.dcyc;
    for (int w = 0; w < ATLAS_DOM_WORDS; ++w) {
      s.allowed_doms[w] =
          ((t.allowed >> (64 * w)) & DomainSet(~0ull)).to_ullong();
    }
    in.slots.push_back(s);
    in.tasks.push_back(TaskLoadFromSnap(s, kNow, in.snap.half_life_ns));
    in.snap.domains[t.domain].load +=
        t.duty_cycle * std::min<double>(t.weight, cap) / 100.0;
    in.snap.domains[t.domain].runnable += t.duty_cycle;
  }
  in.snap.slots = in.slots.data();
  in.snap.nr_slots = in.slots.size();
  return in;
}

Plan Balance(const Input& in, const std::vector<BalanceDomain>& domains,
             const BalanceParams& params) {
  return atlas::Balance(in.snap, domains, params);
}

std::vector<BalanceDomain> Domains(std::vector<int> nodes, double cap = 4) {
  std::vector<BalanceDomain> out;
  for (int n : nodes) out.push_back({n, cap});
  return out;
}

// ---- A reference model, independent of the balancer's bookkeeping -------
//
// Every load below is recomputed from the snapshot and the migration list
// alone, the simple way (brute force, no buckets), so that a balancer that
// moved other tasks than it reports, or reported loads it did not reach,
// fails the tests instead of grading itself.

// The infeasible-weight cap by brute force: the smallest k such that the k
// heaviest weights each exceed c = (sum of the others) / (nr_cpus - k) and
// the next one does not; infinity when no k does.
double ReferenceCap(std::vector<double> w, double nr_cpus) {
  std::sort(w.begin(), w.end(), std::greater<double>());
  const int n = static_cast<int>(w.size());
  for (int k = 1; k < n && k < nr_cpus; ++k) {
    double rest = 0;
    for (int i = k; i < n; ++i) rest += w[i];
    const double c = rest / (nr_cpus - k);
    if (w[k - 1] > c && w[k] <= c) return c;
  }
  return std::numeric_limits<double>::infinity();
}

struct Reference {
  bool saturated = false;
  double cap = std::numeric_limits<double>::infinity();
  std::vector<double> before, after;  // per domain
  std::string problems;               // empty when the plan is sound
};

// Recomputes a plan's loads from the snapshot and its migrations, and
// checks every migration: a task of the snapshot, moved from its domain to
// one its cpumask reaches, once, with its load in the plan's units; and
// the plan's own loads_before / loads_after against the recomputed ones.
Reference Recompute(const Input& snap, const std::vector<BalanceDomain>& doms,
                    const Plan& plan, int max_migrations = 32) {
  Reference ref;
  const size_t nd = doms.size();
  double runnable = 0, cpus = 0;
  for (size_t d = 0; d < nd; ++d) {
    runnable += snap.snap.domains[d].runnable;
    cpus += doms[d].capacity;
  }
  ref.saturated = runnable >= cpus;
  std::vector<double> weights;
  for (const TaskLoad& t : snap.tasks) weights.push_back(t.weight);
  // No more tasks than CPUs: each has a CPU of its own, nothing is capped.
  if (snap.tasks.size() > cpus) ref.cap = ReferenceCap(weights, cpus);
  auto load_of = [&](const TaskLoad& t) {
    return ref.saturated
               ? t.duty_cycle * std::min<double>(t.weight, ref.cap) / 100.0
               : t.duty_cycle;
  };
  for (size_t d = 0; d < nd; ++d) {
    ref.before.push_back(ref.saturated ? snap.snap.domains[d].load
                                       : snap.snap.domains[d].runnable);
  }
  ref.after = ref.before;
  auto problem = [&](const std::string& what) { ref.problems += what + "; "; };
  std::set<uint64_t> moved;
  for (const Migration& m : plan.migrations) {
    const TaskLoad* task = nullptr;
    for (const TaskLoad& t : snap.tasks) {
      if (t.uid == m.uid) task = &t;
    }
    const std::string id = "task " + std::to_string(m.uid);
    if (task == nullptr) {
      problem(id + " is not in the snapshot");
      continue;
    }
    if (!moved.insert(m.uid).second) problem(id + " moved twice");
    if (task->pid != m.pid) problem(id + " has the wrong pid");
    if (task->domain != m.from) problem(id + " is not in its from domain");
    if (m.to < 0 || static_cast<size_t>(m.to) >= nd || !task->allowed[m.to]) {
      problem(id + " moved to a domain its cpumask excludes");
      continue;
    }
    const double x = load_of(*task);
    if (std::abs(m.load - x) > 1e-9) problem(id + " reports the wrong load");
    ref.after[task->domain] -= x;
    ref.after[m.to] += x;
  }
  if (static_cast<int>(plan.migrations.size()) > max_migrations) {
    problem("more than max_migrations moves");
  }
  if (plan.saturated != ref.saturated) problem("wrong saturation");
  if (!(plan.weight_cap == ref.cap ||
        std::abs(plan.weight_cap - ref.cap) <= 1e-9 * ref.cap)) {
    problem("weight cap " + std::to_string(plan.weight_cap) +
            " != recomputed " + std::to_string(ref.cap));
  }
  if (plan.loads_before.size() != nd || plan.loads_after.size() != nd) {
    problem("loads of the wrong size");
    return ref;
  }
  for (size_t d = 0; d < nd; ++d) {
    const double tol = 1e-9 * std::max(1.0, std::abs(ref.after[d]));
    if (std::abs(plan.loads_before[d] - ref.before[d]) > tol) {
      problem("domain " + std::to_string(d) + " loads_before " +
              std::to_string(plan.loads_before[d]) + " != recomputed " +
              std::to_string(ref.before[d]));
    }
    if (std::abs(plan.loads_after[d] - ref.after[d]) > tol) {
      problem("domain " + std::to_string(d) + " loads_after " +
              std::to_string(plan.loads_after[d]) + " != recomputed " +
              std::to_string(ref.after[d]));
    }
  }
  return ref;
}

// Balances and checks the plan against the reference model; the loads the
// tests then look at are the recomputed ones.
struct Checked {
  Plan plan;
  std::vector<double> before, after;
};
Checked BalanceChecked(const Input& snap,
                       const std::vector<BalanceDomain>& doms,
                       const BalanceParams& params = {}) {
  Checked c;
  c.plan = Balance(snap, doms, params);
  const Reference ref = Recompute(snap, doms, c.plan, params.max_migrations);
  EXPECT_EQ(ref.problems, "");
  c.before = ref.before;
  c.after = ref.after;
  return c;
}

TEST(Reference, CatchesAPlanWhoseOwnLoadsAreWrong) {
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i + 1, 0, 1.0, All(2)));
  const Input snap = Make(2, tasks);
  const std::vector<BalanceDomain> doms = Domains({0, 0});
  Plan plan = Balance(snap, doms, {});
  ASSERT_EQ(Recompute(snap, doms, plan).problems, "");
  ASSERT_FALSE(plan.migrations.empty());
  Plan lying = plan;  // reports the balance without the last move
  lying.migrations.pop_back();
  EXPECT_THAT(Recompute(snap, doms, lying).problems,
              ::testing::HasSubstr("loads_after"));
  Plan wrong_task = plan;  // a task that is not where the plan says
  wrong_task.migrations[0].from = 1;
  EXPECT_THAT(Recompute(snap, doms, wrong_task).problems,
              ::testing::HasSubstr("not in its from domain"));
  Plan twice = plan;
  twice.migrations.push_back(plan.migrations[0]);
  EXPECT_THAT(Recompute(snap, doms, twice).problems,
              ::testing::HasSubstr("moved twice"));
}

TEST(Reference, CapMatchesTheWorkedExamples) {
  EXPECT_EQ(ReferenceCap({10000, 100, 100, 100}, 4), 100);
  EXPECT_TRUE(std::isinf(ReferenceCap({300, 100, 100, 100}, 2)));
  EXPECT_NEAR(ReferenceCap({100, 10000, 100, 100, 100}, 4), 400.0 / 3, 1e-12);
}

TEST(Balance, BalancedInputGivesAnEmptyPlan) {
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i + 1, i % 2, 0.5, All(2)));
  const Checked c = BalanceChecked(Make(2, tasks), Domains({0, 0}));
  EXPECT_THAT(c.plan.migrations, IsEmpty());
}

TEST(Balance, OneHotDomainEndsWithinTheThreshold) {
  // 12 half-busy tasks in domain 0 of 4 domains (one node).
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 12; ++i) tasks.push_back(Task(i + 1, 0, 0.5, All(4)));
  std::vector<BalanceDomain> doms = Domains({0, 0, 0, 0});
  const Checked c = BalanceChecked(Make(4, tasks), doms);
  ASSERT_FALSE(c.plan.migrations.empty());
  const double avg = 6.0 / 4;
  for (double load : c.after) {
    EXPECT_NEAR(load, avg, 0.5 + 1e-9);  // within one task of the average
  }
  EXPECT_LT(TotalImbalance(c.after, doms), TotalImbalance(c.before, doms));
}

TEST(Balance, NodesAreBalancedBeforeDomainsInsideANode) {
  // Node 0 = domains 0,1 (all load in domain 0); node 1 = domains 2,3.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i + 1, 0, 1.0, All(4)));
  BalanceParams params;
  params.max_migrations = 1;  // the first move shows the priority
  Checked c = BalanceChecked(Make(4, tasks), Domains({0, 0, 1, 1}), params);
  ASSERT_EQ(c.plan.migrations.size(), 1u);
  EXPECT_GE(c.plan.migrations[0].to, 2);  // across nodes first
  params.max_migrations = 32;
  c = BalanceChecked(Make(4, tasks), Domains({0, 0, 1, 1}), params);
  EXPECT_THAT(c.after, ElementsAre(2, 2, 2, 2));
}

// 2 nodes of equal load (no move between them), each uneven inside, in
// half-busy tasks per domain; 4 moves a pass.
std::vector<double> InsideTwoNodes(std::vector<int> per_domain,
                                   int max_migrations) {
  std::vector<TaskLoad> tasks;
  uint64_t uid = 1;
  for (int d = 0; d < 4; ++d) {
    for (int i = 0; i < per_domain[d]; ++i) {
      tasks.push_back(Task(uid++, d, 0.5, All(4)));
    }
  }
  BalanceParams params;
  params.max_migrations = max_migrations;
  return BalanceChecked(Make(4, tasks), Domains({0, 0, 1, 1}), params).after;
}

TEST(Balance, InsideNodesEachMoveIsFromTheMostLoadedDomainOfAnyNode) {
  // Domain 2 is 4 over its node's share, domain 0 is 1 over: all 4 moves
  // from domain 2 (node after node, node 0 took 2 moves first: 4,4,7,1).
  EXPECT_THAT(InsideTwoNodes({10, 6, 16, 0}, 4), ElementsAre(5, 3, 6, 2));
  // 3 and 4 over: domain 2, 2 again, then domain 0 (both 3 over: the
  // lower id), then 2 (node after node: 5,3,8,0 or 7,1,6,2).
  EXPECT_THAT(InsideTwoNodes({14, 2, 16, 0}, 4),
              ElementsAre(6.5, 1.5, 6.5, 1.5));
  // With moves to spare, every node is balanced.
  EXPECT_THAT(InsideTwoNodes({14, 2, 16, 0}, 32), ElementsAre(4, 4, 4, 4));
}

TEST(Balance, ANodeOfEvenDomainsPushesToAnIdleNode) {
  // Node 0 = domains 0,1 with 4 busy tasks each: neither is over its
  // node's share, only the node is over its own; node 1 (2,3) is idle.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i + 1, i % 2, 1.0, All(4)));
  const Checked c = BalanceChecked(Make(4, tasks), Domains({0, 0, 1, 1}));
  EXPECT_THAT(c.after, ElementsAre(2, 2, 2, 2));
}

TEST(Balance, CapacityNormalizesLoadOnHybridParts) {
  // Domain 0: 4 P-cores (capacity 4); domain 1: 8 E-cores at half speed
  // (capacity 4). Equal capacity -> equal loads, although 8 CPUs vs 4.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i + 1, 1, 1.0, All(2)));
  std::vector<BalanceDomain> doms = {{0, 4.0}, {0, 4.0}};
  EXPECT_THAT(BalanceChecked(Make(2, tasks), doms).after, ElementsAre(4, 4));
  // A faster domain takes more: capacity 6 vs 2 -> 6 and 2 of 8.
  doms = {{0, 6.0}, {0, 2.0}};
  EXPECT_THAT(BalanceChecked(Make(2, tasks), doms).after, ElementsAre(6, 2));
}

TEST(Balance, NeverMovesATaskItsCpumaskExcludes) {
  DomainSet only0;
  only0.set(0);
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(Task(i + 1, 0, 1.0, only0));
  tasks.push_back(Task(100, 0, 1.0, All(2)));
  const Checked c = BalanceChecked(Make(2, tasks), Domains({0, 0}));
  ASSERT_EQ(c.plan.migrations.size(), 1u);
  EXPECT_EQ(c.plan.migrations[0].uid, 100u);
  EXPECT_EQ(c.plan.migrations[0].to, 1);
}

TEST(Balance, ABusyDomainsTasksAreLookedAtInTurn) {
  // Domain 0 holds more tasks than a pass looks at of one domain: 1500
  // pinned to it, then 500 that may move; domain 1 is idle. A pass that
  // always started looking at the first slots would see only pinned tasks
  // and never move one; the pass's starting slot changes with the
  // snapshot's time, so over a few passes the movable ones get their turn.
  DomainSet only0;
  only0.set(0);
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 2000; ++i)
    tasks.push_back(Task(i + 1, 0, 0.01, i < 1500 ? only0 : All(2)));
  Input in = Make(2, tasks);
  int passes_that_moved = 0;
  for (int k = 0; k < 16; ++k) {
    in.snap.now_ns = kNow + static_cast<uint64_t>(k) * 1'000'000'007;
    const Checked c = BalanceChecked(in, Domains({0, 0}));
    for (const Migration& m : c.plan.migrations) EXPECT_GT(m.uid, 1500u);
    passes_that_moved += !c.plan.migrations.empty();
  }
  EXPECT_GT(passes_that_moved, 0);
}

TEST(Balance, HogsAmongManyNearIdleTasksAreSeenEveryPass) {
  // Domain 0: 600 near-idle tasks (0.002 each), then 2 hogs; domain 1 is
  // idle. A pass lists only some of a source's tasks, but the near-idle
  // ones (whose moves would fix almost nothing) must not take the hogs'
  // room: every pass, whatever slot it starts at, moves a hog first.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 600; ++i) tasks.push_back(Task(i + 1, 0, 0.002, All(2)));
  tasks.push_back(Task(1001, 0, 1.0, All(2)));
  tasks.push_back(Task(1002, 0, 1.0, All(2)));
  Input in = Make(2, tasks);
  for (int k = 0; k < 16; ++k) {
    in.snap.now_ns = kNow + static_cast<uint64_t>(k) * 1'000'000'007;
    const Checked c = BalanceChecked(in, Domains({0, 0}));
    ASSERT_FALSE(c.plan.migrations.empty()) << "pass " << k;
    EXPECT_GT(c.plan.migrations[0].uid, 1000u) << "pass " << k;
  }
}

TEST(Balance, AHogMovesWhenItIsTheOnlyTaskThatCanBeMoved) {
  // One node, 2 domains of 4 CPUs: 5 hogs and a pinned half-busy task in
  // domain 0, 4 hogs in domain 1 (loads 5.5 and 4, each 0.75 from the
  // average). Moving a hog (1.0, 2 buckets above the 0.75 wanted) leaves
  // them 0.25 apart: it is the move to make.
  DomainSet only0;
  only0.set(0);
  std::vector<TaskLoad> tasks = {Task(100, 0, 0.5, only0)};
  for (int i = 0; i < 9; ++i)
    tasks.push_back(Task(i + 1, i < 5 ? 0 : 1, 1.0, All(2)));
  const Checked c = BalanceChecked(Make(2, tasks), Domains({0, 0}));
  ASSERT_EQ(c.plan.migrations.size(), 1u);
  EXPECT_EQ(c.plan.migrations[0].to, 1);
  EXPECT_THAT(c.after, ElementsAre(4.5, 5));
}

TEST(Balance, EachMoveTakesFromTheMostLoadedAndGivesToTheLeast) {
  // Domains 0 and 1 over their share (3.2 and 3.0), 2 and 3 idle. The
  // first move takes 1.2 from domain 0 to domain 2; after it domain 1 is
  // the most loaded and domain 3 the least, so the second move goes from 1
  // to 3. A balancer that left a move's source and target where they were
  // in its lists (instead of re-filing them by their new loads) would move
  // one of domain 0's 0.4 tasks to domain 2, both still over and under.
  // Inside one node, and across two (the node phase keeps lists of its
  // own).
  std::vector<TaskLoad> tasks;
  for (double load : {1.2, 0.4, 0.4, 0.4, 0.4, 0.4}) {
    tasks.push_back(Task(tasks.size() + 1, 0, load, All(4)));
  }
  for (int i = 0; i < 3; ++i) {
    tasks.push_back(Task(tasks.size() + 1, 1, 1.0, All(4)));
  }
  for (const std::vector<int>& nodes :
       {std::vector<int>{0, 0, 0, 0}, std::vector<int>{0, 0, 1, 1}}) {
    SCOPED_TRACE(nodes[2] == 0 ? "one node" : "two nodes");
    const Checked c = BalanceChecked(Make(4, tasks), Domains(nodes));
    ASSERT_GE(c.plan.migrations.size(), 2u);
    EXPECT_EQ(c.plan.migrations[0].from, 0);
    EXPECT_EQ(c.plan.migrations[0].to, 2);
    EXPECT_EQ(c.plan.migrations[1].from, 1);
    EXPECT_EQ(c.plan.migrations[1].to, 3);
  }
}

TEST(Balance, NoTaskMovesTwiceAndPlansAreDeterministic) {
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 40; ++i) {
    tasks.push_back(Task(i + 1, i % 3 == 0 ? 0 : 1, 0.1 + 0.02 * i, All(4)));
  }
  std::vector<BalanceDomain> doms = Domains({0, 0, 1, 1});
  const Plan a = BalanceChecked(Make(4, tasks), doms).plan;
  const Plan b = BalanceChecked(Make(4, tasks), doms).plan;
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
  Checked c = BalanceChecked(Make(2, tasks), Domains({0, 0}, 1));
  EXPECT_FALSE(c.plan.saturated);
  EXPECT_THAT(c.before, ElementsAre(1.0, 0.0));
  // Saturated (4 runnable on 2 CPUs): weights count.
  for (int i = 3; i < 6; ++i) tasks.push_back(Task(i + 1, 1, 1.0, All(2)));
  // Weight 1000 is infeasible on 2 CPUs beside 400 of others: the plan
  // caps it to 400, and with loads counted so (BPF counts the weights up to
  // the plan's cap), domain 0 counts 0.5 x 4 + 0.5 x 1.
  c = BalanceChecked(Make(2, tasks), Domains({0, 0}, 1));
  EXPECT_TRUE(c.plan.saturated);
  EXPECT_NEAR(c.plan.weight_cap, 400, 1e-9);
  c = BalanceChecked(Make(2, tasks, 400), Domains({0, 0}, 1));
  EXPECT_NEAR(c.before[0], 2.5, 1e-9);
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
  // task to the already crowded domain 1. The plan names the cap, 400/3;
  // loads counted with it balance as they are.
  std::vector<TaskLoad> tasks = {
      Task(1, 0, 1.0, All(2), 10000), Task(2, 0, 1.0, All(2)),
      Task(3, 1, 1.0, All(2)), Task(4, 1, 1.0, All(2)),
      Task(5, 1, 1.0, All(2))};
  EXPECT_NEAR(Balance(Make(2, tasks), Domains({0, 0}, 2), {}).weight_cap,
              400.0 / 3, 1e-9);
  const Checked c =
      BalanceChecked(Make(2, tasks, 400.0 / 3), Domains({0, 0}, 2));
  EXPECT_TRUE(c.plan.saturated);
  EXPECT_NEAR(c.before[0], 1 + 4.0 / 3, 1e-9);
  EXPECT_THAT(c.plan.migrations, IsEmpty());
}

TEST(Balance, CappedTaskMovesWithItsCappedLoad) {
  // 4 CPUs in 2 domains, saturated, everything in domain 0: a weight-10000
  // task among four nice-0 ones. Capped to 400/3 it weighs 1.33, so the
  // plan may move it, and then with that load, never with 100.
  std::vector<TaskLoad> tasks = {Task(1, 0, 1.0, All(2), 10000)};
  for (int i = 2; i < 6; ++i) tasks.push_back(Task(i + 1, 0, 1.0, All(2)));
  const Checked c =
      BalanceChecked(Make(2, tasks, 400.0 / 3), Domains({0, 0}, 2));
  ASSERT_TRUE(c.plan.saturated);
  EXPECT_NEAR(c.before[0], 4 + 4.0 / 3, 1e-9);
  ASSERT_FALSE(c.plan.migrations.empty());
  for (const Migration& m : c.plan.migrations) {
    if (m.uid == 1) {
      EXPECT_NEAR(m.load, 4.0 / 3, 1e-9);
    } else {
      EXPECT_NEAR(m.load, 1.0, 1e-9);
    }
  }
  EXPECT_NEAR(c.after[0] + c.after[1], 4 + 4.0 / 3, 1e-9);
  EXPECT_LE(std::abs(c.after[0] - c.after[1]), 4.0 / 3);
}

TEST(Balance, CgroupFactorsWeighTheTasks) {
  // 8 CPUs in 2 domains, saturated, with cgroup factors (--cgroup_weights):
  // domain 0 holds 4 tasks of a cgroup of factor 2 and 4 of one of factor
  // 1/4, domain 1 8 tasks in no cgroup, all nice 0 and always runnable.
  // Weighed with the factors (computed here: 200, 25 and 100, not by
  // EffectiveWeight) the loads are 9 and 8, and only a task of load 0.25
  // fits a move (x < 2 x 0.5); weighed without them every task is 1.0, and
  // with the first factor for all 2.0: nothing would move.
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(i + 1, 0, 1.0, All(2)));
  for (int i = 8; i < 16; ++i) tasks.push_back(Task(i + 1, 1, 1.0, All(2)));
  const double factor[] = {2.0, 0.25};
  const std::vector<uint64_t> factors = {EncodeFactor(factor[0]),
                                         EncodeFactor(factor[1])};
  Input in = Make(2, tasks);
  for (size_t i = 0; i < in.slots.size(); ++i) {
    in.slots[i].cgroup = static_cast<uint16_t>(i < 8 ? i / 4 : ATLAS_NO_CGROUP);
    if (i < 8) in.tasks[i].weight = static_cast<uint32_t>(100 * factor[i / 4]);
  }
  for (DomainState& d : in.snap.domains) d.load = 0;
  for (const TaskLoad& t : in.tasks) {
    in.snap.domains[t.domain].load += t.duty_cycle * t.weight / 100.0;
  }
  in.snap.cgroup_factors = factors.data();
  in.snap.nr_cgroup_factors = factors.size();
  const Checked c = BalanceChecked(in, Domains({0, 0}, 4));
  ASSERT_TRUE(c.plan.saturated);
  EXPECT_NEAR(c.before[0], 9, 1e-9);
  EXPECT_NEAR(c.before[1], 8, 1e-9);
  ASSERT_FALSE(c.plan.migrations.empty());
  for (const Migration& m : c.plan.migrations) {
    EXPECT_TRUE(m.uid >= 5 && m.uid <= 8) << "moved task " << m.uid;
    EXPECT_NEAR(m.load, 0.25, 1e-9);
  }
  EXPECT_LT(std::abs(c.after[0] - c.after[1]), 1.0);
}

// 1000 tasks of duty cycles uniform in (0, 1] dealt round-robin over 64
// domains, each allowed everywhere.
std::vector<TaskLoad> DealtOver64(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TaskLoad> tasks;
  for (int i = 0; i < 1000; ++i) {
    tasks.push_back(Task(
        i + 1, i % 64, static_cast<double>(1 + rng() % 1000) / 1000, All(64)));
  }
  return tasks;
}

TEST(Balance, ManySourcesEachListingFewTasksStillBalance) {
  // 1000 tasks of random duty cycles dealt over 64 domains of one node:
  // about half the domains are sources, and each lists only a few tasks
  // a pass (the listing budget binds: 1000 / 8 slots over ~30 sources,
  // at least 4 each). The plan is still sound (the reference model) and
  // makes its moves, each shrinking the imbalance.
  const Input in = Make(64, DealtOver64(7));
  const std::vector<BalanceDomain> doms = Domains(std::vector<int>(64, 0), 8);
  const Checked c = BalanceChecked(in, doms);
  EXPECT_EQ(c.plan.migrations.size(), 32u);
  EXPECT_LT(TotalImbalance(c.after, doms),
            0.5 * TotalImbalance(c.before, doms));
}

TEST(Balance, OneFarOverSourceAmongManyListsEnoughToShed) {
  // As above, and domain 0 holds 12 more tasks of duty cycle 0.9: 10.4
  // over its share, where the ~30 other sources are about 1 over. It needs
  // about a dozen moves; the listing budget (128 tasks) shared by excess
  // lets it list them. (Shared evenly, it listed 4 tasks above its floor
  // and 4 below: 6 moves, and 7.5 over after.)
  std::vector<TaskLoad> tasks = DealtOver64(11);
  for (int i = 0; i < 12; ++i) tasks.push_back(Task(1001 + i, 0, 0.9, All(64)));
  const Input in = Make(64, tasks);
  const std::vector<BalanceDomain> doms = Domains(std::vector<int>(64, 0), 8);
  const Checked c = BalanceChecked(in, doms);
  int from_0 = 0;
  for (const Migration& m : c.plan.migrations) from_0 += m.from == 0;
  const double avg =
      std::accumulate(c.before.begin(), c.before.end(), 0.0) / 64;
  ASSERT_GT(c.before[0] - avg, 8);
  EXPECT_GE(from_0, 9);
  EXPECT_LT(c.after[0] - avg, 0.3 * (c.before[0] - avg));
}

TEST(Balance, CgroupFactorsFileTheCandidates) {
  // 8 CPUs in 2 domains, saturated, every task always runnable. Domain 0:
  // task 1 (own weight 352, in a cgroup of factor 1/8: load 0.44), tasks
  // 2-5 (352, factor 1/4: 0.88 each) and 4 nice-0 tasks in no cgroup; domain
  // 1: 7 nice-0 tasks. The loads are 7.96 and 7: the ideal move is 0.48,
  // and task 1's load (0.44) is the nearest; tasks 2-5 fit too (< 0.96)
  // but are worse, the nice-0 tasks do not. Filed by their own weights (3.52),
  // tasks 1-5 would look too heavy to be read.
  std::vector<TaskLoad> tasks = {Task(1, 0, 1.0, All(2), 44)};
  for (int i = 2; i <= 5; ++i) tasks.push_back(Task(i, 0, 1.0, All(2), 88));
  for (int i = 6; i <= 9; ++i) tasks.push_back(Task(i, 0, 1.0, All(2)));
  for (int i = 10; i <= 16; ++i) tasks.push_back(Task(i, 1, 1.0, All(2)));
  const std::vector<uint64_t> factors = {EncodeFactor(1.0 / 8),
                                         EncodeFactor(1.0 / 4)};
  Input in = Make(2, tasks);
  for (size_t i = 0; i < in.slots.size(); ++i) {
    in.slots[i].cgroup = i == 0 ? 0 : i < 5 ? 1 : ATLAS_NO_CGROUP;
    if (i < 5) in.slots[i].weight = 352;
  }
  in.snap.cgroup_factors = factors.data();
  in.snap.nr_cgroup_factors = factors.size();
  const Checked c = BalanceChecked(in, Domains({0, 0}, 4));
  ASSERT_TRUE(c.plan.saturated);
  EXPECT_NEAR(c.before[0], 7.96, 1e-9);
  ASSERT_EQ(c.plan.migrations.size(), 1u);
  EXPECT_EQ(c.plan.migrations[0].uid, 1u);
  EXPECT_NEAR(c.plan.migrations[0].load, 0.44, 1e-9);
}

TEST(Balance, CgroupFactorsSetTheWeightCap) {
  // 4 CPUs in 2 domains, saturated: a nice-0 task in a cgroup of factor 8
  // (weight 800) beside 4 nice-0 tasks in none. 800 is more than a CPU's
  // fair share (4 x 800 > 1200), so it is capped to 400 / 3 (computed by
  // the reference model from the weights set here); weighed without its
  // factor nothing would be capped (4 x 100 <= 500).
  std::vector<TaskLoad> tasks = {Task(1, 0, 1.0, All(2))};
  for (int i = 1; i < 5; ++i) tasks.push_back(Task(i + 1, i % 2, 1.0, All(2)));
  const std::vector<uint64_t> factors = {EncodeFactor(8.0)};
  const double cap = 400.0 / 3;
  Input in = Make(2, tasks, cap);
  in.slots[0].cgroup = 0;
  in.tasks[0].weight = 800;
  for (size_t i = 1; i < in.slots.size(); ++i)
    in.slots[i].cgroup = ATLAS_NO_CGROUP;
  for (DomainState& d : in.snap.domains) d.load = 0;
  for (const TaskLoad& t : in.tasks) {
    in.snap.domains[t.domain].load +=
        t.duty_cycle * std::min<double>(t.weight, cap) / 100.0;
  }
  in.snap.cgroup_factors = factors.data();
  in.snap.nr_cgroup_factors = factors.size();
  const Checked c = BalanceChecked(in, Domains({0, 0}, 2));
  ASSERT_TRUE(c.plan.saturated);
  EXPECT_NEAR(c.plan.weight_cap, cap, 1e-9);
}

// BPF's effective_weight (bpf/atlas_cgroup.bpf.h), as it is written there,
// in its own integer widths.
uint32_t BpfEffectiveWeight(uint32_t weight, uint32_t f) {
  const uint32_t shift = ATLAS_FACTOR_SHIFT(f);
  if (!f || shift > 63) return weight * ATLAS_WEIGHT_SCALE;
  uint64_t w = (uint64_t)weight * ATLAS_WEIGHT_SCALE * ATLAS_FACTOR_MANT(f);
  w = (w + (shift ? 1ULL << (shift - 1) : 0)) >> shift;
  return w < 1                      ? 1
         : w > ATLAS_MAX_EFF_WEIGHT ? ATLAS_MAX_EFF_WEIGHT
                                    : (uint32_t)w;
}

TEST(EffectiveWeight, IsBpfsArithmetic) {
  // Weights from 0 to past where x ATLAS_WEIGHT_SCALE wraps at 32 bits,
  // factors from none through tiny, exact, huge and out of range.
  std::vector<uint32_t> codes = {
      0, 1u << 24, 63u << 24 | 1, 64u << 24 | 5, 0xffffffffu, 0xffffffu};
  for (double f : {1e-9, 1.0 / 3, 0.25, 1.0, 2.0, 7.5, 1e6, 1e9}) {
    codes.push_back(EncodeFactor(f));
  }
  for (uint32_t code : codes) {
    const std::vector<uint64_t> factors = {code};
    for (uint32_t w :
         {0u, 1u, 15u, 100u, 10000u, 1u << 22, 5000000u, 0xffffffffu}) {
      EXPECT_EQ(EffectiveWeight(w, 0, factors.data(), 1),
                BpfEffectiveWeight(w, code))
          << "weight " << w << " factor code " << code;
      EXPECT_EQ(EffectiveWeight(w, 1, factors.data(), 1),
                BpfEffectiveWeight(w, 0))
          << "weight " << w << ": a slot past the factors is none";
    }
  }
}

// Property: over thousands of random snapshots, a plan never increases the
// total imbalance (recomputed), never violates a cpumask, never moves a task
// twice or from a domain it is not in, never exceeds max_migrations, and its
// own loads agree with the recomputed ones. With `cgroups`, every task but
// a few is in one of up to 8 cgroups whose factors (1/4 to 64) BPF would
// apply: the reference weighs each task with its effective weight (its own
// weight a multiple of 4, so that is whole), the balancer reads the slots'
// own weights and the factors.
void CheckRandomSnapshots(bool cgroups) {
  std::mt19937_64 rng(cgroups ? 54321 : 12345);
  int capped = 0;  // snapshots where the reference caps a weight
  for (int iter = 0; iter < 3000; ++iter) {
    const int nd = 1 + static_cast<int>(rng() % 8);
    const int nodes = 1 + static_cast<int>(rng() % std::min(nd, 3));
    std::vector<BalanceDomain> doms;
    for (int d = 0; d < nd; ++d) {
      doms.push_back({d % nodes, 1.0 + static_cast<double>(rng() % 8)});
    }
    // Per cgroup slot: its factor (some slots past the factors: none).
    const int nr_cgroups = 1 + static_cast<int>(rng() % 8);
    std::vector<uint64_t> factors;
    std::vector<double> factor;
    for (int c = 0; c < nr_cgroups; ++c) {
      factor.push_back(std::ldexp(1.0, static_cast<int>(rng() % 9) - 2));
      factors.push_back(EncodeFactor(factor.back()));
    }
    std::vector<TaskLoad> tasks;
    std::vector<uint32_t> own;     // the slots' weights (cgroups)
    std::vector<uint16_t> cgroup;  // the slots' cgroups
    // Every fourth snapshot has hundreds of tasks, a few of them very heavy
    // (nice -20 weighs 8876): the balancer then keeps only the heaviest
    // weights of many, and the cap applies.
    const bool many = iter % 4 == 0;
    const int nt = static_cast<int>(rng() % (many ? 600 : 60));
    for (int i = 0; i < nt; ++i) {
      DomainSet allowed;
      for (int d = 0; d < nd; ++d) {
        if (rng() % 3) allowed.set(d);
      }
      const int dom = static_cast<int>(rng() % nd);
      allowed.set(dom);
      uint32_t weight = many && rng() % 50 == 0
                            ? static_cast<uint32_t>(2000 + rng() % 8000)
                            : static_cast<uint32_t>(1 + rng() % 400);
      if (cgroups) {
        weight = (weight + 3) / 4 * 4;
        // Slots nr_cgroups and up, and ATLAS_NO_CGROUP: no factor.
        const uint16_t c =
            rng() % 10 == 0 ? ATLAS_NO_CGROUP
                            : static_cast<uint16_t>(rng() % (nr_cgroups + 1));
        own.push_back(weight);
        cgroup.push_back(c);
        if (c < nr_cgroups) {
          weight = static_cast<uint32_t>(weight * factor[c]);
        }
      }
      tasks.push_back(
          Task(i + 1, dom, (rng() % 1000) / 1000.0, allowed, weight));
    }
    BalanceParams params;
    params.max_migrations = 1 + static_cast<int>(rng() % 20);
    // Loads counted with some earlier cap, or none.
    Input snap = Make(nd, tasks,
                      rng() % 2 ? static_cast<double>(20 + rng() % 400)
                                : std::numeric_limits<double>::infinity());
    if (cgroups) {
      for (size_t i = 0; i < snap.slots.size(); ++i) {
        snap.slots[i].weight = own[i];
        snap.slots[i].cgroup = cgroup[i];
        // The effective weight as BPF computes it is the reference's.
        const uint32_t c = cgroup[i];
        ASSERT_EQ(EffectiveWeight(own[i], c, factors.data(), factors.size()),
                  snap.tasks[i].weight * ATLAS_WEIGHT_SCALE);
      }
      snap.snap.cgroup_factors = factors.data();
      snap.snap.nr_cgroup_factors = factors.size();
    }
    const Plan plan = Balance(snap, doms, params);
    // Every figure checked is recomputed from the snapshot and the
    // migration list by the reference model, not read from the plan.
    const Reference ref = Recompute(snap, doms, plan, params.max_migrations);
    capped += std::isfinite(ref.cap);
    std::string why;
    for (size_t d = 0; d < doms.size(); ++d) {
      why +=
          " d" + std::to_string(d) + "(node " + std::to_string(doms[d].node) +
          " cap " + std::to_string(doms[d].capacity) + ") " +
          std::to_string(ref.before[d]) + "->" + std::to_string(ref.after[d]);
    }
    for (const Migration& m : plan.migrations) {
      why += " [" + std::to_string(m.from) + "->" + std::to_string(m.to) + " " +
             std::to_string(m.load) + "]";
    }
    ASSERT_EQ(ref.problems, "") << "iteration " << iter << ":" << why;
    ASSERT_LE(TotalImbalance(ref.after, doms),
              TotalImbalance(ref.before, doms) + 1e-9)
        << "iteration " << iter << ":" << why;
  }
  // The heavy-weight path ran, not only the uncapped one.
  EXPECT_GT(capped, 100);
}

TEST(BalanceProperty, RandomSnapshots) { CheckRandomSnapshots(false); }

TEST(BalanceProperty, RandomSnapshotsWithCgroupFactors) {
  CheckRandomSnapshots(true);
}

}  // namespace
}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
// cgroup weight factors: the effective weights they give the tasks must
// split the machine between cgroups as cpu.weight says at every level,
// checked from the weights alone (sums over each cgroup's subtree against
// its siblings'), not from the code's own intermediate figures.
#include "planner/cgroup_shares.h"

#include <map>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "planner/task_slots.h"

namespace atlas {
namespace {

constexpr uint64_t kNow = 5'000'000'000;

// A task's effective weight in p->scx.weight's scale (100 = nice 0).
double Eff(const CgroupShares& s, uint32_t weight, uint32_t cgroup) {
  return static_cast<double>(EffectiveWeight(weight, cgroup, s.factors().data(),
                                             s.factors().size())) /
         ATLAS_WEIGHT_SCALE;
}

struct Tree {
  std::vector<atlas_cgroup> cgroups;
  std::vector<atlas_task_snap> tasks;

  // A cgroup in the next slot; returns its slot. parent: a slot or -1.
  int Add(int parent, uint32_t weight) {
    atlas_cgroup c = {};
    c.id = 1000 + cgroups.size();
    c.parent_id = parent >= 0 ? cgroups[parent].id : 0;
    c.level = parent >= 0 ? cgroups[parent].level + 1 : 0;
    c.weight = weight;
    cgroups.push_back(c);
    return static_cast<int>(cgroups.size()) - 1;
  }
  void Task(int cgroup, double dcyc, uint32_t weight = 100) {
    atlas_task_snap s = {};
    s.uid = tasks.size() + 1;
    s.pid = static_cast<uint32_t>(s.uid);
    s.weight = weight;
    s.cgroup = static_cast<uint16_t>(cgroup);
    s.updated_at = kNow;
    s.dcyc = s.dcyc_cur = static_cast<uint64_t>(dcyc * ATLAS_LOAD_ONE);
    tasks.push_back(s);
  }
  CgroupShares Compute() const {
    CgroupShares shares;
    shares.Compute(cgroups.data(), cgroups.size(), tasks.data(), tasks.size(),
                   kNow, 1'000'000'000, 2'000'000'000);
    return shares;
  }
  // The summed effective weight of the tasks in each cgroup's subtree.
  std::vector<double> SubtreeWeights(const CgroupShares& s) const {
    std::vector<double> sum(cgroups.size(), 0);
    for (const atlas_task_snap& t : tasks) {
      double w = Eff(s, t.weight, t.cgroup);
      for (int c = t.cgroup; c >= 0;) {
        sum[c] += w;
        int parent = -1;
        for (size_t p = 0; p < cgroups.size(); ++p) {
          if (cgroups[p].id == cgroups[c].parent_id)
            parent = static_cast<int>(p);
        }
        c = parent;
      }
    }
    return sum;
  }
};

TEST(CgroupShares, SiblingsSplitByCpuWeight) {
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 100), b = t.Add(root, 300);
  for (int i = 0; i < 6; ++i) t.Task(a, 1.0);
  for (int i = 0; i < 6; ++i) t.Task(b, 1.0);
  const CgroupShares s = t.Compute();
  const std::vector<double> w = t.SubtreeWeights(s);
  EXPECT_NEAR(w[b] / w[a], 3.0, 0.01);
  // A cgroup with busy tasks weighs its cpu.weight among its siblings, as
  // much as that many nice-0 root tasks would.
  EXPECT_NEAR(w[a], 100, 1);
  EXPECT_NEAR(w[b], 300, 1);
}

TEST(CgroupShares, TaskCountDoesNotBuyCpu) {
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 100), b = t.Add(root, 100);
  t.Task(a, 1.0);
  for (int i = 0; i < 8; ++i) t.Task(b, 1.0);
  const CgroupShares s = t.Compute();
  const std::vector<double> w = t.SubtreeWeights(s);
  EXPECT_NEAR(w[a] / w[b], 1.0, 0.01);
}

TEST(CgroupShares, NestedGivesTheProductOfShares) {
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 100), b = t.Add(root, 300);
  const int a1 = t.Add(a, 100), a2 = t.Add(a, 300);
  for (int i = 0; i < 3; ++i) t.Task(a1, 1.0);
  for (int i = 0; i < 5; ++i) t.Task(a2, 1.0);
  for (int i = 0; i < 2; ++i) t.Task(b, 1.0);
  const CgroupShares s = t.Compute();
  const std::vector<double> w = t.SubtreeWeights(s);
  const double total = w[a] + w[b];
  EXPECT_NEAR(w[a1] / total, 0.25 * 0.25, 0.005);
  EXPECT_NEAR(w[a2] / total, 0.25 * 0.75, 0.005);
  EXPECT_NEAR(w[b] / total, 0.75, 0.005);
}

TEST(CgroupShares, TasksBesideChildCgroupsShareByWeight) {
  // Inside A: 2 nice-0 tasks of A itself and a child C of cpu.weight 200
  // with 5 tasks: A's own tasks get 200 of 400, C 200 of 400.
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 100), c = t.Add(a, 200);
  t.Task(a, 1.0);
  t.Task(a, 1.0);
  for (int i = 0; i < 5; ++i) t.Task(c, 1.0);
  const CgroupShares s = t.Compute();
  const std::vector<double> w = t.SubtreeWeights(s);
  EXPECT_NEAR(w[c] / w[a], 0.5, 0.01);
  EXPECT_NEAR(w[a], 100, 1);
}

TEST(CgroupShares, RootTasksKeepTheirWeight) {
  Tree t;
  const int root = t.Add(-1, 100);
  t.Add(root, 100);
  t.Task(root, 1.0, 1024);
  const CgroupShares s = t.Compute();
  EXPECT_EQ(Eff(s, 1024, root), 1024);
}

TEST(CgroupShares, ALoneTaskGetsItsCgroupsWeightWhenItRuns) {
  // A task runnable half the time, alone in a cgroup of cpu.weight 300:
  // while it runs it weighs 300, not 600 or 150.
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 300);
  t.Task(a, 0.5);
  const CgroupShares s = t.Compute();
  EXPECT_NEAR(Eff(s, 100, a), 300, 0.1);
}

TEST(CgroupShares, FreeSlotsAndIdleCgroups) {
  Tree t;
  const int root = t.Add(-1, 100);
  const int idle = t.Add(root, 50);
  const int gone = t.Add(root, 100);
  t.cgroups[gone].id = 0;  // freed
  const CgroupShares s = t.Compute();
  EXPECT_EQ(s.factors()[gone], 0u);
  // Nothing ran there: the first task to wake weighs cpu.weight.
  EXPECT_NEAR(Eff(s, 100, idle), 50, 0.1);
  // A slot beyond the factors, or none: the task's own weight.
  EXPECT_EQ(Eff(s, 100, ATLAS_NO_CGROUP), 100);
}

TEST(CgroupShares, StaleTasksAreLeftOut) {
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 100);
  t.Task(a, 1.0);
  for (int i = 0; i < 9; ++i) {
    t.Task(a, 1.0);
    t.tasks.back().updated_at = kNow - 3'000'000'000;  // older than max age
  }
  const CgroupShares s = t.Compute();
  EXPECT_NEAR(Eff(s, 100, a), 100, 0.1);
}

// Random trees of busy tasks: at every cgroup, its subtree's effective
// weight against its siblings' is its cpu.weight against theirs, within
// 2 %. Up to 4 levels below the root, weights 10..1000, tasks of weight
// 10..1000: an effective weight is a whole 1/ATLAS_WEIGHT_SCALE of
// p->scx.weight's unit, so a task whose share is below a few hundredths
// of a nice-0 task's loses precision (at 64 to the unit, random trees 6
// levels deep were 16 % off; at 1024, 4 levels, within 2 %).
TEST(CgroupShares, RandomTreesHonourEveryLevel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    Tree t;
    const int root = t.Add(-1, 100);
    const int n = 2 + static_cast<int>(rng() % 20);
    for (int i = 1; i < n; ++i) {
      int parent = static_cast<int>(rng() % i);
      while (t.cgroups[parent].level >= 3) --parent;  // at most 4 levels
      t.Add(parent, 10 + rng() % 991);
    }
    // Every leaf gets busy tasks (so every cgroup is active); inner ones
    // sometimes too.
    std::vector<bool> inner(t.cgroups.size(), false);
    for (const atlas_cgroup& c : t.cgroups) {
      for (size_t p = 0; p < t.cgroups.size(); ++p) {
        if (t.cgroups[p].id == c.parent_id) inner[p] = true;
      }
    }
    for (size_t c = 1; c < t.cgroups.size(); ++c) {
      const int k = inner[c] ? static_cast<int>(rng() % 2)
                             : 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < k; ++i)
        t.Task(static_cast<int>(c), 1.0, 10 + rng() % 991);
    }
    const CgroupShares s = t.Compute();
    const std::vector<double> w = t.SubtreeWeights(s);
    // Siblings under each parent (the root's children included).
    std::map<uint64_t, std::vector<int>> children;
    for (size_t c = 1; c < t.cgroups.size(); ++c) {
      children[t.cgroups[c].parent_id].push_back(static_cast<int>(c));
    }
    for (const auto& [parent, kids] : children) {
      for (size_t i = 1; i < kids.size(); ++i) {
        const int x = kids[0], y = kids[i];
        const double want =
            static_cast<double>(t.cgroups[y].weight) / t.cgroups[x].weight;
        ASSERT_NEAR(w[y] / w[x] / want, 1.0, 0.02)
            << "round " << round << ": cgroups " << x << " and " << y;
      }
    }
    (void)root;
  }
}

// User mode has no task snapshots, only each slot's sums (runnable tasks
// and their weights): from those it must get the same factors.
TEST(CgroupShares, FromSumsAsFromTasks) {
  std::mt19937 rng(11);
  for (int round = 0; round < 100; ++round) {
    Tree t;
    t.Add(-1, 100);
    const int n = 2 + static_cast<int>(rng() % 12);
    for (int i = 1; i < n; ++i) {
      t.Add(static_cast<int>(rng() % i), 10 + rng() % 991);
    }
    std::vector<double> runnable(t.cgroups.size(), 0);
    std::vector<double> weighted(t.cgroups.size(), 0);
    for (size_t c = 0; c < t.cgroups.size(); ++c) {
      const int k = static_cast<int>(rng() % 4);
      for (int i = 0; i < k; ++i) {
        const double d = static_cast<double>(1 + rng() % 100) / 100;
        const uint32_t w = 10 + rng() % 991;
        t.Task(static_cast<int>(c), d, w);
        // The slot's sums, from the duty cycle the snapshot holds.
        const double held =
            static_cast<double>(t.tasks.back().dcyc) / ATLAS_LOAD_ONE;
        runnable[c] += held;
        weighted[c] += held * w;
      }
    }
    const CgroupShares from_tasks = t.Compute();
    CgroupShares from_sums;
    from_sums.ComputeFromSums(t.cgroups.data(), t.cgroups.size(),
                              runnable.data(), weighted.data());
    ASSERT_EQ(from_sums.factors().size(), from_tasks.factors().size());
    for (size_t c = 0; c < t.cgroups.size(); ++c) {
      ASSERT_NEAR(from_sums.shares()[c].factor, from_tasks.shares()[c].factor,
                  1e-9 * from_tasks.shares()[c].factor)
          << "round " << round << ", cgroup " << c;
    }
  }
}

TEST(CgroupShares, BusiestAreTheMostRunnableBelowTheRoot) {
  Tree t;
  const int root = t.Add(-1, 100);
  const int a = t.Add(root, 100), b = t.Add(root, 100), c = t.Add(root, 100);
  for (int i = 0; i < 3; ++i) t.Task(b, 1.0);
  t.Task(a, 1.0);
  for (int i = 0; i < 5; ++i) t.Task(root, 1.0);
  const CgroupShares s = t.Compute();
  const std::vector<CgroupShare> top = s.Busiest(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].slot, b);
  EXPECT_EQ(top[1].slot, a);
  EXPECT_EQ(s.Tracked(), 4);
  EXPECT_EQ(s.Busiest(10).size(), 3u);  // the root is not listed
  (void)c;
}

}  // namespace
}  // namespace atlas

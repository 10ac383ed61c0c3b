// SPDX-License-Identifier: GPL-2.0-only
// The tuner, and the Planner loop steps over a fake LoadSource.
#include "planner/planner.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "planner/tuner.h"

namespace atlas {
namespace {

using ::testing::ElementsAre;

TEST(Tune, GreedyMasksFollowUtilization) {
  TunerParams params;
  // Domain 0 (CPUs 0,1) at 95 %, domain 1 (CPUs 2,3) at 50 %.
  Tuning t = Tune({0.95, 0.95, 0.5, 0.5}, {{0, 1}, {2, 3}}, params);
  EXPECT_THAT(t.direct_greedy, ElementsAre(false, true));
  EXPECT_THAT(t.kick_greedy, ElementsAre(true, true));
  EXPECT_EQ(t.slice_ns, params.slice_underutil_ns);
}

TEST(Tune, FullMachineGetsTheShortSlice) {
  TunerParams params;
  Tuning t = Tune({1, 1, 1, 1}, {{0, 1}, {2, 3}}, params);
  EXPECT_EQ(t.slice_ns, params.slice_overutil_ns);
  EXPECT_THAT(t.kick_greedy, ElementsAre(false, false));
}

// A fake clock: each reading advances it 7 ns; the fake source advances it
// 300 ns per snapshot read and 50 ns per request written.
uint64_t g_fake_ns = 0;
uint64_t FakeClock() {
  g_fake_ns += 7;
  return g_fake_ns;
}

class FakeSource : public LoadSource {
 public:
  void ReadSnapshot(uint64_t, LoadSnapshot* out) override {
    g_fake_ns += 300;
    *out = snapshot;
    out->slots = slots.data();
    out->nr_slots = slots.size();
  }
  // A task in the next slot, written at time 0 (the tests' now is 0 too).
  void AddTask(uint64_t uid, uint32_t dom, double dcyc, uint32_t weight) {
    atlas_task_snap s = {};
    s.uid = uid;
    s.pid = static_cast<uint32_t>(uid + 100);
    s.dom = dom;
    s.weight = weight;
    s.dcyc = s.dcyc_cur = static_cast<uint64_t>(dcyc * ATLAS_LOAD_ONE);
    s.allowed_doms[0] = 3;  // domains 0 and 1
    slots.push_back(s);
  }
  std::vector<uint64_t> ReadCpuBusy() override { return busy; }
  absl::Status RequestMigration(uint32_t pid, uint64_t uid,
                                int domain) override {
    g_fake_ns += 50;
    requests.push_back({uid, pid, -1, domain, 0});
    return absl::OkStatus();
  }
  void ApplyTuning(const Tuning& t) override { tunings.push_back(t); }
  void SetWeightCap(double cap) override {
    caps.push_back(cap);
    snapshot.weight_cap = cap;  // as BPF: the next snapshots report it
  }

  LoadSnapshot snapshot;
  std::vector<atlas_task_snap> slots;
  std::vector<uint64_t> busy;
  std::vector<Migration> requests;
  std::vector<Tuning> tunings;
  std::vector<double> caps;
};

TEST(Planner, BalanceOnceWritesThePlan) {
  FakeSource source;
  source.snapshot.domains = {{2, 2}, {0, 0}};
  for (uint64_t uid : {7, 8}) source.AddTask(uid, 0, 1, 100);
  PlannerLayout layout{{{0, 2}, {0, 2}}, {{0, 1}, {2, 3}}};
  Planner planner(&source, layout, {}, {});
  Plan plan = planner.BalanceOnce(1);
  ASSERT_EQ(plan.migrations.size(), 1u);
  ASSERT_EQ(source.requests.size(), 1u);
  EXPECT_EQ(source.requests[0].to, 1);
  EXPECT_EQ(source.requests[0].uid, plan.migrations[0].uid);
  // No clock given: no cost recorded.
  EXPECT_EQ(planner.last_cost().read_ns, 0u);
  EXPECT_EQ(planner.last_cost().tasks, 2u);

  // With a clock, each phase gets the time spent in it.
  planner.set_clock(&FakeClock);
  plan = planner.BalanceOnce(2);
  ASSERT_EQ(plan.migrations.size(), 1u);
  EXPECT_EQ(planner.last_cost().read_ns, 300u + 7);
  EXPECT_EQ(planner.last_cost().balance_ns, 7u);
  EXPECT_EQ(planner.last_cost().write_ns, 50u + 7);
  EXPECT_EQ(planner.last_cost().tasks, 2u);
}

TEST(Planner, BalanceOnceHandsTheWeightCapToTheSourceWhenItChanges) {
  // 2 CPUs, saturated: a weight-10000 task beside two nice-0 ones is capped
  // to 200 (the others' weight over the 1 CPU it does not use). Before
  // BPF counts with a cap, the loads count all 10000.
  FakeSource source;
  source.snapshot.domains = {{100, 1}, {2, 2}};
  source.AddTask(1, 0, 1, 10000);
  source.AddTask(2, 1, 1, 100);
  source.AddTask(3, 1, 1, 100);
  PlannerLayout layout{{{0, 1}, {0, 1}}, {{0}, {1}}};
  Planner planner(&source, layout, {}, {});
  Plan plan = planner.BalanceOnce(1);
  EXPECT_TRUE(plan.saturated);
  EXPECT_THAT(source.caps, ElementsAre(200));
  // The next snapshot reports the cap it was counted with: not set again,
  // nor when the cap moves by a tenth or less; more, and it is.
  planner.BalanceOnce(2);
  EXPECT_THAT(source.caps, ElementsAre(200));
  source.slots[2].weight = 110;  // the cap becomes 210
  planner.BalanceOnce(3);
  EXPECT_THAT(source.caps, ElementsAre(200));
  source.slots[2].weight = 150;  // 250
  planner.BalanceOnce(4);
  EXPECT_THAT(source.caps, ElementsAre(200, 250));
  // No heavy task any more: none.
  source.slots[0].weight = 100;
  planner.BalanceOnce(5);
  ASSERT_EQ(source.caps.size(), 3u);
  EXPECT_TRUE(std::isinf(source.caps[2]));
}

TEST(DescribePass, GivesTheLoadsTheCapAndEveryMove) {
  Plan plan;
  plan.loads_before = {2.774, 0.46};
  plan.loads_after = {1.52, 1.714};
  EXPECT_EQ(DescribePass(plan), "pass: loads 2.77 0.46 -> 1.52 1.71; no moves");
  plan.saturated = true;
  plan.migrations = {{9, 164, 0, 1, 0.564}, {10, 44, 1, 0, 0.4}};
  EXPECT_EQ(DescribePass(plan),
            "pass: loads 2.77 0.46 -> 1.52 1.71 (saturated: weights count); "
            "moved 164 0->1 (0.56), 44 1->0 (0.40)");
  plan.weight_cap = 653.9;
  EXPECT_EQ(DescribePass(plan),
            "pass: loads 2.77 0.46 -> 1.52 1.71 (saturated: weights count, "
            "capped at 654); moved 164 0->1 (0.56), 44 1->0 (0.40)");
}

TEST(Planner, TuneOnceTurnsBusyTimeIntoUtilization) {
  FakeSource source;
  PlannerLayout layout{{{0, 1}, {0, 1}}, {{0}, {1}}};
  Planner planner(&source, layout, {}, {});
  source.busy = {0, 0};
  planner.TuneOnce(1'000'000'000);
  source.busy = {100'000'000, 95'000'000};  // 100 % and 95 % of 100 ms
  Tuning t = planner.TuneOnce(1'100'000'000);
  EXPECT_THAT(t.direct_greedy, ElementsAre(false, false));
  EXPECT_THAT(t.kick_greedy, ElementsAre(false, true));
  EXPECT_EQ(source.tunings.size(), 2u);
}

}  // namespace
}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
// The tuner, and the Planner loop steps over a fake LoadSource.
#include "planner/planner.h"

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
  }
  std::vector<uint64_t> ReadCpuBusy() override { return busy; }
  absl::Status RequestMigration(uint32_t pid, uint64_t uid,
                                int domain) override {
    g_fake_ns += 50;
    requests.push_back({uid, pid, -1, domain, 0});
    return absl::OkStatus();
  }
  void ApplyTuning(const Tuning& t) override { tunings.push_back(t); }

  LoadSnapshot snapshot;
  std::vector<uint64_t> busy;
  std::vector<Migration> requests;
  std::vector<Tuning> tunings;
};

TEST(Planner, BalanceOnceWritesThePlan) {
  FakeSource source;
  source.snapshot.domains = {{2, 2}, {0, 0}};
  DomainSet all;
  all.set(0);
  all.set(1);
  for (uint64_t uid : {7, 8}) {
    TaskLoad t;
    t.uid = uid;
    t.pid = static_cast<uint32_t>(uid + 100);
    t.domain = 0;
    t.duty_cycle = 1;
    t.allowed = all;
    source.snapshot.tasks.push_back(t);
  }
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

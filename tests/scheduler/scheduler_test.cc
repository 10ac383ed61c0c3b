// SPDX-License-Identifier: GPL-2.0-only
// Pure parts of the scheduler runtime: preflight over a fake sysfs tree, the
// exit record's words and status, the counter names.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "planner/task_slots.h"
#include "runtime/exit_info.h"
#include "runtime/preflight.h"
#include "scheduler/dom_load_avg.h"
#include "scheduler/stats.h"
#include "scheduler/topo_check.h"
#include "topology/domains.h"
#include "topology/hwloc_loader.h"

namespace atlas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/sysfsXXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl + "/sched_ext";
  }
  void Write(const std::string& state, const std::string& ops) {
    mkdir(dir_.c_str(), 0755);
    mkdir((dir_ + "/root").c_str(), 0755);
    std::ofstream(dir_ + "/state") << state << "\n";
    std::ofstream(dir_ + "/root/ops") << ops << "\n";
  }
  std::string dir_;
};

TEST_F(FakeSysfs, NoSchedExtPointsToTheVm) {
  absl::Status s = CheckCanLoad(dir_, /*is_root=*/true);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("no sched_ext"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("tools/demo"));
}

TEST_F(FakeSysfs, NotRoot) {
  Write("disabled", "");
  absl::Status s = CheckCanLoad(dir_, /*is_root=*/false);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), HasSubstr("must run as root"));
}

TEST_F(FakeSysfs, AnotherSchedulerActive) {
  Write("enabled", "rusty");
  EXPECT_EQ(ActiveScheduler(dir_), "rusty");
  absl::Status s = CheckCanLoad(dir_, /*is_root=*/true);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("('rusty') is already active"));
}

TEST_F(FakeSysfs, ReadyToLoad) {
  Write("disabled", "");
  EXPECT_EQ(ActiveScheduler(dir_), "");
  EXPECT_TRUE(CheckCanLoad(dir_, /*is_root=*/true).ok());
}

atlas_exit_info Exit(int kind, const char* reason, const char* msg,
                     int64_t code = 0) {
  atlas_exit_info info = {};
  info.exited = 1;
  info.kind = kind;
  info.exit_code = code;
  std::strncpy(info.reason, reason, sizeof(info.reason) - 1);
  std::strncpy(info.msg, msg, sizeof(info.msg) - 1);
  return info;
}

TEST(ExitInfo, UserUnregisterIsClean) {
  atlas_exit_info info = Exit(kScxExitUnreg, "unregistered from user space",
                              "unregistered from user space");
  EXPECT_EQ(ExitStatus(info), 0);
  EXPECT_FALSE(IsErrorExit(info));
  EXPECT_EQ(DescribeExit(info),
            "unregistered from user space (kind 64): unregistered from user "
            "space");
}

TEST(ExitInfo, BpfErrorIsAFailure) {
  atlas_exit_info info = Exit(kScxExitErrorBpf, "scx_bpf_error", "boom");
  EXPECT_EQ(ExitStatus(info), 1);
  EXPECT_THAT(DescribeExit(info), HasSubstr("boom"));
  EXPECT_EQ(ExitStatus(Exit(kScxExitErrorStall, "stall", "")), 1);
  EXPECT_EQ(ExitStatus(Exit(kScxExitSysrq, "sysrq", "")), 0);
}

TEST(ExitInfo, RestartRequest) {
  EXPECT_TRUE(
      WantsRestart(Exit(kScxExitUnregBpf, "", "", kScxEcodeActRestart)));
  EXPECT_FALSE(WantsRestart(Exit(kScxExitUnregBpf, "", "", 0)));
}

TEST(ExitInfo, UnterminatedStringsStayInBounds) {
  atlas_exit_info info = Exit(kScxExitError, "", "");
  std::memset(info.reason, 'r', sizeof(info.reason));
  std::memset(info.msg, 'm', sizeof(info.msg));
  const std::string text = DescribeExit(info);
  EXPECT_THAT(text, HasSubstr(std::string(ATLAS_EXIT_REASON_LEN, 'r')));
  EXPECT_THAT(text,
              Not(HasSubstr(std::string(ATLAS_EXIT_REASON_LEN + 1, 'r'))));
  EXPECT_THAT(text, HasSubstr(std::string(ATLAS_EXIT_MSG_LEN, 'm')));
  EXPECT_THAT(text, Not(HasSubstr(std::string(ATLAS_EXIT_MSG_LEN + 1, 'm'))));
}

TEST(Stats, NamesComeFromTheTable) {
  std::vector<uint64_t> counters(ATLAS_NR_STATS, 0);
  counters[ATLAS_STAT_SEL_PREV_IDLE] = 7;
  counters[ATLAS_STAT_DISPATCH_STEAL] = 3;
  const std::string text = FormatStats(counters);
  EXPECT_THAT(text, HasSubstr("sel_prev_idle=7"));
  EXPECT_THAT(text, HasSubstr("dispatch_steal=3"));
  EXPECT_EQ(std::string(kStatDescs[ATLAS_STAT_ENQ_DOMAIN].name), "enq_domain");
}

class TopoCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Topology> t =
        LoadSyntheticTopology("pack:2 l3:1 core:2 pu:2");
    ASSERT_TRUE(t.ok()) << t.status();
    topology_ = *t;
    absl::StatusOr<std::vector<Domain>> d = BuildDomains(topology_, {});
    ASSERT_TRUE(d.ok()) << d.status();
    domains_ = *d;
    check_ = {};
    check_.done = 1;
    check_.nr_cpus = 8;
    check_.nr_smt_cores = 4;
    check_.domain_cpus[0] = check_.domain_cpus[1] = 4;
    check_.node_cpus[0] = 8;  // synthetic without numa: one node
  }
  Topology topology_;
  std::vector<Domain> domains_;
  atlas_topo_check check_;
};

TEST_F(TopoCheckTest, MatchingMasksGiveASummary) {
  absl::StatusOr<std::string> s = VerifyTopoCheck(check_, topology_, domains_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "8 CPUs, domains 4+4, nodes 8, 4 SMT cores");
}

TEST_F(TopoCheckTest, EveryDifferenceIsCaught) {
  atlas_topo_check bad = check_;
  bad.domain_cpus[1] = 3;
  EXPECT_THAT(
      std::string(VerifyTopoCheck(bad, topology_, domains_).status().message()),
      HasSubstr("domain 1 has 3 CPUs in BPF, 4 in the layout"));
  bad = check_;
  bad.node_cpus[0] = 7;
  EXPECT_THAT(
      std::string(VerifyTopoCheck(bad, topology_, domains_).status().message()),
      HasSubstr("node 0 has 7"));
  bad = check_;
  bad.nr_smt_cores = 0;
  EXPECT_THAT(
      std::string(VerifyTopoCheck(bad, topology_, domains_).status().message()),
      HasSubstr("0 SMT cores in BPF, 4 in the layout"));
  bad = check_;
  bad.done = 0;
  EXPECT_FALSE(VerifyTopoCheck(bad, topology_, domains_).ok());
  bad = check_;
  bad.error = -12;
  EXPECT_THAT(
      std::string(VerifyTopoCheck(bad, topology_, domains_).status().message()),
      HasSubstr("-12"));
}

TEST(Ravg, DecaysTowardsTheCurrentValue) {
  atlas_ravg r = {};
  r.avg = 0;
  r.cur = 2 * ATLAS_LOAD_ONE;
  r.updated_at = 1'000;
  const uint64_t hl = 1'000'000'000;
  EXPECT_DOUBLE_EQ(RavgAt(r, 1'000, hl), 0.0);
  EXPECT_NEAR(RavgAt(r, 1'000 + hl, hl), 1.0, 1e-9);       // half way
  EXPECT_NEAR(RavgAt(r, 1'000 + 2 * hl, hl), 1.5, 1e-9);   // 3/4
  EXPECT_NEAR(RavgAt(r, 1'000 + 40 * hl, hl), 2.0, 1e-9);  // converged
  r.avg = 4 * ATLAS_LOAD_ONE;                              // from above
  EXPECT_NEAR(RavgAt(r, 1'000 + hl, hl), 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(RavgAt(r, 500, hl), 4.0);  // a reader behind updated_at
}

// What BPF's dom_load_adjust does to one CPU's entry (bpf/atlas_load.bpf.h).
void BpfAdjust(atlas_dom_cpu_load* e, int64_t dweight, int64_t drunnable,
               int64_t dhist, uint64_t now) {
  const uint64_t dt = now - e->updated_at;
  if (static_cast<int64_t>(dt) > 0) {
    e->weight_ns += static_cast<uint64_t>(e->weight) * dt;
    e->runnable_ns += static_cast<uint64_t>(e->runnable) * dt;
    e->updated_at = now;
  }
  e->weight += dweight;
  e->runnable += drunnable;
  e->moved_load += dhist;
}

DomainIntegrals Sum(const std::vector<atlas_dom_cpu_load>& cpus, uint64_t now) {
  DomainIntegrals sum;
  for (const atlas_dom_cpu_load& e : cpus) AddCpuEntry(e, now, &sum);
  return sum;
}

constexpr uint64_t kHalfLife = 1'000'000'000;

atlas_task_snap Snap(uint64_t uid, uint32_t dom, uint64_t updated_at) {
  atlas_task_snap s = {};
  s.uid = uid;
  s.pid = static_cast<uint32_t>(uid + 1000);
  s.dom = dom;
  s.updated_at = updated_at;
  s.weight = 100;
  s.dcyc = ATLAS_LOAD_ONE / 2;
  return s;
}

TEST(TaskSlots, AFreeSlotReadsEmptyAndATaskSlotAsWritten) {
  atlas_task_snap slot = {};
  atlas_task_snap copy;
  EXPECT_FALSE(ReadSlot(slot, &copy));  // uid 0: free, or being rewritten
  slot = Snap(5, 1, 200);
  ASSERT_TRUE(ReadSlot(slot, &copy));
  EXPECT_EQ(copy.uid, 5u);
  EXPECT_EQ(copy.dom, 1u);
  EXPECT_EQ(copy.updated_at, 200u);
  EXPECT_TRUE(SlotFresh(200, 300, 100));
  EXPECT_FALSE(SlotFresh(200, 301, 100));
  EXPECT_TRUE(SlotFresh(200, 100, 0));  // written after the reader's now
  EXPECT_TRUE(SlotFresh(0, 50, 100));   // now within max_age of time 0
}

TEST(TaskSnaps, EveryReachableDomainBitAndTheDecayedDutyCycle) {
  atlas_task_snap s = Snap(7, 2, 1'000'000'000);
  s.allowed_doms[0] = (1ull << 0) | (1ull << 2) | (1ull << 63);
  s.allowed_doms[ATLAS_DOM_WORDS - 1] |= 1ull << 1;  // domain 64 * (W-1) + 1
  const TaskLoad t = TaskLoadFromSnap(s, 1'000'000'000, 1'000'000'000);
  EXPECT_EQ(t.uid, 7u);
  EXPECT_EQ(t.pid, 1007u);
  EXPECT_EQ(t.domain, 2);
  EXPECT_EQ(t.allowed.count(), 4u);
  EXPECT_TRUE(t.allowed[0] && t.allowed[2] && t.allowed[63]);
  EXPECT_TRUE(t.allowed[64 * (ATLAS_DOM_WORDS - 1) + 1]);
  EXPECT_NEAR(t.duty_cycle, 0.5, 1e-9);  // read at its own time: as stored
  // One half-life later, not runnable meanwhile: half of it.
  EXPECT_NEAR(TaskLoadFromSnap(s, 2'000'000'000, 1'000'000'000).duty_cycle,
              0.25, 1e-3);
}

TEST(DomainLoadAverage, AConstantLoadIsApproachedAsTheRunningAverageWould) {
  std::vector<atlas_dom_cpu_load> cpus(2);
  DomainLoadAverage avg(kHalfLife);
  avg.Start(Sum(cpus, 1'000), 1'000);
  BpfAdjust(&cpus[1], 300, 3, 0, 1'000);  // three nice-0 tasks from t0
  avg.Advance(Sum(cpus, 1'000 + kHalfLife), 1'000 + kHalfLife);
  EXPECT_NEAR(avg.weight(), 150.0, 1e-6);  // half way after a half-life
  EXPECT_NEAR(avg.runnable(), 1.5, 1e-9);
  avg.Advance(Sum(cpus, 1'000 + 3 * kHalfLife), 1'000 + 3 * kHalfLife);
  EXPECT_NEAR(avg.weight(), 300.0 * (1 - 0.125), 1e-6);
  // A reading no later than the last one changes nothing.
  avg.Advance(Sum(cpus, 1'000 + kHalfLife), 1'000 + kHalfLife);
  EXPECT_NEAR(avg.weight(), 300.0 * (1 - 0.125), 1e-6);
}

// A task that becomes runnable on one CPU and stops on another leaves one
// entry forever growing and the other forever shrinking; the sum is still
// the domain's (per-CPU running averages of such shares drifted apart).
TEST(DomainLoadAverage, ADutyCycleSplitAcrossCpusAveragesExactly) {
  std::vector<atlas_dom_cpu_load> cpus(4);
  DomainLoadAverage avg(kHalfLife);
  uint64_t now = 5'000;
  avg.Start(Sum(cpus, now), now);
  const uint64_t period = 10'000'000;  // 10 ms: 3 ms runnable, 7 ms not
  for (int i = 0; i < 2000; ++i) {     // 20 s, read every 100 ms
    BpfAdjust(&cpus[i % 4], 100, 1, 0, now);
    BpfAdjust(&cpus[(i + 1) % 4], -100, -1, 0, now + 3'000'000);
    now += period;
    if (i % 10 == 9) avg.Advance(Sum(cpus, now), now);
  }
  EXPECT_NEAR(avg.weight(), 30.0, 0.01);
  EXPECT_NEAR(avg.runnable(), 0.3, 0.0001);
  int64_t spread = 0;
  for (const atlas_dom_cpu_load& e : cpus) spread += std::abs(e.weight);
  EXPECT_EQ(spread, 0);  // every task stopped, yet each entry moved
}

// 12 nice-0 tasks in one domain for long; 6 move to another right after a
// reading, and the next reading comes a whole window later (a planner
// interval of 4 half-lives): 6 and 6, not 0 and 12.
TEST(DomainLoadAverage, AMoveBetweenSlowReadingsIsCountedOnce) {
  std::vector<atlas_dom_cpu_load> from(1), to(1);
  DomainLoadAverage src(kHalfLife), dst(kHalfLife);
  uint64_t now = 1'000;
  src.Start(Sum(from, now), now);
  dst.Start(Sum(to, now), now);
  BpfAdjust(&from[0], 1200, 12, 0, now);
  now += 20 * kHalfLife;
  src.Advance(Sum(from, now), now);
  dst.Advance(Sum(to, now), now);
  ASSERT_NEAR(src.weight(), 1200.0, 0.1);
  const int64_t hist = static_cast<int64_t>(600 * ATLAS_LOAD_ONE);
  BpfAdjust(&from[0], -600, -6, -hist, now + 1'000);
  BpfAdjust(&to[0], 600, 6, hist, now + 1'000);
  now += 4 * kHalfLife;
  src.Advance(Sum(from, now), now);
  dst.Advance(Sum(to, now), now);
  EXPECT_NEAR(src.weight(), 600.0, 0.5);
  EXPECT_NEAR(dst.weight(), 600.0, 0.5);
}

TEST(DomainLoadAverage, IntegralsThatWrapStillGiveTheMean) {
  std::vector<atlas_dom_cpu_load> cpus(1);
  cpus[0].weight_ns = ~0ULL - 1'000;  // about to wrap
  cpus[0].weight = 200;
  cpus[0].updated_at = 100;
  DomainLoadAverage avg(kHalfLife);
  avg.Start(Sum(cpus, 100), 100);
  avg.Advance(Sum(cpus, 100 + 5 * kHalfLife), 100 + 5 * kHalfLife);
  EXPECT_NEAR(avg.weight(), 200.0 * (1 - 1.0 / 32), 1e-6);
}

TEST(DomainLoadAverage, MigratedHistoryArrivesAtOnceAndNeverBelowZero) {
  std::vector<atlas_dom_cpu_load> from(2), to(2);
  DomainLoadAverage src(kHalfLife), dst(kHalfLife);
  uint64_t now = 1'000;
  src.Start(Sum(from, now), now);
  dst.Start(Sum(to, now), now);
  BpfAdjust(&from[0], 100, 1, 0, now);  // a nice-0 task, runnable
  now += 10 * kHalfLife;
  src.Advance(Sum(from, now), now);
  dst.Advance(Sum(to, now), now);
  ASSERT_NEAR(src.weight(), 100.0, 0.1);
  // It moves (on CPU 1): its weight and its history go along.
  const int64_t hist = static_cast<int64_t>(100 * ATLAS_LOAD_ONE);
  BpfAdjust(&from[1], -100, -1, -hist, now);
  BpfAdjust(&to[1], 100, 1, hist, now);
  now += 1'000;
  src.Advance(Sum(from, now), now);
  dst.Advance(Sum(to, now), now);
  EXPECT_NEAR(src.weight(), 0.0, 0.1);
  EXPECT_NEAR(dst.weight(), 100.0, 0.1);
  // Read again much later: the mean of the window holds it where it runs
  // now, once (the history is not counted on top of it).
  now += 10 * kHalfLife;
  src.Advance(Sum(from, now), now);
  dst.Advance(Sum(to, now), now);
  EXPECT_NEAR(src.weight(), 0.0, 0.1);
  EXPECT_NEAR(dst.weight(), 100.0, 0.1);
  // More history leaving than the average holds: 0, not below.
  BpfAdjust(&from[1], 0, 0, -hist, now);
  now += 1'000;
  src.Advance(Sum(from, now), now);
  EXPECT_EQ(src.weight(), 0.0);
}

}  // namespace
}  // namespace atlas

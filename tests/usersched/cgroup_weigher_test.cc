// SPDX-License-Identifier: GPL-2.0-only
// User mode's cgroup weigher against maps laid out as BPF lays them: the
// counters grow as tasks would make them grow, and the factors it writes
// must give each cgroup's tasks together the cgroup's cpu.weight share
// (read back the way BPF reads them, EffectiveWeight).
#include "usersched/cgroup_weigher.h"

#include <vector>

#include "gtest/gtest.h"
#include "planner/task_slots.h"

namespace atlas::user {
namespace {

constexpr uint64_t kStepNs = 100'000'000;
constexpr uint64_t kHalfLifeNs = 150'000'000;

struct FakeBpf {
  std::vector<atlas_cgroup> slots =
      std::vector<atlas_cgroup>(ATLAS_MAX_CGROUPS);
  std::vector<atlas_cgroup_runnable> runnable =
      std::vector<atlas_cgroup_runnable>(ATLAS_MAX_CGROUPS);
  std::vector<uint64_t> factors = std::vector<uint64_t>(ATLAS_MAX_CGROUPS);
  uint32_t used = 0;
  std::vector<int> tasks;  // busy nice-0 tasks per slot

  CgroupMaps Maps() {
    return {slots.data(), &used, runnable.data(), factors.data()};
  }
  // A cgroup in slot `slot` (parent: a slot, or -1 for the root).
  void Add(int slot, uint64_t id, int parent, uint32_t weight) {
    atlas_cgroup& c = slots[slot];
    c.id = id;
    c.parent_id = parent >= 0 ? slots[parent].id : 0;
    c.level = parent >= 0 ? slots[parent].level + 1 : 0;
    c.weight = weight;
    used = std::max<uint32_t>(used, slot + 1);
    if (tasks.size() < used) tasks.resize(used, 0);
  }
  // `ns` pass with every slot's tasks runnable throughout.
  void Run(uint64_t ns) {
    for (size_t i = 0; i < tasks.size(); ++i) {
      runnable[i].runnable_ns += tasks[i] * ns;
      runnable[i].weighted_ns += tasks[i] * ns * 100;
    }
  }
  // The effective weight (100 = nice 0) BPF gives a nice-0 task of `slot`.
  double Eff(int slot) const {
    return static_cast<double>(
               EffectiveWeight(100, slot, factors.data(), factors.size())) /
           ATLAS_WEIGHT_SCALE;
  }
};

// The root (slot 0) and two children, slots 1 and 2, of cpu.weight w1 and
// w2 with n1 and n2 busy tasks; a weigher over them that has taken its
// first reading at `now`.
struct Siblings {
  Siblings(uint32_t w1, uint32_t w2, int n1, int n2) {
    bpf.Add(0, 1, -1, 100);
    bpf.Add(1, 2, 0, w1);
    bpf.Add(2, 3, 0, w2);
    bpf.tasks = {0, n1, n2};
    weigher.Update(now);
  }
  // `steps` updates of the weigher kStepNs apart, the tasks running.
  void Step(int steps) {
    for (int i = 0; i < steps; ++i) {
      bpf.Run(kStepNs);
      now += kStepNs;
      weigher.Update(now);
    }
  }
  FakeBpf bpf;
  CgroupWeigher weigher{bpf.Maps(), kHalfLifeNs};
  uint64_t now = 1'000'000'000;
};

TEST(CgroupWeigher, SiblingsSplitByCpuWeight) {
  Siblings t(100, 300, 6, 6);
  t.Step(30);
  // Each cgroup's tasks together weigh its cpu.weight.
  EXPECT_NEAR(6 * t.bpf.Eff(1), 100, 1);
  EXPECT_NEAR(6 * t.bpf.Eff(2), 300, 1);
}

TEST(CgroupWeigher, ATaskMovedIsHonouredWithinASecond) {
  Siblings t(100, 100, 1, 6);
  t.Step(20);
  EXPECT_NEAR(t.bpf.Eff(1), 100, 1);  // the lone task: the whole share
  EXPECT_NEAR(6 * t.bpf.Eff(2), 100, 1);
  // 5 of cgroup 2's tasks move to cgroup 1: a second later, the one left
  // has all of cgroup 2's weight (within 5 %), cgroup 1's six share theirs.
  t.bpf.tasks = {0, 6, 1};
  t.Step(10);
  EXPECT_NEAR(t.bpf.Eff(2), 100, 5);
  EXPECT_NEAR(6 * t.bpf.Eff(1), 100, 5);
}

TEST(CgroupWeigher, AReusedSlotStartsOver) {
  Siblings t(100, 100, 8, 1);
  t.Step(20);
  EXPECT_NEAR(8 * t.bpf.Eff(1), 100, 1);
  // Slot 1's cgroup goes; a new one with one task takes the slot. BPF's
  // counters of the slot went on from the old cgroup's: the new one must
  // not inherit the old one's eight tasks.
  t.bpf.Add(1, 9, 0, 100);
  t.bpf.tasks = {0, 1, 1};
  t.Step(10);
  EXPECT_NEAR(t.bpf.Eff(1), 100, 1);
}

}  // namespace
}  // namespace atlas::user

// SPDX-License-Identifier: GPL-2.0-only
#include "topology/layout.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "topology/hwloc_loader.h"

namespace atlas {
namespace {

using ::testing::HasSubstr;

Topology Pus(int n) {
  return *LoadSyntheticTopology("core:" + std::to_string(n) + " pu:1");
}

TEST(CheckOnline, MatchIsOk) {
  EXPECT_TRUE(CheckOnline(Pus(4), {0, 1, 2, 3}).ok());
}

TEST(CheckOnline, NamesMissingAndOfflineCpus) {
  const absl::Status lacks = CheckOnline(Pus(2), {0, 1, 2, 3});
  EXPECT_THAT(lacks.message(), HasSubstr("it lacks 2, 3"));
  const absl::Status extra = CheckOnline(Pus(4), {0, 1});
  EXPECT_THAT(extra.message(), HasSubstr("it has 2, 3, which are offline"));
  const absl::Status many = CheckOnline(Pus(1), *ParseCpuList("0-63"));
  EXPECT_THAT(many.message(), HasSubstr("(and 55 more)"));
}

// The host's layout against online files that disagree with the machine,
// or cannot be read: an error, never a layout.
TEST(MakeLayout, RefusesWhatTheKernelDoesNotSayIsOnline) {
  const std::string dir = ::testing::TempDir();
  const std::string online = dir + "/online";
  HostFiles files;
  files.online = online;
  files.hotplug_seq = dir + "/hotplug_seq";
  std::ofstream(files.hotplug_seq) << "42\n";
  // The machine's own list: a layout with the sequence number.
  std::string text;
  std::getline(std::ifstream("/sys/devices/system/cpu/online"), text);
  std::ofstream(online) << text << "\n";
  absl::StatusOr<Layout> ok = MakeLayout(DomainOptions{}, files);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->hotplug_seq, 42u);
  EXPECT_EQ(static_cast<long>(ok->topology.cpus.size()),
            sysconf(_SC_NPROCESSORS_ONLN));
  // More CPUs than the machine has: refused.
  const int n = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ofstream(online) << "0-" << (n + 7) << "\n";
  absl::StatusOr<Layout> more = MakeLayout(DomainOptions{}, files);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(more.status().message(), HasSubstr("it lacks"));
  files.online = dir + "/absent";
  EXPECT_FALSE(MakeLayout(DomainOptions{}, files).ok());
}

TEST(MakeLayout, RefusesHwlocOverridesFromTheEnvironment) {
  for (const char* var : {"HWLOC_XMLFILE", "HWLOC_SYNTHETIC", "HWLOC_FSROOT"}) {
    setenv(var, "pu:2", 1);
    absl::StatusOr<Layout> layout = MakeLayout(DomainOptions{});
    unsetenv(var);
    ASSERT_FALSE(layout.ok()) << var;
    EXPECT_THAT(layout.status().message(), HasSubstr(var));
  }
}

}  // namespace
}  // namespace atlas

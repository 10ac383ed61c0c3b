// SPDX-License-Identifier: GPL-2.0-only
#include "topology/layout.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "topology/hwloc_loader.h"

namespace atlas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

// Writes a fake online file (a CPU list, as /sys/devices/system/cpu/online).
void WriteOnline(const std::string& path, const std::string& cpus) {
  std::ofstream(path) << cpus << "\n";
}

// The machine's own online list.
std::string MachineOnline() {
  std::string text;
  std::getline(std::ifstream("/sys/devices/system/cpu/online"), text);
  return text;
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
  WriteOnline(online, MachineOnline());
  absl::StatusOr<Layout> ok = MakeLayout(DomainOptions{}, files);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->hotplug_seq, 42u);
  EXPECT_EQ(static_cast<long>(ok->topology.cpus.size()),
            sysconf(_SC_NPROCESSORS_ONLN));
  // More CPUs than the machine has: refused (after one reading, as the
  // first one at start; ReadsAgainWhileTheTopologyIsNotTheOnlineCpus has
  // the wait).
  const int n = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  WriteOnline(online, absl::StrCat("0-", n + 7));
  SettleWait once;
  once.limit = absl::ZeroDuration();
  absl::StatusOr<Layout> more = MakeLayout(DomainOptions{}, files, "", once);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(more.status().message(), HasSubstr("it lacks"));
  files.online = dir + "/absent";
  EXPECT_FALSE(MakeLayout(DomainOptions{}, files).ok());
}

// Host files whose hotplug sequence number changes from one read to the
// next for the first `changing` reads (a CPU flapping), then stays
// kSettled.
constexpr uint64_t kSettled = 1u << 30;
constexpr int kForever = 1 << 30;
HostFiles Flapping(int changing) {
  HostFiles files;
  files.online = ::testing::TempDir() + "/online_flap";
  WriteOnline(files.online, MachineOnline());
  files.read_hotplug_seq = [changing, reads = 0]() mutable -> uint64_t {
    const int n = reads++;
    return n < changing ? static_cast<uint64_t>(n) + 1 : kSettled;
  };
  return files;
}

// CPUs coming and going during more readings than the old back-to-back
// attempts (5) are waited out: the layout is the one read after they
// settled, with the last sequence number.
TEST(MakeLayout, WaitsOutCpusThatKeepComingAndGoing) {
  // Each reading reads the number twice (before and after hwloc).
  SettleWait wait;
  wait.pause = absl::Milliseconds(10);
  absl::StatusOr<Layout> layout =
      MakeLayout(DomainOptions{}, Flapping(2 * 12), "", wait);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->hotplug_seq, kSettled);
  EXPECT_EQ(layout->unsettled_readings, 12);
  EXPECT_GE(layout->settle_time, 12 * wait.pause);  // it paused each time
  EXPECT_EQ(static_cast<long>(layout->topology.cpus.size()),
            sysconf(_SC_NPROCESSORS_ONLN));
}

// CPUs that never settle: an error once the limit has passed, and a stop
// (the pause says not to go on) ends the wait at once.
TEST(MakeLayout, GivesUpOnCpusThatNeverSettle) {
  SettleWait wait;
  wait.limit = absl::Milliseconds(300);
  wait.pause = absl::Milliseconds(20);
  absl::StatusOr<Layout> layout =
      MakeLayout(DomainOptions{}, Flapping(kForever), "", wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_TRUE(absl::IsUnavailable(layout.status())) << layout.status();
  EXPECT_THAT(layout.status().message(), HasSubstr("kept changing for"));

  int pauses = 0;
  wait.limit = absl::Hours(1);
  wait.sleep = [&pauses, &wait](absl::Duration d) {
    EXPECT_EQ(d, wait.pause);
    return ++pauses < 3;
  };
  layout = MakeLayout(DomainOptions{}, Flapping(kForever), "", wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_TRUE(absl::IsCancelled(layout.status())) << layout.status();
  EXPECT_EQ(pauses, 3);
}

// A reading that looks settled (the online list and the number the same
// before and after) but whose CPUs are not the online ones is read again:
// under a flapping CPU hwloc can read a CPU's sysfs files half gone while
// the online list and the number hold still. Here the online list names
// one CPU more than the machine has for the first 3 readings.
TEST(MakeLayout, ReadsAgainWhileTheTopologyIsNotTheOnlineCpus) {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const std::string text = MachineOnline();
  HostFiles files;
  files.online = ::testing::TempDir() + "/online_ahead";
  auto write_online = [&files, text, cpus](bool ahead) {
    WriteOnline(files.online,
                text + (ahead ? absl::StrCat(",", cpus + 7) : ""));
  };
  write_online(true);
  // Each reading reads the number twice; the third reading's second read
  // puts the machine's own list back for the fourth.
  files.read_hotplug_seq = [write_online, reads = 0]() mutable -> uint64_t {
    if (++reads == 6) write_online(false);
    return 5;
  };
  SettleWait wait;
  wait.pause = absl::Milliseconds(10);
  absl::StatusOr<Layout> layout = MakeLayout(DomainOptions{}, files, "", wait);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->unsettled_readings, 3);
  EXPECT_EQ(static_cast<long>(layout->topology.cpus.size()), cpus);

  // Never the online CPUs: the mismatch, once the limit has passed, with
  // how long it was read for; with a zero limit, after one reading.
  write_online(true);
  files.read_hotplug_seq = [] { return uint64_t{5}; };
  wait.limit = absl::Milliseconds(300);
  layout = MakeLayout(DomainOptions{}, files, "", wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_TRUE(absl::IsUnavailable(layout.status())) << layout.status();
  EXPECT_THAT(layout.status().message(),
              HasSubstr(absl::StrCat("it lacks ", cpus + 7, " (")));
  EXPECT_THAT(layout.status().message(), HasSubstr("readings over"));
  int pauses = 0;
  wait.limit = absl::ZeroDuration();
  wait.sleep = [&pauses](absl::Duration) { return ++pauses > 0; };
  layout = MakeLayout(DomainOptions{}, files, "", wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_TRUE(absl::IsUnavailable(layout.status())) << layout.status();
  EXPECT_THAT(layout.status().message(),
              HasSubstr(absl::StrCat("it lacks ", cpus + 7)));
  EXPECT_THAT(layout.status().message(), Not(HasSubstr("readings over")));
  EXPECT_EQ(pauses, 0);
}

// An XML export (12 CPUs) unlike the online CPUs: at start (a zero limit)
// a usage error at once; in a restart, read again until the online CPUs
// are its own. The CPUs are checked before the domains are built: a
// --cpumasks naming a CPU the reading lacks waits like any mismatch.
TEST(MakeLayout, AnXmlExportUnlikeTheOnlineCpus) {
  const std::string xml = "tests/topology/testdata/hybrid.xml";
  HostFiles files;
  files.online = ::testing::TempDir() + "/online_xml";
  files.read_hotplug_seq = [] { return uint64_t{9}; };
  WriteOnline(files.online, "0-10");
  int pauses = 0;
  SettleWait wait;
  wait.limit = absl::ZeroDuration();
  wait.sleep = [&](absl::Duration) {
    ++pauses;
    WriteOnline(files.online, "0-11");
    return true;
  };
  absl::StatusOr<Layout> layout = MakeLayout(DomainOptions{}, files, xml, wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(layout.status())) << layout.status();
  EXPECT_THAT(layout.status().message(),
              HasSubstr("--hwloc_xml=" + xml +
                        ": hwloc's topology is not the "
                        "kernel's online CPUs: it has 11, which are offline"));
  EXPECT_EQ(pauses, 0);

  wait.limit = absl::Hours(1);
  layout = MakeLayout(DomainOptions{}, files, xml, wait);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(pauses, 1);
  EXPECT_EQ(layout->unsettled_readings, 1);
  EXPECT_EQ(layout->topology.cpus.size(), 12u);

  // The reading lacks CPU 12, which --cpumasks names: read again (not a
  // --cpumasks error at once); once the online CPUs are the export's, the
  // mask's CPU 12 is the error.
  WriteOnline(files.online, "0-12");
  pauses = 0;
  DomainOptions masks;
  masks.cpumasks = "0-5,6-12";
  layout = MakeLayout(masks, files, xml, wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(pauses, 1);
  EXPECT_THAT(layout.status().message(), HasSubstr("12"));
  EXPECT_THAT(layout.status().message(), Not(HasSubstr("hwloc's topology")));
}

// An XML export that cannot be read is said at once, not after waiting
// for CPUs that keep changing (the file does not change meanwhile).
TEST(MakeLayout, ABadXmlIsAnErrorAtOnceWhileCpusKeepChanging) {
  int pauses = 0;
  SettleWait wait;
  wait.limit = absl::Hours(1);
  wait.sleep = [&pauses](absl::Duration) { return ++pauses < 3; };
  const std::string xml = ::testing::TempDir() + "/absent.xml";
  absl::StatusOr<Layout> layout =
      MakeLayout(DomainOptions{}, Flapping(kForever), xml, wait);
  ASSERT_FALSE(layout.ok());
  EXPECT_FALSE(absl::IsCancelled(layout.status())) << layout.status();
  EXPECT_THAT(layout.status().message(), HasSubstr("absent.xml"));
  EXPECT_EQ(pauses, 0);
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

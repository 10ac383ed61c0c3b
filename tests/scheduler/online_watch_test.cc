// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/online_watch.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace atlas {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// A CPU of the layout missing from the online list, at two readings a
// period apart, is named; one reading is not enough, the period is kept,
// and CPUs online but not in the layout are not the watch's.
TEST(OnlineWatch, NamesALayoutCpuOfflineAtTwoReadings) {
  const std::string path = ::testing::TempDir() + "/watch_online";
  Write(path, "0-3\n");
  OnlineWatch watch(path, absl::Seconds(1));
  absl::Duration t = absl::Seconds(100);
  watch.Arm({0, 1, 2, 3}, t);
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);

  Write(path, "0-1,3\n");
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);  // once
  // Not read again before the period is over.
  EXPECT_EQ(watch.Check(t + absl::Milliseconds(500)), -1);
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), 2);

  // Back online before the second reading: nothing.
  watch.Arm({0, 1, 2, 3}, t);
  Write(path, "0-2\n");
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  Write(path, "0-3\n");
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  Write(path, "0-2\n");
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), 3);

  // More CPUs online than in the layout (the kernel ends the scheduler
  // for those): nothing.
  watch.Arm({0, 1}, t);
  Write(path, "0-3,8,10-11\n");
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  // A list of single CPUs and ranges, without the newline.
  watch.Arm({0, 5, 8, 10, 11}, t);
  Write(path, "0,5,8,10");
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1);
  EXPECT_EQ(watch.Check(t += absl::Seconds(1)), 11);
}

// A list that cannot be read or parsed is no answer, never a CPU.
TEST(OnlineWatch, AnUnreadableListIsNoAnswer) {
  const std::string path = ::testing::TempDir() + "/watch_bad";
  absl::Duration t = absl::Seconds(1);
  for (const char* text : {"", "\n", "0-", "-3\n", "3-1\n", "0,,2\n", "0-2,\n",
                           "zero\n", "0-99999999\n", "0 1\n", "0-1\nxyz"}) {
    Write(path, text);
    OnlineWatch watch(path, absl::Seconds(1));
    watch.Arm({0, 1, 2, 3, 4, 5, 6, 7}, t);
    EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1) << "'" << text << "'";
    EXPECT_EQ(watch.Check(t += absl::Seconds(1)), -1) << "'" << text << "'";
  }
  OnlineWatch absent(path + ".absent", absl::Seconds(1));
  absent.Arm({0, 1}, t);
  EXPECT_EQ(absent.Check(t += absl::Seconds(1)), -1);
  EXPECT_EQ(absent.Check(t += absl::Seconds(1)), -1);
}

}  // namespace
}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
//
// LockedPagesStayPut on a stand-in for vm.compact_unevictable_allowed: the
// file's content while the guard lives and after it goes.
#include "usersched/arena.h"

#include <errno.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace atlas::user {
namespace {

std::string Path(const char* name) { return testing::TempDir() + "/" + name; }

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::string Read(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

TEST(LockedPagesStayPut, SetsOneToZeroAndRestoresIt) {
  const std::string path = Path("compact_one");
  Write(path, "1\n");
  {
    LockedPagesStayPut guard(path.c_str());
    EXPECT_TRUE(guard.changed());
    EXPECT_EQ(guard.error(), "");
    EXPECT_EQ(Read(path).substr(0, 1), "0");
  }
  EXPECT_EQ(Read(path).substr(0, 1), "1");
}

TEST(LockedPagesStayPut, LeavesZeroAlone) {
  const std::string path = Path("compact_zero");
  Write(path, "0\n");
  {
    LockedPagesStayPut guard(path.c_str());
    EXPECT_FALSE(guard.changed());
    EXPECT_EQ(guard.error(), "");
    Write(path, "0\n");  // an admin's own 0 is not ours to restore
  }
  EXPECT_EQ(Read(path), "0\n");
}

TEST(LockedPagesStayPut, MissingFileIsNoError) {
  LockedPagesStayPut guard(Path("no_such_sysctl").c_str());
  EXPECT_FALSE(guard.changed());
  EXPECT_EQ(guard.error(), "");
}

TEST(LockedPagesStayPut, UnreadableFileIsReported) {
  const std::string path = Path("compact_dir");
  ASSERT_EQ(mkdir(path.c_str(), 0755) == 0 || errno == EEXIST, true);
  LockedPagesStayPut guard(path.c_str());  // read(2) of a directory fails
  EXPECT_FALSE(guard.changed());
  EXPECT_NE(guard.error().find("cannot read"), std::string::npos)
      << guard.error();
}

}  // namespace
}  // namespace atlas::user

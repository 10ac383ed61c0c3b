// SPDX-License-Identifier: GPL-2.0-only
// The command line: the real scx_atlas binary with every flag of one mode
// given to the other (the flags are read from its --helpfull, so a flag
// added to cli/flags_balanced.cc or cli/flags_user.cc is covered without
// listing it here), and Validate's rules on plain Options.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atlas {
namespace {

using ::testing::HasSubstr;

struct Result {
  int status = -1;     // exit status, or -1 if it did not exit normally
  std::string output;  // stdout and stderr
};

std::string Binary() {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(dir ? dir : ".", "/", ws ? ws : "", "/scx_atlas");
}

Result RunAtlas(const std::string& args) {
  Result r;
  FILE* p = popen(absl::StrCat(Binary(), " ", args, " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

struct Flag {
  std::string name;
  std::string default_value;
};

// The flags --helpfull lists under "Flags from <file>:", with their
// defaults.
std::vector<Flag> FlagsOf(const std::string& file) {
  const std::string help = RunAtlas("--helpfull").output;
  std::vector<Flag> flags;
  bool in = false;
  std::string pending;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (absl::StartsWith(line, "  Flags from ")) {
      in = line == absl::StrCat("  Flags from ", file, ":");
      continue;
    }
    if (!in) continue;
    if (absl::StartsWith(line, "    --")) {
      absl::string_view rest = line.substr(6);
      flags.push_back({std::string(rest.substr(0, rest.find(' '))), ""});
      pending.clear();
    }
    pending.append(line.data(), line.size());
    const size_t d = pending.rfind("default: ");
    if (!flags.empty() && d != std::string::npos && pending.back() == ';') {
      std::string value = pending.substr(d + 9);
      value.pop_back();  // ';'
      if (value.size() >= 2 && value.front() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      flags.back().default_value = value;
    }
  }
  return flags;
}

void PrintTo(const Flag& f, std::ostream* os) {
  *os << "--" << f.name << "=" << f.default_value;
}

std::string Name(const ::testing::TestParamInfo<Flag>& info) {
  return info.param.name;
}

class BalancedFlagInUserMode : public ::testing::TestWithParam<Flag> {};
class UserFlagInBalancedMode : public ::testing::TestWithParam<Flag> {};

// Given its own default value, so only the mode can be what is wrong.
TEST_P(BalancedFlagInUserMode, IsAOneLineUsageError) {
  const Flag& f = GetParam();
  const Result r = RunAtlas(
      absl::StrCat("--mode=user '--", f.name, "=", f.default_value, "'"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(r.output, absl::StrCat("scx_atlas: --", f.name,
                                   " is a balanced-mode flag: it does nothing "
                                   "with --mode=user\n"));
}

TEST_P(UserFlagInBalancedMode, IsAOneLineUsageError) {
  const Flag& f = GetParam();
  const Result r =
      RunAtlas(absl::StrCat("'--", f.name, "=", f.default_value, "'"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(r.output,
            absl::StrCat("scx_atlas: --", f.name,
                         " is a --mode=user flag: it does nothing in balanced "
                         "mode (add --mode=user)\n"));
}

INSTANTIATE_TEST_SUITE_P(Flags, BalancedFlagInUserMode,
                         ::testing::ValuesIn(FlagsOf("cli/flags_balanced.cc")),
                         Name);
INSTANTIATE_TEST_SUITE_P(Flags, UserFlagInBalancedMode,
                         ::testing::ValuesIn(FlagsOf("cli/flags_user.cc")),
                         Name);

TEST(Cli, EachModeHasFlagsAndTheCommonOnesPassInBoth) {
  EXPECT_GE(FlagsOf("cli/flags_balanced.cc").size(), 20u);
  EXPECT_GE(FlagsOf("cli/flags_user.cc").size(), 3u);
  // A common flag passes the flag checks in either mode: the run gets as
  // far as building the layout, which an impossible --cpumasks stops
  // before anything touches the kernel.
  for (const char* mode : {"balanced", "user"}) {
    const Result r = RunAtlas(
        absl::StrCat("--mode=", mode, " --lag_budget=500ms --cpumasks=0-4000"));
    EXPECT_EQ(r.status, 2) << mode << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("scx_atlas: --cpumasks: CPU 4000")) << mode;
  }
}

TEST(Cli, HelpListsEachModesFlagsTogether) {
  const Result r = RunAtlas("--help");
  EXPECT_EQ(r.status, 1);  // absl's --help exits 1
  for (const char* file :
       {"cli/flags_common.cc", "cli/flags_balanced.cc", "cli/flags_user.cc"}) {
    EXPECT_THAT(r.output, HasSubstr(absl::StrCat("Flags from ", file, ":")));
  }
}

// Validate, on plain options: one line naming the flag and the bound.
TEST(Validate, DefaultsAreValidInBothModes) {
  Options o;
  EXPECT_TRUE(Validate(o).ok());
  o.mode = "user";
  EXPECT_TRUE(Validate(o).ok());
}

TEST(Validate, EachRuleNamesItsFlag) {
  struct Case {
    void (*change)(Options*);
    const char* message;
  };
  const Case cases[] = {
      {[](Options* o) { o->mode = "fast"; },
       "--mode=fast: want balanced or user"},
      {[](Options* o) { o->stats = 0.001; },
       "--stats=0.001: want seconds between 0.01 and 86400 (0 = off)"},
      {[](Options* o) { o->slice_min = absl::Microseconds(50); },
       "--slice_min=50us --slice_max=20ms: want 100us <= slice_min <= "
       "slice_max <= 1s"},
      {[](Options* o) { o->slice_policy = "big"; },
       "--slice_policy=big: want fixed, depth or util"},
      {[](Options* o) { o->max_migrations = 0; },
       "--max_migrations=0: must be at least 1"},
      {[](Options* o) { o->node_imbalance_pct = 101; },
       "--node_imbalance_pct=101: must be between 0 and 100"},
      {[](Options* o) { o->debug_migrate = "12"; },
       "--debug_migrate: '12': want PID:DOMAIN"},
      {[](Options* o) { o->watchdog_timeout = absl::Seconds(31); },
       "--watchdog_timeout=31s: must be 0 (default) or 100ms..30s"},
      {[](Options* o) { o->json = true; },
       "--hwloc_synthetic and --json need --show_topology"},
      {[](Options* o) {
         o->mode = "user";
         o->user_slice = absl::Seconds(2);
       },
       "--user_slice=2s: must be between 100us and 1s"},
      {[](Options* o) {
         o->mode = "user";
         o->debug_policy_cpu = -2;
       },
       "--debug_policy_cpu=-2: want -1 or a CPU number below 1024"},
      {[](Options* o) {
         o->mode = "user";
         o->given.insert("interval");
       },
       "--interval is a balanced-mode flag: it does nothing with --mode=user"},
  };
  for (const Case& c : cases) {
    Options o;
    c.change(&o);
    const absl::Status s = Validate(o);
    EXPECT_FALSE(s.ok()) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(Options, EachModeGetsItsValues) {
  Options o;
  o.slice_policy = "util";
  o.slice_underutil = absl::Milliseconds(7);
  o.debug_migrate = "12:3,14:0";
  o.watchdog_timeout = absl::Seconds(3);
  const BalancedOptions b = ToBalanced(o);
  EXPECT_EQ(b.scheduler.slice_ns, 7'000'000u);
  EXPECT_EQ(b.scheduler.timeout_ms, 3000u);
  ASSERT_EQ(b.debug_migrations.size(), 2u);
  EXPECT_EQ(b.debug_migrations[1], std::make_pair(14, 0));
  const user::UserOptions u = ToUser(o);
  EXPECT_EQ(u.watchdog_timeout_ms, 3000u);
  o.watchdog_timeout = absl::ZeroDuration();
  EXPECT_EQ(ToUser(o).watchdog_timeout_ms, 5000u);    // user mode's default
  EXPECT_EQ(ToBalanced(o).scheduler.timeout_ms, 0u);  // the kernel's
  o.stats_socket = "none";
  EXPECT_EQ(ToRunConfig(o).stats_socket, "");
}

}  // namespace
}  // namespace atlas

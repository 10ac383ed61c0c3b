// SPDX-License-Identifier: GPL-2.0-only
// The raw log parser and the paired comparison, on a log whose ratios are
// known.
#include "bench/report.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atlas::bench {
namespace {

using ::testing::ElementsAre;

// Ten rounds: fast takes 0.8x default's time, every round; same is
// default's time +-2 %.
std::string TenRounds() {
  std::string log;
  const double noise[10] = {0.01,  -0.02,  0.0,   0.02,   -0.01,
                            0.015, -0.015, 0.005, -0.005, 0.0};
  for (int r = 1; r <= 10; ++r) {
    const double base = 5 + r;  // rounds differ a lot; ratios do not
    absl::StrAppend(&log, "ROUND round=", r,
                    " seconds=100 order=default,fast,same",
                    " host_other_cpus=", r == 3 ? "0.9" : "0.05", "\n");
    absl::StrAppend(&log, "RESULT round=", r,
                    " variant=default workload=hackbench_s value=", base, "\n");
    absl::StrAppend(&log, "RESULT round=", r,
                    " variant=fast workload=hackbench_s value=", base * 0.8,
                    "\n");
    absl::StrAppend(&log, "RESULT round=", r,
                    " variant=same workload=hackbench_s value=",
                    base * (1 + noise[r - 1]), "\n");
    absl::StrAppend(&log, "RESULT round=", r,
                    " variant=default workload=wakebench_rps value=1000\n");
    absl::StrAppend(&log, "RESULT round=", r,
                    " variant=fast workload=wakebench_rps value=900\n");
  }
  log +=
      "COUNTERS round=1 variant=fast workload=hackbench_s {\"enq_domain\": "
      "5}\n";
  log += "EVENT round=4 variant=same what=ejected\n";
  log += "garbage line\nRESULT round=x variant=a workload=b value=1\n";
  return log;
}

TEST(RawLog, Parses) {
  const RawLog log = ParseRawLog(TenRounds());
  EXPECT_THAT(log.variants, ElementsAre("default", "fast", "same"));
  EXPECT_THAT(log.metrics, ElementsAre("hackbench_s", "wakebench_rps"));
  EXPECT_EQ(log.rounds.size(), 10u);
  EXPECT_THAT(log.rounds.at(2).order, ElementsAre("default", "fast", "same"));
  EXPECT_DOUBLE_EQ(log.rounds.at(3).host_other_cpus, 0.9);
  EXPECT_DOUBLE_EQ(log.values.at("hackbench_s").at("default").at(4), 9);
  ASSERT_EQ(log.counters.size(), 1u);
  EXPECT_EQ(log.counters[0]["counters"]["enq_domain"], 5);
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0]["what"], "ejected");
}

TEST(Compare, ConstantRatioIsSeen) {
  const RawLog log = ParseRawLog(TenRounds());
  const Comparison c = Compare(log, "hackbench_s", "fast", "default");
  EXPECT_EQ(c.ratios.size(), 10u);
  EXPECT_NEAR(c.interval.estimate, 0.8, 1e-9);
  EXPECT_NEAR(c.interval.low, 0.8, 1e-9);
  EXPECT_NEAR(c.interval.high, 0.8, 1e-9);
  EXPECT_EQ(c.verdict, Verdict::kBetter);  // less time
  const Comparison rps = Compare(log, "wakebench_rps", "fast", "default");
  EXPECT_EQ(rps.verdict, Verdict::kWorse);  // fewer requests
}

TEST(Compare, NoiseIsNoDifference) {
  const RawLog log = ParseRawLog(TenRounds());
  const Comparison c = Compare(log, "hackbench_s", "same", "default");
  EXPECT_EQ(c.verdict, Verdict::kNoDifference);
  EXPECT_LT(c.interval.low, 1);
  EXPECT_GT(c.interval.high, 1);
  EXPECT_LT(HalfWidth(c.interval), 0.02);
}

TEST(Compare, BusyRoundsCanBeLeftOut) {
  const RawLog log = ParseRawLog(TenRounds());
  EXPECT_EQ(Compare(log, "hackbench_s", "fast", "default", 0.95, true, 0.25)
                .rounds.size(),
            9u);
  EXPECT_EQ(
      Compare(log, "hackbench_s", "fast", "default", 0.95, false).rounds.size(),
      10u);
}

TEST(Compare, MissingFiguresPairOnlyCommonRounds) {
  const RawLog log = ParseRawLog(
      "RESULT round=1 variant=default workload=make_s value=10\n"
      "RESULT round=2 variant=default workload=make_s value=10\n"
      "RESULT round=2 variant=x workload=make_s value=12\n"
      "RESULT round=3 variant=x workload=make_s value=12\n");
  const Comparison c = Compare(log, "make_s", "x", "default");
  EXPECT_THAT(c.rounds, ElementsAre(2));
  EXPECT_EQ(c.verdict, Verdict::kTooFew);
  EXPECT_TRUE(Compare(log, "nope", "x", "default").ratios.empty());
}

TEST(Metric, Directions) {
  EXPECT_TRUE(DescribeMetric("hackbench_s").lower_is_better);
  EXPECT_FALSE(DescribeMetric("stress_bogo_ops_s").lower_is_better);
  EXPECT_TRUE(DescribeMetric("cyclictest_p99_us").lower_is_better);
  EXPECT_FALSE(DescribeMetric("wakebench_rps").lower_is_better);
  EXPECT_TRUE(DescribeMetric("new_thing_us").lower_is_better);
  EXPECT_FALSE(DescribeMetric("new_thing_ops_s").lower_is_better);
}

}  // namespace
}  // namespace atlas::bench

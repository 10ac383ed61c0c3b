// SPDX-License-Identifier: GPL-2.0-only
// Known answers: nearest-rank percentiles of 1..N, and the Wilcoxon
// signed-rank tables (n = 6, 7, 10 at 95 %, two-sided).
#include "bench/stats.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atlas::bench {
namespace {

using ::testing::DoubleNear;

std::vector<double> OneTo(int n) {
  std::vector<double> v;
  for (int i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

TEST(Percentile, NearestRankOfOneToHundred) {
  const std::vector<double> v = OneTo(100);
  EXPECT_EQ(PercentileOfSorted(v, 50), 50);
  EXPECT_EQ(PercentileOfSorted(v, 90), 90);
  EXPECT_EQ(PercentileOfSorted(v, 99), 99);
  EXPECT_EQ(PercentileOfSorted(v, 99.9), 100);  // rank ceil(99.9) = 100
  EXPECT_EQ(PercentileOfSorted(v, 100), 100);
  EXPECT_EQ(PercentileOfSorted(v, 0.5), 1);
}

TEST(Percentile, NearestRankOfOneToThousand) {
  const std::vector<double> v = OneTo(1000);
  EXPECT_EQ(PercentileOfSorted(v, 99.9), 999);  // exactly rank 999
  EXPECT_EQ(PercentileOfSorted(v, 50), 500);
}

TEST(Percentile, FewSamples) {
  EXPECT_EQ(PercentileOfSorted({7}, 50), 7);
  EXPECT_EQ(PercentileOfSorted({7}, 99.9), 7);
  EXPECT_EQ(PercentileOfSorted({1, 2}, 50), 1);  // rank 1 of 2
  EXPECT_EQ(PercentileOfSorted({1, 2}, 51), 2);
  EXPECT_EQ(PercentileOfSorted({}, 50), 0);
}

TEST(Percentile, Histogram) {
  // 10 samples of 3 us, 80 of 5 us, 10 of 9 us.
  std::vector<uint64_t> h(20, 0);
  h[3] = 10;
  h[5] = 80;
  h[9] = 10;
  EXPECT_EQ(PercentileOfHistogram(h, 0, 10), 3);
  EXPECT_EQ(PercentileOfHistogram(h, 0, 11), 5);
  EXPECT_EQ(PercentileOfHistogram(h, 0, 50), 5);
  EXPECT_EQ(PercentileOfHistogram(h, 0, 90), 5);
  EXPECT_EQ(PercentileOfHistogram(h, 0, 91), 9);
  EXPECT_EQ(PercentileOfHistogram(h, 0, 99), 9);
  // Overflowed samples are beyond the last bucket.
  EXPECT_EQ(PercentileOfHistogram(h, 100, 50), 9);
  EXPECT_EQ(PercentileOfHistogram(h, 100, 51), 20);
  EXPECT_EQ(PercentileOfHistogram(std::vector<uint64_t>(5, 0), 0, 50), -1);
}

TEST(Percentile, HistogramAgreesWithSamples) {
  std::vector<uint64_t> h(100, 0);
  std::vector<double> samples;
  for (int i = 0; i < 1000; ++i) {
    const int v = (i * 37) % 97;
    ++h[v];
    samples.push_back(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    EXPECT_EQ(PercentileOfHistogram(h, 0, p), PercentileOfSorted(samples, p))
        << "p" << p;
  }
}

TEST(Median, OddAndEven) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({}), 0);
}

TEST(SignedRank, NullDistributionMatchesTables) {
  // Pr(T+ <= t) = (number of subsets of {1..n} with sum <= t) / 2^n.
  EXPECT_DOUBLE_EQ(SignedRankCdf(6, 0), 1.0 / 64);
  EXPECT_DOUBLE_EQ(SignedRankCdf(7, 2), 3.0 / 128);  // {}, {1}, {2}
  EXPECT_DOUBLE_EQ(SignedRankCdf(7, 3), 5.0 / 128);  // + {3}, {1,2}
  EXPECT_NEAR(SignedRankCdf(10, 8), 0.0244, 1e-4);   // table: 0.0244
  EXPECT_NEAR(SignedRankCdf(10, 9), 0.0322, 1e-4);   // table: 0.0322
  EXPECT_DOUBLE_EQ(SignedRankCdf(10, 55), 1.0);
  EXPECT_DOUBLE_EQ(SignedRankCdf(10, -1), 0.0);
  // Symmetric: Pr(T <= t) + Pr(T <= M - t - 1) = 1.
  for (int t = 0; t < 55; ++t) {
    EXPECT_NEAR(SignedRankCdf(10, t) + SignedRankCdf(10, 54 - t), 1.0, 1e-12);
  }
}

TEST(SignedRank, TooFewForNinetyFivePercent) {
  // n = 5: the widest interval covers 1 - 2/32 = 93.75 % only.
  const Interval i = SignedRankInterval({1, 2, 3, 4, 5});
  EXPECT_EQ(i.confidence, 0);
  EXPECT_EQ(i.n, 5);
  EXPECT_EQ(i.estimate, 3);
  EXPECT_EQ(Judge(i, true), Verdict::kTooFew);
}

TEST(SignedRank, SixIsTheMinimumAndSpansTheRange) {
  const Interval i = SignedRankInterval({5, 1, 4, 2, 6, 3});
  EXPECT_DOUBLE_EQ(i.confidence, 1 - 2.0 / 64);
  EXPECT_EQ(i.low, 1);
  EXPECT_EQ(i.high, 6);
  EXPECT_EQ(i.estimate, 3.5);
}

TEST(SignedRank, SevenUsesTheThirdWalshAverage) {
  // Critical value 2 for n = 7: [W(3), W(26)] at 1 - 2 * 3/128 = 95.3 %.
  // Walsh averages of 1..7, ascending: 1, 1.5, 2 (1+3, 2+2), ...
  const Interval i = SignedRankInterval(OneTo(7));
  EXPECT_DOUBLE_EQ(i.confidence, 1 - 6.0 / 128);
  EXPECT_EQ(i.low, 2);
  EXPECT_EQ(i.high, 6);
  EXPECT_EQ(i.estimate, 4);
}

TEST(SignedRank, TenUsesTheNinthWalshAverage) {
  // Critical value 8 for n = 10 (two-sided 0.05): [W(9), W(47)].
  // Walsh averages of 1..10: 1, 1.5, 2, 2, 2.5, 2.5, 3, 3, 3, ...
  const Interval i = SignedRankInterval(OneTo(10));
  EXPECT_NEAR(i.confidence, 0.951, 0.001);
  EXPECT_EQ(i.low, 3);
  EXPECT_EQ(i.high, 8);
  EXPECT_EQ(i.estimate, 5.5);
}

TEST(SignedRank, ShiftAndOutlierRobust) {
  std::vector<double> x = OneTo(10);
  for (double& v : x) v += 100;
  Interval i = SignedRankInterval(x);
  EXPECT_EQ(i.low, 103);
  EXPECT_EQ(i.high, 108);
  x[9] = 1e9;  // one wild round
  i = SignedRankInterval(x);
  EXPECT_EQ(i.low, 103);
  EXPECT_LT(i.estimate, 107);
}

TEST(RatioInterval, WorksOnLogs) {
  std::vector<double> ratios;
  for (int k = 1; k <= 10; ++k) ratios.push_back(std::exp(k * 0.01));
  const Interval i = RatioInterval(ratios);
  EXPECT_THAT(i.low, DoubleNear(std::exp(0.03), 1e-12));
  EXPECT_THAT(i.high, DoubleNear(std::exp(0.08), 1e-12));
  EXPECT_THAT(i.estimate, DoubleNear(std::exp(0.055), 1e-12));
  EXPECT_THAT(HalfWidth(i),
              DoubleNear((std::exp(0.08) - std::exp(0.03)) / 2, 1e-12));
}

TEST(RatioInterval, ReciprocalRatiosGiveReciprocalInterval) {
  const std::vector<double> r = {0.9, 1.3, 1.1, 0.8, 1.25, 1.05, 0.95, 1.2};
  std::vector<double> inv;
  for (double v : r) inv.push_back(1 / v);
  const Interval a = RatioInterval(r), b = RatioInterval(inv);
  EXPECT_NEAR(a.low * b.high, 1, 1e-12);
  EXPECT_NEAR(a.high * b.low, 1, 1e-12);
  EXPECT_NEAR(a.estimate * b.estimate, 1, 1e-12);
}

TEST(Verdict, SidesOfOne) {
  Interval below{10, 0.8, 0.7, 0.9, 0.95};
  Interval above{10, 1.2, 1.1, 1.3, 0.95};
  Interval across{10, 1.0, 0.9, 1.1, 0.95};
  EXPECT_EQ(Judge(below, /*lower_is_better=*/true), Verdict::kBetter);
  EXPECT_EQ(Judge(below, false), Verdict::kWorse);
  EXPECT_EQ(Judge(above, true), Verdict::kWorse);
  EXPECT_EQ(Judge(above, false), Verdict::kBetter);
  EXPECT_EQ(Judge(across, true), Verdict::kNoDifference);
  EXPECT_EQ(Judge(across, false), Verdict::kNoDifference);
  EXPECT_STREQ(VerdictName(Verdict::kNoDifference), "no difference");
}

TEST(Verdict, ClearEffectIsSeenAndNoEffectIsNot) {
  // Ten rounds 20 % slower with +-5 % noise: worse. Ten rounds of pure
  // +-5 % noise around 1: no difference.
  const double noise[10] = {0.03,  -0.05, 0.01, 0.04,  -0.02,
                            -0.04, 0.05,  0.0,  -0.01, 0.02};
  std::vector<double> slower, same;
  for (double e : noise) {
    slower.push_back(1.2 * (1 + e));
    same.push_back(1 + e);
  }
  EXPECT_EQ(Judge(RatioInterval(slower), true), Verdict::kWorse);
  EXPECT_EQ(Judge(RatioInterval(same), true), Verdict::kNoDifference);
  EXPECT_LT(HalfWidth(RatioInterval(same)), 0.05);
}

}  // namespace
}  // namespace atlas::bench

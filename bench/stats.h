// SPDX-License-Identifier: GPL-2.0-only
//
// bench/stats.h: the statistics behind tools/bench and wakebench.
//
// - Percentiles, nearest-rank: of samples, and of a histogram with unit
//   buckets (cyclictest -h). The p-th percentile of n sorted values is the
//   value of rank ceil(p/100 * n), so it is always one of the samples.
// - Paired comparisons. Every bench round runs every variant in one guest,
//   so each round gives one ratio variant/baseline per workload. The
//   estimate and its interval come from the ratios' logarithms: the
//   Hodges-Lehmann estimate (the median of the Walsh averages
//   (x_i + x_j) / 2, i <= j) with the exact Wilcoxon signed-rank
//   confidence interval, exponentiated back to a ratio. It assumes only
//   that the log ratios are independent and symmetric about their centre:
//   no normality, and one wild round moves it little. The interval has the
//   smallest exact confidence level at or above the one asked for; with
//   fewer than 6 rounds no 95 % interval exists (2 / 2^n > 0.05).
//
// Pure functions, no state: safe from any thread.
#ifndef SCX_ATLAS_BENCH_STATS_H_
#define SCX_ATLAS_BENCH_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace atlas::bench {

// Nearest-rank percentile (0 < p <= 100) of `sorted` (ascending, not
// empty).
double PercentileOfSorted(const std::vector<double>& sorted, double p);

// The same of a histogram: counts[i] samples of value i, `overflow` more
// samples beyond the last bucket (a percentile among them is reported as
// counts.size(), "at least this"). -1 if there are no samples.
int64_t PercentileOfHistogram(const std::vector<uint64_t>& counts,
                              uint64_t overflow, double p);

double Median(std::vector<double> values);

// Pr(T+ <= t) for the Wilcoxon signed-rank statistic of n untied pairs
// under the null hypothesis (exact, by counting subsets of ranks).
double SignedRankCdf(int n, int t);

struct Interval {
  int n = 0;            // observations
  double estimate = 0;  // Hodges-Lehmann
  double low = 0;       // interval bounds (valid when confidence > 0)
  double high = 0;
  double confidence = 0;  // exact level reached; 0 = none (too few)
};

// The Hodges-Lehmann estimate of x's centre and the signed-rank interval
// at the smallest exact level >= `level`.
Interval SignedRankInterval(const std::vector<double>& x, double level = 0.95);

// The same for ratios (> 0), computed on their logarithms.
Interval RatioInterval(const std::vector<double>& ratios, double level = 0.95);

enum class Verdict { kBetter, kWorse, kNoDifference, kTooFew };

// For a ratio variant/baseline: "better" when the whole interval lies on
// the good side of 1 (below it when lower is better).
Verdict Judge(const Interval& ratio, bool lower_is_better);
const char* VerdictName(Verdict v);

// Half the interval's width, relative to 1: the smallest effect a rig
// with this spread can see (0.05 = 5 %).
double HalfWidth(const Interval& ratio);

}  // namespace atlas::bench

#endif  // SCX_ATLAS_BENCH_STATS_H_

// SPDX-License-Identifier: GPL-2.0-only
#include "bench/stats.h"

#include <algorithm>
#include <cmath>

namespace atlas::bench {

double PercentileOfSorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  // ceil(p/100 * n), guarded against 99.9 * 1000 / 100 = 999.0000000001.
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * n - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[rank - 1];
}

int64_t PercentileOfHistogram(const std::vector<uint64_t>& counts,
                              uint64_t overflow, double p) {
  uint64_t total = overflow;
  for (uint64_t c : counts) total += c;
  if (total == 0) return -1;
  uint64_t rank = static_cast<uint64_t>(
      std::ceil(p / 100.0 * static_cast<double>(total) - 1e-9));
  rank = std::clamp<uint64_t>(rank, 1, total);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return static_cast<int64_t>(i);
  }
  return static_cast<int64_t>(counts.size());
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double SignedRankCdf(int n, int t) {
  if (n <= 0) return t >= 0 ? 1.0 : 0.0;
  if (t < 0) return 0;
  const int max_sum = n * (n + 1) / 2;
  if (t >= max_sum) return 1;
  // ways[s]: subsets of {1..k} whose ranks sum to s.
  std::vector<double> ways(max_sum + 1, 0.0);
  ways[0] = 1;
  for (int k = 1; k <= n; ++k) {
    for (int s = k * (k + 1) / 2; s >= k; --s) ways[s] += ways[s - k];
  }
  double below = 0;
  for (int s = 0; s <= t; ++s) below += ways[s];
  return below / std::ldexp(1.0, n);
}

Interval SignedRankInterval(const std::vector<double>& x, double level) {
  Interval out;
  out.n = static_cast<int>(x.size());
  if (x.empty()) return out;
  std::vector<double> walsh;
  walsh.reserve(x.size() * (x.size() + 1) / 2);
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i; j < x.size(); ++j) walsh.push_back((x[i] + x[j]) / 2);
  }
  std::sort(walsh.begin(), walsh.end());
  out.estimate = Median(walsh);
  // [W(c), W(M + 1 - c)] covers the centre with probability
  // 1 - 2 Pr(T+ <= c - 1): take the largest c that still reaches `level`.
  const int m = static_cast<int>(walsh.size());
  int c = 0;
  double reached = 0;
  for (int k = 1; k <= m / 2; ++k) {
    const double conf = 1 - 2 * SignedRankCdf(out.n, k - 1);
    if (conf + 1e-12 < level) break;
    c = k;
    reached = conf;
  }
  if (c == 0) return out;  // too few observations for this level
  out.low = walsh[c - 1];
  out.high = walsh[m - c];
  out.confidence = reached;
  return out;
}

Interval RatioInterval(const std::vector<double>& ratios, double level) {
  std::vector<double> logs;
  logs.reserve(ratios.size());
  for (double r : ratios) {
    if (r > 0 && std::isfinite(r)) logs.push_back(std::log(r));
  }
  Interval out = SignedRankInterval(logs, level);
  out.estimate = std::exp(out.estimate);
  out.low = std::exp(out.low);
  out.high = std::exp(out.high);
  return out;
}

Verdict Judge(const Interval& ratio, bool lower_is_better) {
  if (ratio.confidence <= 0) return Verdict::kTooFew;
  if (ratio.high < 1) {
    return lower_is_better ? Verdict::kBetter : Verdict::kWorse;
  }
  if (ratio.low > 1) {
    return lower_is_better ? Verdict::kWorse : Verdict::kBetter;
  }
  return Verdict::kNoDifference;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kBetter:
      return "better";
    case Verdict::kWorse:
      return "worse";
    case Verdict::kNoDifference:
      return "no difference";
    case Verdict::kTooFew:
      return "too few rounds";
  }
  return "?";
}

double HalfWidth(const Interval& ratio) {
  return ratio.confidence > 0 ? (ratio.high - ratio.low) / 2 : 0;
}

}  // namespace atlas::bench

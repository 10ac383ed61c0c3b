// SPDX-License-Identifier: GPL-2.0-only
#include "bench/report.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace atlas::bench {
namespace {

// key=value words of a line (after its first word), up to `stop` if given.
std::map<std::string, std::string> Fields(absl::string_view line) {
  std::map<std::string, std::string> out;
  for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    if (absl::StartsWith(word, "{")) break;
    const size_t eq = word.find('=');
    if (eq == absl::string_view::npos) continue;
    out[std::string(word.substr(0, eq))] = std::string(word.substr(eq + 1));
  }
  return out;
}

void Remember(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) {
    list.push_back(name);
  }
}

}  // namespace

MetricInfo DescribeMetric(const std::string& metric) {
  static const std::map<std::string, MetricInfo>* const kKnown =
      new std::map<std::string, MetricInfo>{
          {"hackbench_s", {"hackbench completion time (s)", true}},
          {"stress_bogo_ops_s", {"stress-ng --cpu bogo-ops/s", false}},
          {"cyclictest_p50_us",
           {"cyclictest p50 wake-up latency under a CPU load (us)", true}},
          {"cyclictest_p99_us",
           {"cyclictest p99 wake-up latency under a CPU load (us)", true}},
          {"make_s", {"make -j of zlib's libz.a (s)", true}},
          {"wakebench_p50_us", {"wakebench p50 wake-up latency (us)", true}},
          {"wakebench_p99_us", {"wakebench p99 wake-up latency (us)", true}},
          {"wakebench_rps", {"wakebench requests/s", false}},
          // The CPU time it took (the less for the same requests, the
          // cheaper the scheduler) and how often a CPU went idle.
          {"wakebench_busy_cpus",
           {"wakebench CPUs busy (of the guest's)", true}},
          {"wakebench_idle_entries_per_s",
           {"wakebench entries into idle per second", true}},
      };
  auto it = kKnown->find(metric);
  if (it != kKnown->end()) return it->second;
  const bool lower =
      absl::EndsWith(metric, "_us") ||
      (absl::EndsWith(metric, "_s") && !absl::EndsWith(metric, "_ops_s"));
  return {metric, lower};
}

RawLog ParseRawLog(const std::string& text) {
  RawLog log;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) continue;
    const absl::string_view kind = line.substr(0, space);
    const std::map<std::string, std::string> f = Fields(line.substr(space));
    int round = 0;
    auto get = [&f](const char* key) {
      auto it = f.find(key);
      return it == f.end() ? std::string() : it->second;
    };
    if (!absl::SimpleAtoi(get("round"), &round)) continue;
    if (kind == "RESULT") {
      double value = 0;
      const std::string variant = get("variant"), metric = get("workload");
      if (variant.empty() || metric.empty() ||
          !absl::SimpleAtod(get("value"), &value)) {
        continue;
      }
      Remember(log.variants, variant);
      Remember(log.metrics, metric);
      log.values[metric][variant][round] = value;
    } else if (kind == "ROUND") {
      RoundInfo& r = log.rounds[round];
      (void)absl::SimpleAtod(get("seconds"), &r.seconds);
      (void)absl::SimpleAtod(get("host_other_cpus"), &r.host_other_cpus);
      r.order = absl::StrSplit(get("order"), ',', absl::SkipEmpty());
    } else if (kind == "COUNTERS") {
      const size_t brace = line.find('{');
      if (brace == absl::string_view::npos) continue;
      nlohmann::json counters = nlohmann::json::parse(
          line.substr(brace), nullptr, /*allow_exceptions=*/false);
      if (counters.is_discarded()) continue;
      log.counters.push_back({{"round", round},
                              {"variant", get("variant")},
                              {"workload", get("workload")},
                              {"counters", std::move(counters)}});
    } else if (kind == "EVENT") {
      log.events.push_back({{"round", round},
                            {"variant", get("variant")},
                            {"what", get("what")}});
    }
  }
  return log;
}

Comparison Compare(const RawLog& log, const std::string& metric,
                   const std::string& variant, const std::string& baseline,
                   double level, bool drop_busy, double busy_host_cpus) {
  Comparison c;
  c.metric = metric;
  c.variant = variant;
  c.baseline = baseline;
  auto m = log.values.find(metric);
  if (m == log.values.end()) return c;
  auto v = m->second.find(variant), b = m->second.find(baseline);
  if (v == m->second.end() || b == m->second.end()) return c;
  for (const auto& [round, value] : v->second) {
    auto base = b->second.find(round);
    if (base == b->second.end() || base->second <= 0 || value <= 0) continue;
    if (drop_busy) {
      auto r = log.rounds.find(round);
      if (r != log.rounds.end() && r->second.host_other_cpus > busy_host_cpus) {
        continue;
      }
    }
    c.rounds.push_back(round);
    c.ratios.push_back(value / base->second);
  }
  c.median_ratio = Median(c.ratios);
  c.interval = RatioInterval(c.ratios, level);
  c.verdict = Judge(c.interval, DescribeMetric(metric).lower_is_better);
  return c;
}

}  // namespace atlas::bench

// SPDX-License-Identifier: GPL-2.0-only
//
// bench_report: tools/bench's report. From the raw log it writes, into
// --out: results.json (every round, every figure and ratio, every interval
// and verdict, the counters), results.md (the tables) and ratios.png (each
// variant's ratio to the baseline with its interval; needs gnuplot).
//
//   bench_report --raw=raw.log --out=DIR [--baseline=default]
//                [--pair=A:B ...] [--meta=KEY=VALUE ...] [--drop_busy]
//   bench_report --cyclictest_hist=FILE   prints "P50 P99" (us) of a
//                                         cyclictest -h histogram
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/report.h"
#include "bench/stats.h"

ABSL_FLAG(std::string, raw, "", "The raw log of tools/bench.");
ABSL_FLAG(std::string, out, "", "Where to write the report.");
ABSL_FLAG(std::string, baseline, "default",
          "The variant every other one is compared with.");
ABSL_FLAG(std::vector<std::string>, pair, {},
          "More comparisons, A:B = A against B (repeatable, comma-separated).");
ABSL_FLAG(std::vector<std::string>, meta, {},
          "KEY=VALUE facts for the report's header (comma-separated).");
ABSL_FLAG(bool, drop_busy, false,
          "Leave out rounds during which the host was busy with other work.");
ABSL_FLAG(double, busy_host_cpus, 0.25,
          "A round is marked busy when host CPUs outside the guest were busier "
          "than this (in CPUs).");
ABSL_FLAG(std::string, cyclictest_hist, "",
          "Print the p50 and p99 (us) of this cyclictest histogram and exit.");

namespace {

using atlas::bench::Comparison;
using atlas::bench::RawLog;

int Fail(const std::string& message) {
  std::fprintf(stderr, "bench_report: %s\n", message.c_str());
  return 1;
}

// cyclictest -h: lines "BUCKET COUNT COUNT ..." (one count per thread),
// and "# Histogram Overflows: N N ...".
int CyclictestPercentiles(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(absl::StrCat("cannot read ", path));
  std::vector<uint64_t> counts;
  uint64_t overflow = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (absl::StartsWith(line, "# Histogram Overflows")) {
      for (size_t i = 3; i < words.size(); ++i) {
        uint64_t n = 0;
        if (absl::SimpleAtoi(words[i], &n)) overflow += n;
      }
      continue;
    }
    uint64_t bucket = 0;
    if (line[0] == '#' || !absl::SimpleAtoi(words[0], &bucket) ||
        bucket > 10'000'000) {
      continue;
    }
    if (counts.size() <= bucket) counts.resize(bucket + 1, 0);
    for (size_t i = 1; i < words.size(); ++i) {
      uint64_t n = 0;
      if (absl::SimpleAtoi(words[i], &n)) counts[bucket] += n;
    }
  }
  const int64_t p50 = atlas::bench::PercentileOfHistogram(counts, overflow, 50);
  const int64_t p99 = atlas::bench::PercentileOfHistogram(counts, overflow, 99);
  if (p50 < 0) return Fail(absl::StrCat(path, ": no samples"));
  std::printf("%lld %lld\n", static_cast<long long>(p50),
              static_cast<long long>(p99));
  return 0;
}

std::string Fmt(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1000) return absl::StrFormat("%.0f", v);
  if (a >= 100) return absl::StrFormat("%.1f", v);
  if (a >= 10) return absl::StrFormat("%.2f", v);
  return absl::StrFormat("%.3g", v);
}

nlohmann::json ToJson(const Comparison& c) {
  const atlas::bench::Interval& i = c.interval;
  return {{"metric", c.metric},
          {"variant", c.variant},
          {"baseline", c.baseline},
          {"rounds", c.rounds},
          {"ratios", c.ratios},
          {"median_ratio", c.median_ratio},
          {"estimate", i.estimate},
          {"low", i.low},
          {"high", i.high},
          {"confidence", i.confidence},
          {"half_width", atlas::bench::HalfWidth(i)},
          {"method",
           "Hodges-Lehmann, exact Wilcoxon signed-rank interval, on "
           "log ratios"},
          {"verdict", atlas::bench::VerdictName(c.verdict)}};
}

std::string Cell(const Comparison& c) {
  if (c.ratios.empty()) return "-";
  const atlas::bench::Interval& i = c.interval;
  if (i.confidence <= 0) {
    return absl::StrFormat(
        "x%.2f (median of %d rounds; too few for an "
        "interval)",
        c.median_ratio, i.n);
  }
  const char* v = atlas::bench::VerdictName(c.verdict);
  return absl::StrFormat(
      "x%.2f [%.2f, %.2f] %s%s%s", i.estimate, i.low, i.high,
      c.verdict == atlas::bench::Verdict::kNoDifference ? "" : "**", v,
      c.verdict == atlas::bench::Verdict::kNoDifference ? "" : "**");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "tools/bench's report: bench_report --raw=raw.log --out=DIR");
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_cyclictest_hist).empty()) {
    return CyclictestPercentiles(absl::GetFlag(FLAGS_cyclictest_hist));
  }
  const std::string raw_path = absl::GetFlag(FLAGS_raw);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (raw_path.empty() || out.empty())
    return Fail("--raw and --out are needed");
  std::ifstream in(raw_path);
  if (!in) return Fail(absl::StrCat("cannot read ", raw_path));
  std::stringstream text;
  text << in.rdbuf();
  const RawLog log = atlas::bench::ParseRawLog(text.str());
  if (log.values.empty()) return Fail(absl::StrCat(raw_path, ": no results"));
  const std::string baseline = absl::GetFlag(FLAGS_baseline);
  const bool drop_busy = absl::GetFlag(FLAGS_drop_busy);
  const double busy_cpus = absl::GetFlag(FLAGS_busy_host_cpus);

  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& v : log.variants) {
    if (v != baseline) pairs.emplace_back(v, baseline);
  }
  std::vector<std::pair<std::string, std::string>> extra;
  for (const std::string& p : absl::GetFlag(FLAGS_pair)) {
    std::pair<std::string, std::string> ab = absl::StrSplit(p, ':');
    if (ab.first.empty() || ab.second.empty()) {
      return Fail(absl::StrCat("--pair=", p, ": want A:B"));
    }
    extra.push_back(ab);
  }

  nlohmann::json meta = nlohmann::json::object();
  for (const std::string& kv : absl::GetFlag(FLAGS_meta)) {
    std::pair<std::string, std::string> p =
        absl::StrSplit(kv, absl::MaxSplits('=', 1));
    meta[p.first] = p.second;
  }
  meta["baseline"] = baseline;
  meta["variants"] = log.variants;
  meta["drop_busy"] = drop_busy;
  meta["busy_host_cpus"] = busy_cpus;

  nlohmann::json rounds = nlohmann::json::array();
  int nr_busy = 0;
  for (const auto& [r, info] : log.rounds) {
    const bool busy = info.host_other_cpus > busy_cpus;
    nr_busy += busy;
    rounds.push_back({{"round", r},
                      {"seconds", info.seconds},
                      {"order", info.order},
                      {"host_other_cpus", info.host_other_cpus},
                      {"host_busy", busy}});
  }

  nlohmann::json comparisons = nlohmann::json::array();
  nlohmann::json figures = nlohmann::json::object();
  std::vector<std::string> md;
  md.push_back("# Benchmark");
  md.push_back("");
  for (const auto& [k, v] : meta.items()) {
    if (v.is_string())
      md.push_back(absl::StrCat("- ", k, ": ", v.get<std::string>()));
  }
  md.push_back(absl::StrFormat(
      "- %zu rounds, %d marked busy (host CPUs outside the guest > %.2f)%s",
      log.rounds.size(), nr_busy, busy_cpus,
      drop_busy ? ", left out" : ", kept"));
  md.push_back(
      "- each cell: median value, then the ratio to the baseline: "
      "Hodges-Lehmann estimate of the per-round ratios [95 % signed-rank "
      "interval] and the verdict at that level");
  md.push_back("");
  std::string header = absl::StrCat("| figure | ", baseline);
  std::string rule = "| --- | ---";
  for (const auto& [v, b] : pairs) {
    absl::StrAppend(&header, " | ", v);
    rule += " | ---";
  }
  md.push_back(header + " |");
  md.push_back(rule + " |");

  std::ofstream dat(out + "/ratios.dat");
  dat << "figure";
  for (const auto& [v, b] : pairs) dat << " " << v << " low high";
  dat << "\n";
  for (const std::string& metric : log.metrics) {
    const atlas::bench::MetricInfo info = atlas::bench::DescribeMetric(metric);
    nlohmann::json per_variant = nlohmann::json::object();
    std::vector<std::string> row = {
        absl::StrCat(info.label, info.lower_is_better ? ", lower" : ", higher",
                     " is better")};
    auto median_of = [&](const std::string& variant) -> std::string {
      auto m = log.values.find(metric);
      if (m == log.values.end()) return "-";
      auto v = m->second.find(variant);
      if (v == m->second.end() || v->second.empty()) return "-";
      std::vector<double> vals;
      for (const auto& [r, x] : v->second) vals.push_back(x);
      per_variant[variant] = {
          {"per_round", v->second.size()},
          {"median", atlas::bench::Median(vals)},
          {"min", *std::min_element(vals.begin(), vals.end())},
          {"max", *std::max_element(vals.begin(), vals.end())}};
      nlohmann::json& pr = per_variant[variant]["values"];
      for (const auto& [r, x] : v->second) pr[std::to_string(r)] = x;
      return Fmt(atlas::bench::Median(vals));
    };
    row.push_back(median_of(baseline));
    dat << metric;
    for (const auto& [v, b] : pairs) {
      const Comparison c =
          atlas::bench::Compare(log, metric, v, b, 0.95, drop_busy, busy_cpus);
      comparisons.push_back(ToJson(c));
      row.push_back(absl::StrCat(median_of(v), ": ", Cell(c)));
      if (c.interval.confidence > 0) {
        dat << " " << c.interval.estimate << " " << c.interval.low << " "
            << c.interval.high;
      } else if (!c.ratios.empty()) {
        dat << " " << c.median_ratio << " " << c.median_ratio << " "
            << c.median_ratio;
      } else {
        dat << " NaN NaN NaN";
      }
    }
    dat << "\n";
    figures[metric] = {{"label", info.label},
                       {"lower_is_better", info.lower_is_better},
                       {"variants", per_variant}};
    md.push_back(absl::StrCat("| ", absl::StrJoin(row, " | "), " |"));
  }
  dat.close();

  if (!extra.empty()) {
    md.push_back("");
    md.push_back(
        "Pairs (A against B; half-width = the smallest effect this "
        "run could see):");
    md.push_back("");
    md.push_back(
        "| figure | A : B | rounds | ratio A/B [interval] | "
        "half-width |");
    md.push_back("| --- | --- | --- | --- | --- |");
    for (const std::string& metric : log.metrics) {
      for (const auto& [a, b] : extra) {
        const Comparison c = atlas::bench::Compare(log, metric, a, b, 0.95,
                                                   drop_busy, busy_cpus);
        if (c.ratios.empty()) continue;
        comparisons.push_back(ToJson(c));
        md.push_back(absl::StrFormat(
            "| %s | %s : %s | %zu | %s | %s |", metric, a, b, c.ratios.size(),
            Cell(c),
            c.interval.confidence > 0
                ? absl::StrFormat("%.1f %%",
                                  100 * atlas::bench::HalfWidth(c.interval))
                : "-"));
      }
    }
  }

  md.push_back("");
  md.push_back("Rounds (one guest boot each; variants in the order they ran):");
  md.push_back("");
  md.push_back(
      "| round | seconds | order | host CPUs busy outside the guest |");
  md.push_back("| --- | --- | --- | --- |");
  for (const nlohmann::json& r : rounds) {
    md.push_back(absl::StrFormat(
        "| %d | %.0f | %s | %.2f%s |", r["round"].get<int>(),
        r["seconds"].get<double>(),
        absl::StrJoin(r["order"].get<std::vector<std::string>>(), ", "),
        r["host_other_cpus"].get<double>(),
        r["host_busy"].get<bool>() ? " (busy)" : ""));
  }
  if (!log.events.empty()) {
    md.push_back("");
    std::vector<std::string> ev;
    for (const nlohmann::json& e : log.events) {
      ev.push_back(absl::StrCat(e["variant"].get<std::string>(), " ",
                                e["what"].get<std::string>(), " in round ",
                                e["round"].get<int>()));
    }
    md.push_back(absl::StrCat("Events: ", absl::StrJoin(ev, "; ")));
  }

  const nlohmann::json results = {{"meta", meta},
                                  {"rounds", rounds},
                                  {"figures", figures},
                                  {"comparisons", comparisons},
                                  {"counters", log.counters},
                                  {"events", log.events}};
  std::ofstream(out + "/results.json") << results.dump(1) << "\n";
  std::ofstream(out + "/results.md") << absl::StrJoin(md, "\n") << "\n";

  // The chart: one cluster per figure, one bar per variant with its
  // interval, a dashed line at 1 (the baseline).
  std::string plot = absl::StrCat(
      "set terminal png size 1100,520 noenhanced\n", "set output '", out,
      "/ratios.png'\n",
      "set style data histograms\n"
      "set style histogram errorbars gap 1 lw 1\n"
      "set style fill solid 0.7 border -1\n"
      "set key top left autotitle columnheader\n"
      "set ylabel 'ratio to ",
      baseline,
      " (95% interval, log scale)'\nset logscale y 2\n"
      "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2\n"
      "set xtics rotate by -20\n"
      "set title '",
      meta.value("title", std::string("scx_atlas benchmark")), "'\nplot ");
  for (size_t i = 0; i < pairs.size(); ++i) {
    absl::StrAppend(&plot, i ? ", " : "", "'", out, "/ratios.dat' using ",
                    2 + 3 * i, ":", 3 + 3 * i, ":", 4 + 3 * i,
                    ":xtic(1) title '", pairs[i].first, "'");
  }
  absl::StrAppend(&plot, "\n");
  if (!pairs.empty()) {
    FILE* gp = popen("gnuplot 2>/dev/null", "w");
    if (gp != nullptr) {
      std::fputs(plot.c_str(), gp);
      if (pclose(gp) != 0) std::fprintf(stderr, "bench_report: no chart\n");
    }
  }
  std::printf("bench_report: %s/results.md, results.json, ratios.png\n",
              out.c_str());
  return 0;
}

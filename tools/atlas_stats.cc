// SPDX-License-Identifier: GPL-2.0-only
//
// atlas_stats: dumps a running scx_atlas's statistics from its stats socket.
//   atlas_stats                  one table (per-domain loads with bars)
//   atlas_stats --json           one JSON report (scx_stats "top")
//   atlas_stats --openmetrics    OpenMetrics / Prometheus text
//   atlas_stats --meta           what every field means (JSON)
//   atlas_stats --watch=1s ...   again every second, counters as deltas
// Exit status: 0, 1 (cannot reach the scheduler), 2 (bad command line).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "stats/cli.h"
#include "stats/server.h"

ABSL_FLAG(std::string, socket, atlas::kDefaultStatsSocket,
          "scx_atlas's stats socket (its --stats_socket).");
ABSL_FLAG(bool, json, false, "Print the report as one JSON line.");
ABSL_FLAG(bool, openmetrics, false,
          "Print OpenMetrics text (counters since the scheduler attached).");
ABSL_FLAG(bool, meta, false, "Print the description of every field (JSON).");
ABSL_FLAG(absl::Duration, watch, absl::ZeroDuration(),
          "Print again this often (e.g. 1s) until interrupted; counters are "
          "then deltas since the previous print. 0 = once.");

namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "atlas_stats: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "dump a running scx_atlas's statistics.\nUsage: atlas_stats [--json | "
      "--openmetrics | --meta] [--watch=1s] [--socket=PATH]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    return Usage(absl::StrCat("unexpected argument '", rest[1],
                              "' (flags are --name=value; see --help)"));
  }
  const int formats = absl::GetFlag(FLAGS_json) +
                      absl::GetFlag(FLAGS_openmetrics) +
                      absl::GetFlag(FLAGS_meta);
  if (formats > 1) {
    return Usage("--json, --openmetrics and --meta exclude each other");
  }
  const absl::Duration watch = absl::GetFlag(FLAGS_watch);
  if (watch < absl::ZeroDuration() ||
      (watch > absl::ZeroDuration() && watch < absl::Milliseconds(10))) {
    return Usage("--watch must be 0 (once) or at least 10ms");
  }
  if (absl::GetFlag(FLAGS_socket).empty()) return Usage("--socket is empty");
  atlas::StatsCliOptions options;
  options.prog = "atlas_stats";
  options.socket_path = absl::GetFlag(FLAGS_socket);
  options.interval = watch;
  options.output = absl::GetFlag(FLAGS_json) ? atlas::StatsOutput::kJson
                   : absl::GetFlag(FLAGS_openmetrics)
                       ? atlas::StatsOutput::kOpenMetrics
                   : absl::GetFlag(FLAGS_meta) ? atlas::StatsOutput::kMeta
                                               : atlas::StatsOutput::kTable;
  options.stop = atlas::StopOnSigintSigterm();
  return atlas::RunStatsCli(options);
}

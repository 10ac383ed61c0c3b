// SPDX-License-Identifier: GPL-2.0-only
//
// stats/cli.h: the client side of `scx_atlas --monitor` and
// `atlas_stats`: connect to the stats socket, ask, print (a table, JSON
// lines, or OpenMetrics), once or every interval. One connection is kept,
// so every report after the first shows counters since the previous one.
//
// Thread safety: call from one thread; `stop` may be set from a signal
// handler.
#ifndef SCX_ATLAS_STATS_CLI_H_
#define SCX_ATLAS_STATS_CLI_H_

#include <atomic>
#include <string>

#include "absl/time/time.h"

namespace atlas {

enum class StatsOutput { kTable, kJson, kOpenMetrics, kMeta };

struct StatsCliOptions {
  std::string prog = "atlas_stats";  // prefix of error lines
  std::string socket_path;
  absl::Duration interval = absl::ZeroDuration();  // 0: once
  StatsOutput output = StatsOutput::kTable;
  // Wait (and keep waiting across scheduler restarts) while the socket is
  // absent, instead of failing.
  bool wait_for_socket = false;
  const std::atomic<bool>* stop = nullptr;
};

// Returns the process exit status: 0, or 1 after one error line on stderr.
int RunStatsCli(const StatsCliOptions& options);

// Makes SIGINT and SIGTERM set the returned flag (for StatsCliOptions.stop).
const std::atomic<bool>* StopOnSigintSigterm();

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_CLI_H_

// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/run.h: the one lifecycle of scx_atlas, for either mode
// (runtime/mode.h). Preflight (sched_ext, root, no other scheduler), the
// stop signals, the layout (unless the caller read it), the mode's
// preparation, the stats server (once per process, across restarts) and
// the --stats table printer (a thread of its own); then load, attach,
// steps until the kernel ends the scheduler or SIGINT/SIGTERM arrives, the
// final counters, detach and the exit report. A scheduler that asks to be
// restarted (SCX_ECODE_ACT_RESTART, e.g. after CPU hotplug) is loaded
// again for a fresh layout.
//
// Thread safety: call from the main thread only; installs signal handlers.
#ifndef SCX_ATLAS_RUNTIME_RUN_H_
#define SCX_ATLAS_RUNTIME_RUN_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/mode.h"
#include "topology/layout.h"

namespace atlas {

struct RunConfig {
  // The stats server's UNIX socket ("" = none) and optional /metrics.
  std::string stats_socket;
  std::string metrics_listen;
  // --stats: the human table (stats/format.h) this often; 0: never.
  absl::Duration stats_table_interval = absl::ZeroDuration();
  // Builds the domain layout: first (unless first_layout is set), and
  // again on every restart.
  std::function<absl::StatusOr<Layout>()> make_layout;
  // The layout to start with, if the caller has read one (a CPU that comes
  // or goes before the attach makes the kernel restart us, with a layout
  // read again); else make_layout's.
  std::optional<Layout> first_layout;
  // The kernel's online CPUs, read once a second while attached: a CPU of
  // the layout that is not among them (runtime/online_watch.h) restarts
  // the scheduler. Tests give another file (--debug_online_file).
  std::string online_file = "/sys/devices/system/cpu/online";
  // Test hook: a pause between the layout and the first load.
  absl::Duration debug_load_delay = absl::ZeroDuration();
};

// Returns the process exit status: 0 after a clean exit, 1 after an error.
int Run(Mode& mode, RunConfig config);

// Prints "scx_atlas: <message>" on stderr; returns exit status 1.
int Fail(const absl::Status& status);

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_RUN_H_

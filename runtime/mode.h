// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/mode.h: one way of scheduling (balanced: BPF places tasks and a
// planner balances domains; user: a C++ policy decides every task), as the
// runtime (runtime/run.h) drives it. The runtime owns the lifecycle every
// mode shares: preflight, signals, the stats server and the --stats table,
// the exit report and restarts; a mode owns its BPF program and its
// userspace work.
//
// Per process: Prepare once. Per attach: Load, Attach, Step until Exited()
// or a stop signal, Detach; then ExitInfo() says whether to restart
// (Load again, for a fresh layout) or exit.
//
// Thread safety: everything from the runtime's thread, except Sample(),
// which the stats server's and the table printer's threads call at any
// time (UnavailableError while no scheduler is attached).
#ifndef SCX_ATLAS_RUNTIME_MODE_H_
#define SCX_ATLAS_RUNTIME_MODE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shared/intf.h"
#include "stats/sample.h"
#include "topology/layout.h"

namespace atlas {

class Mode {
 public:
  virtual ~Mode() = default;

  // Once, with the first layout, before anything is loaded (user mode
  // locks the process's memory and makes its arena and policy here).
  virtual absl::Status Prepare(const Layout& layout) {
    return absl::OkStatus();
  }
  // Opens and loads the BPF program for `layout` (releasing the previous
  // attach's, if any); `restarts` counts the loads before this one.
  virtual absl::Status Load(const Layout& layout, int restarts) = 0;
  // Makes it the kernel's scheduler and says so on stdout.
  virtual absl::Status Attach() = 0;
  // One step of userspace work; returns within about 50 ms.
  virtual void Step() = 0;
  // The kernel ended the scheduler (or the mode's own work failed).
  virtual bool Exited() const = 0;
  // Prints the counters at the end of an attach ("final stats: ...").
  virtual void PrintFinalStats() = 0;
  // Detaches (ops.exit runs if the kernel has not run it already). Sample()
  // stays safe to call.
  virtual void Detach() = 0;
  // After Detach: whether ops.exit ran, and its record.
  virtual bool ExitRecorded() const = 0;
  virtual atlas_exit_info ExitInfo() const = 0;
  // After Detach: the kernel's debug dump of an error exit (its state when
  // the scheduler failed), or empty.
  virtual std::string ExitDump() const = 0;
  // After Detach: an error of the userspace side that ended the attach
  // (user mode: its locked arena ran out), else OK.
  virtual absl::Status Failure() const { return absl::OkStatus(); }

  virtual absl::StatusOr<StatsSample> Sample() const = 0;
};

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_MODE_H_

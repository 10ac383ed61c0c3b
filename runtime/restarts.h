// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/restarts.h: how the run loop paces the restarts the kernel asks
// for (CPU hotplug ends the scheduler with SCX_ECODE_ACT_RESTART). A lone
// restart reloads at once; while they come fast (a CPU flapping), each
// waits twice as long as the one before, up to max_delay, so a storm costs
// a reload every max_delay at most and the last layout wins; more than
// max_in_window in one window is no longer an ordinary condition and ends
// the process (under systemd, the unit's start limit then decides). Pure.
#ifndef SCX_ATLAS_RUNTIME_RESTARTS_H_
#define SCX_ATLAS_RUNTIME_RESTARTS_H_

#include <deque>
#include <optional>

#include "absl/time/time.h"

namespace atlas {

struct RestartLimits {
  absl::Duration window = absl::Seconds(60);
  int max_in_window = 30;
  absl::Duration first_delay = absl::Milliseconds(50);  // the 2nd in a window
  absl::Duration max_delay = absl::Seconds(2);
};

class RestartPacer {
 public:
  explicit RestartPacer(RestartLimits limits = {}) : limits_(limits) {}

  // A restart request at `now` (a monotonic time): how long to wait before
  // reloading, or nullopt when it is one too many for the window.
  std::optional<absl::Duration> Next(absl::Duration now);

  // Requests counted in the window as of the last Next().
  int InWindow() const { return static_cast<int>(times_.size()); }
  const RestartLimits& limits() const { return limits_; }

 private:
  RestartLimits limits_;
  std::deque<absl::Duration> times_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_RESTARTS_H_

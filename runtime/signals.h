// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/signals.h: the scheduler's signal setup, in one place. SIGINT and
// SIGTERM ask it to stop (detach cleanly); SIGPIPE and SIGHUP are ignored
// (a closed stdout or terminal must not end a scheduler).
//
// Thread safety: install from the main thread before starting threads;
// StopSignal from any thread.
#ifndef SCX_ATLAS_RUNTIME_SIGNALS_H_
#define SCX_ATLAS_RUNTIME_SIGNALS_H_

#include "absl/time/time.h"

namespace atlas {

void InstallStopSignals();
// The stop signal received (SIGINT or SIGTERM), or 0.
int StopSignal();
// Sleeps `d` in steps of at most 20 ms; false as soon as a stop signal has
// come (at once if one came before).
bool SleepUnlessStopped(absl::Duration d);
// The monotonic clock (a wall-clock step does not move it), as the time
// since an arbitrary start: for waits and pacing.
absl::Duration MonotonicNow();

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_SIGNALS_H_

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

namespace atlas {

void InstallStopSignals();
// The stop signal received (SIGINT or SIGTERM), or 0.
int StopSignal();

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_SIGNALS_H_

// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/signals.h"

#include <signal.h>

#include <atomic>

namespace atlas {
namespace {

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int sig) { g_stop_signal.store(sig); }

}  // namespace

void InstallStopSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  // Background jobs of a non-interactive shell start with SIGINT ignored:
  // install our own handler regardless.
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed stdout (SIGPIPE) or a closed terminal (SIGHUP) must not end
  // the scheduler: every task would fall back to the default scheduler.
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

int StopSignal() { return g_stop_signal.load(); }

}  // namespace atlas

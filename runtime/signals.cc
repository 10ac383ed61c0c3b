// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/signals.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "absl/time/clock.h"

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

absl::Duration MonotonicNow() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

bool SleepUnlessStopped(absl::Duration d) {
  const absl::Duration end = MonotonicNow() + d;
  while (StopSignal() == 0) {
    const absl::Duration left = end - MonotonicNow();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, absl::Milliseconds(20)));
  }
  return false;
}

}  // namespace atlas

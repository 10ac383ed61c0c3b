// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/restarts.h"

#include <algorithm>

namespace atlas {

std::optional<absl::Duration> RestartPacer::Next(absl::Duration now) {
  while (!times_.empty() && now - times_.front() >= limits_.window) {
    times_.pop_front();
  }
  times_.push_back(now);
  const int n = static_cast<int>(times_.size());
  if (n > limits_.max_in_window) return std::nullopt;
  if (n == 1) return absl::ZeroDuration();
  absl::Duration delay = limits_.first_delay;
  for (int i = 2; i < n && delay < limits_.max_delay; ++i) delay *= 2;
  return std::min(delay, limits_.max_delay);
}

}  // namespace atlas

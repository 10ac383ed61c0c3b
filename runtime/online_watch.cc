// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/online_watch.h"

#include <fcntl.h>
#include <unistd.h>

namespace atlas {

OnlineWatch::OnlineWatch(const std::string& path, absl::Duration period)
    : period_(period),
      fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)),
      buf_(6 * kMaxCpus + 2) {}

OnlineWatch::~OnlineWatch() {
  if (fd_ >= 0) close(fd_);
}

void OnlineWatch::Arm(const std::vector<int>& cpus, absl::Duration now) {
  layout_.reset();
  for (int cpu : cpus) {
    if (cpu >= 0 && cpu < kMaxCpus) layout_.set(static_cast<size_t>(cpu));
  }
  suspect_ = -1;
  next_ = now + period_;
}

int OnlineWatch::Check(absl::Duration now) {
  if (now < next_) return -1;
  next_ = now + period_;
  const int offline = ReadOffline();
  // The same CPU twice in a row.
  const bool again = offline >= 0 && offline == suspect_;
  suspect_ = offline;
  return again ? offline : -1;
}

int OnlineWatch::ReadOffline() {
  if (fd_ < 0) return -1;
  // sysfs: one read at offset 0 gives the whole list.
  const ssize_t n = pread(fd_, buf_.data(), buf_.size(), 0);
  if (n <= 0 || static_cast<size_t>(n) == buf_.size()) return -1;
  // "0-3,8,10-11\n" into online_, without allocating.
  online_.reset();
  long lo = -1, cur = -1;
  bool range = false;
  for (ssize_t i = 0; i <= n; ++i) {
    const char c = i < n ? buf_[i] : '\n';
    if (c >= '0' && c <= '9') {
      cur = (cur < 0 ? 0 : cur) * 10 + (c - '0');
      if (cur >= kMaxCpus) return -1;
    } else if (c == '-' && !range && cur >= 0) {
      lo = cur, cur = -1, range = true;
    } else if (c == ',' || c == '\n') {
      // A newline ends the list, and only as its last byte.
      if (cur < 0 || (c == '\n' && i < n - 1)) return -1;
      if (!range) lo = cur;
      if (lo > cur) return -1;
      for (long cpu = lo; cpu <= cur; ++cpu) {
        online_.set(static_cast<size_t>(cpu));
      }
      cur = -1, range = false;
      if (c == '\n') break;
    } else {
      return -1;
    }
  }
  if (online_.none()) return -1;
  const std::bitset<kMaxCpus> gone = layout_ & ~online_;
  if (gone.none()) return -1;
  for (int cpu = 0; cpu < kMaxCpus; ++cpu) {
    if (gone.test(static_cast<size_t>(cpu))) return cpu;
  }
  return -1;
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/online_watch.h: the kernel's online CPUs against an attached
// scheduler's layout.
//
// The kernel ends a scheduler when a CPU comes or goes, and refuses one
// whose hotplug number is stale; but a CPU going offline bumps the number
// (sched_cpu_deactivate) before it leaves the online list (__cpu_disable,
// later). A layout read in between has the CPU, attaches with the current
// number, and no later event ends it: its domain then counts a CPU that
// never runs, and tasks the planner moves there wait for other domains to
// steal them, until the next hotplug event. The watch reads the online list
// once a period and names a CPU of the layout that was offline at two
// readings in a row (the first may fall in the instant before the kernel's
// own end of the scheduler reaches userspace). A CPU online but not in the
// layout is the kernel's to catch (the number bumps after the list).
//
// Thread safety: one thread. Check() neither allocates nor blocks but for
// one read of a sysfs file (the user-mode scheduling thread calls it); it
// parses the list itself, as ParseCpuList (topology/domains.h) allocates.
#ifndef SCX_ATLAS_RUNTIME_ONLINE_WATCH_H_
#define SCX_ATLAS_RUNTIME_ONLINE_WATCH_H_

#include <bitset>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "topology/domains.h"

namespace atlas {

class OnlineWatch {
 public:
  explicit OnlineWatch(const std::string& path,
                       absl::Duration period = absl::Seconds(1));
  ~OnlineWatch();
  OnlineWatch(const OnlineWatch&) = delete;
  OnlineWatch& operator=(const OnlineWatch&) = delete;

  // Whether the list could be opened (else Check() never answers).
  bool readable() const { return fd_ >= 0; }
  // For a newly attached layout of `cpus`, at `now` (monotonic).
  void Arm(const std::vector<int>& cpus, absl::Duration now);
  // A CPU of the layout offline at the last two readings, else -1. Reads
  // the list only once a period has passed since the last reading; an
  // unreadable or malformed list is no answer (-1).
  int Check(absl::Duration now);

 private:
  // The first CPU of the layout not in the online list; -1 if none or the
  // list could not be read.
  int ReadOffline();

  absl::Duration period_;
  int fd_ = -1;
  absl::Duration next_;
  int suspect_ = -1;
  std::bitset<kMaxCpus> layout_;
  std::bitset<kMaxCpus> online_;
  std::vector<char> buf_;  // sized once: a list of every CPU, one by one
};

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_ONLINE_WATCH_H_

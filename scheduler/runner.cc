// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler/runner.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "scheduler/exit_info.h"
#include "scheduler/preflight.h"
#include "scheduler/stats.h"
#include "scheduler/topo_check.h"

namespace atlas {
namespace {

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int sig) { g_stop_signal.store(sig); }

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  // Background jobs of a non-interactive shell start with SIGINT ignored:
  // install our own handler regardless.
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "scx_atlas: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

void PrintStats(const BpfScheduler& sched, const char* label) {
  absl::StatusOr<std::vector<uint64_t>> stats = sched.ReadStats();
  if (stats.ok()) {
    std::printf("scx_atlas: %s: %s\n", label, FormatStats(*stats).c_str());
  } else {
    std::fprintf(stderr, "scx_atlas: %s\n",
                 std::string(stats.status().message()).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int RunBalanced(const RunOptions& options) {
  if (absl::Status s = CheckCanLoad(kSchedExtSysfs, geteuid() == 0); !s.ok()) {
    return Fail(s);
  }
  InstallSignalHandlers();
  for (;;) {
    absl::StatusOr<Layout> layout = options.make_layout();
    if (!layout.ok()) return Fail(layout.status());
    absl::StatusOr<std::unique_ptr<BpfScheduler>> sched = BpfScheduler::Load(
        options.scheduler, layout->topology, layout->domains);
    if (!sched.ok()) return Fail(sched.status());
    if (absl::Status s = (*sched)->Attach(); !s.ok()) return Fail(s);
    absl::StatusOr<std::string> topo = VerifyTopoCheck(
        (*sched)->TopoCheck(), layout->topology, layout->domains);
    if (!topo.ok()) {
      (*sched)->Detach();
      return Fail(topo.status());
    }
    std::printf("scx_atlas: BPF topology verified: %s\n", topo->c_str());
    std::printf(
        "scx_atlas: enabled: %zu CPUs in %zu domains, slice %llu us%s\n",
        layout->topology.cpus.size(), layout->domains.size(),
        static_cast<unsigned long long>(options.scheduler.slice_ns / 1000),
        options.scheduler.fifo ? ", fifo" : "");
    std::fflush(stdout);

    absl::Time next_stats = absl::Now() + options.stats_interval;
    while (!(*sched)->Exited() && g_stop_signal.load() == 0) {
      absl::SleepFor(absl::Milliseconds(50));
      if (options.stats_interval > absl::ZeroDuration() &&
          absl::Now() >= next_stats) {
        PrintStats(**sched, "stats");
        next_stats += options.stats_interval;
      }
    }
    const int sig = g_stop_signal.load();
    if (sig != 0) {
      std::printf("scx_atlas: %s received, detaching\n",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    PrintStats(**sched, "final stats");
    (*sched)->Detach();  // runs ops.exit if the kernel has not already
    const atlas_exit_info info = (*sched)->ExitInfo();
    if (!(*sched)->Exited()) {
      std::fprintf(stderr, "scx_atlas: detached, but ops.exit did not run\n");
      return 1;
    }
    if (sig == 0 && WantsRestart(info)) {
      std::printf("scx_atlas: restarting: %s\n", DescribeExit(info).c_str());
      continue;
    }
    const int status = ExitStatus(info);
    std::fprintf(status ? stderr : stdout, "scx_atlas: exited: %s\n",
                 DescribeExit(info).c_str());
    return status;
  }
}

}  // namespace atlas

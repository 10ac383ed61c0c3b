// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/run.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/exit_info.h"
#include "runtime/online_watch.h"
#include "runtime/preflight.h"
#include "runtime/restarts.h"
#include "runtime/signals.h"
#include "stats/format.h"
#include "stats/protocol.h"
#include "stats/report.h"
#include "stats/server.h"

namespace atlas {
namespace {

// --stats: the table every `interval`, from a thread of its own (the
// scheduling thread of user mode must not allocate); skips while the mode
// has nothing attached.
class TablePrinter {
 public:
  TablePrinter(const Mode* mode, absl::Duration interval) {
    if (interval <= absl::ZeroDuration()) return;
    thread_ = std::thread([this, mode, interval] {
      // On the monotonic clock: a wall-clock step must not stop the table.
      std::optional<StatsSample> prev;
      absl::Duration next = MonotonicNow() + interval;
      while (!stop_.load()) {
        absl::SleepFor(absl::Milliseconds(50));
        if (MonotonicNow() < next) continue;
        next += interval;
        absl::StatusOr<StatsSample> s = mode->Sample();
        if (!s.ok()) continue;
        std::printf(
            "%s\n",
            RenderTable(BuildReport(*s, prev ? &*prev : nullptr)).c_str());
        std::fflush(stdout);
        prev = *std::move(s);
      }
    });
  }
  ~TablePrinter() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  TablePrinter(const TablePrinter&) = delete;
  TablePrinter& operator=(const TablePrinter&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The exit record of the last exit the loop reloaded after, for the stats
// (the stats server's threads read it while the loop writes it).
class LastExit {
 public:
  void Set(std::string text) {
    std::lock_guard<std::mutex> lock(mu_);
    text_ = std::move(text);
  }
  std::string Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

}  // namespace

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "scx_atlas: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

namespace {

// A layout that failed because a stop signal came while it waited for CPUs
// to settle (or as the wait ran out) is a clean stop; any other failure
// is one.
int StoppedOrFail(const absl::Status& status) {
  if (StopSignal() == 0 ||
      !(absl::IsCancelled(status) || absl::IsUnavailable(status))) {
    return Fail(status);
  }
  std::printf("scx_atlas: %s received while reading the layout\n",
              StopSignal() == SIGINT ? "SIGINT" : "SIGTERM");
  return 0;
}

// A layout read again because CPUs came or went meanwhile: say so.
void ReportSettling(const Layout& layout) {
  if (layout.unsettled_readings == 0) return;
  std::printf(
      "scx_atlas: CPUs came or went, or were not those online, during %d "
      "readings of the topology; settled after %s\n",
      layout.unsettled_readings,
      absl::FormatDuration(
          absl::Trunc(layout.settle_time, absl::Milliseconds(1)))
          .c_str());
  std::fflush(stdout);
}

// Reads the layout (config.make_layout) into *layout and says when CPUs
// came or went meanwhile; the exit status instead when it failed or a stop
// signal came.
std::optional<int> ReadLayout(const RunConfig& config, Layout* layout) {
  absl::StatusOr<Layout> read = config.make_layout();
  if (!read.ok()) return StoppedOrFail(read.status());
  if (StopSignal() != 0) return StoppedOrFail(absl::CancelledError());
  ReportSettling(*read);
  *layout = *std::move(read);
  return std::nullopt;
}

}  // namespace

int Run(Mode& mode, RunConfig config) {
  if (absl::Status s = CheckCanLoad(kSchedExtSysfs, geteuid() == 0); !s.ok()) {
    return Fail(s);
  }
  InstallStopSignals();
  Layout layout;
  if (config.first_layout) {
    layout = *std::move(config.first_layout);
  } else if (std::optional<int> exit = ReadLayout(config, &layout)) {
    return *exit;
  }
  if (config.debug_load_delay > absl::ZeroDuration()) {
    std::printf("scx_atlas: debug: loading in %s\n",
                absl::FormatDuration(config.debug_load_delay).c_str());
    std::fflush(stdout);
    if (!SleepUnlessStopped(config.debug_load_delay)) return 0;
  }
  if (absl::Status s = mode.Prepare(layout); !s.ok()) return Fail(s);
  LastExit last_exit;
  StatsProtocol protocol([&mode, &last_exit]() -> absl::StatusOr<StatsSample> {
    absl::StatusOr<StatsSample> s = mode.Sample();
    if (s.ok()) s->last_exit = last_exit.Get();
    return s;
  });
  absl::StatusOr<std::unique_ptr<StatsServer>> server =
      StatsServer::StartForScheduler(config.stats_socket, config.metrics_listen,
                                     &protocol);
  if (!server.ok()) return Fail(server.status());
  TablePrinter printer(&mode, config.stats_table_interval);
  RestartPacer pacer;

  OnlineWatch watch(config.online_file);
  if (!watch.readable()) {
    std::printf(
        "scx_atlas: warning: cannot read %s: a CPU of the layout going "
        "offline unannounced is not watched\n",
        config.online_file.c_str());
  }

  for (int restarts = 0;; ++restarts) {
    if (absl::Status s = mode.Load(layout, restarts); !s.ok()) return Fail(s);
    if (absl::Status s = mode.Attach(); !s.ok()) return Fail(s);
    std::vector<int> cpus;
    for (const CpuInfo& c : layout.topology.cpus) cpus.push_back(c.cpu);
    watch.Arm(cpus, MonotonicNow());
    int gone = -1;  // a CPU of the layout that went offline unannounced
    while (!mode.Exited() && StopSignal() == 0) {
      mode.Step();
      if ((gone = watch.Check(MonotonicNow())) >= 0) break;
    }
    const int sig = StopSignal();
    if (sig != 0) {
      std::printf("scx_atlas: %s received, detaching\n",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    mode.PrintFinalStats();
    mode.Detach();
    if (absl::Status s = mode.Failure(); !s.ok()) return Fail(s);
    if (!mode.ExitRecorded()) {
      return Fail(absl::InternalError("detached, but ops.exit did not run"));
    }
    const atlas_exit_info info = mode.ExitInfo();
    // The watch's restart only over our own detach: an error exit the
    // kernel recorded meanwhile keeps its report and status.
    if (sig == 0 && (WantsRestart(info) || (gone >= 0 && !IsErrorExit(info)))) {
      // The kernel's request first: it may have come as the watch spoke.
      const std::string why =
          WantsRestart(info)
              ? DescribeExit(info)
              : absl::StrCat("CPU ", gone,
                             " of the layout is offline, with no hotplug "
                             "event for this scheduler (the layout was read "
                             "as it went)");
      last_exit.Set(why);
      const std::optional<absl::Duration> wait = pacer.Next(MonotonicNow());
      if (!wait) {
        return Fail(absl::UnavailableError(
            absl::StrCat(pacer.InWindow(), " restarts within ",
                         absl::FormatDuration(pacer.limits().window),
                         "; giving up (last: ", why, ")")));
      }
      const std::string after =
          *wait > absl::ZeroDuration()
              ? absl::StrCat(" in ", absl::FormatDuration(*wait))
              : "";
      std::printf("scx_atlas: restarting%s: %s\n", after.c_str(), why.c_str());
      std::fflush(stdout);
      if (!SleepUnlessStopped(*wait)) {
        std::printf("scx_atlas: %s received while waiting to restart\n",
                    StopSignal() == SIGINT ? "SIGINT" : "SIGTERM");
        return 0;
      }
      // CPUs came or went.
      if (std::optional<int> exit = ReadLayout(config, &layout)) return *exit;
      continue;
    }
    const int status = ExitStatus(info);
    std::fprintf(status ? stderr : stdout, "scx_atlas: exited: %s\n",
                 DescribeExit(info).c_str());
    if (const std::string dump = mode.ExitDump();
        status != 0 && !dump.empty()) {
      std::fprintf(stderr, "scx_atlas: the kernel's debug dump:\n%s%s",
                   dump.c_str(), dump.back() == '\n' ? "" : "\n");
    }
    return status;
  }
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
#include "stats/cli.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "absl/time/clock.h"
#include "stats/client.h"
#include "stats/format.h"
#include "stats/protocol.h"

namespace atlas {
namespace {

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop.store(true); }

bool Stopped(const StatsCliOptions& o) {
  return o.stop != nullptr && o.stop->load();
}

// Intervals are kept on the monotonic clock: a wall-clock step must not
// stall --watch / --monitor.
using Clock = std::chrono::steady_clock;

// Sleeps until `until`, waking early when asked to stop.
void NapUntil(const StatsCliOptions& o, Clock::time_point until) {
  while (!Stopped(o) && Clock::now() < until) {
    absl::SleepFor(std::min(absl::Milliseconds(50),
                            absl::FromChrono(until - Clock::now())));
  }
}

int Error(const StatsCliOptions& o, const absl::Status& s) {
  std::fprintf(stderr, "%s: %s\n", o.prog.c_str(),
               std::string(s.message()).c_str());
  return 1;
}

}  // namespace

const std::atomic<bool>* StopOnSigintSigterm() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return &g_stop;
}

int RunStatsCli(const StatsCliOptions& o) {
  std::optional<StatsClient> client;
  bool said_waiting = false;
  Clock::time_point next = Clock::now();
  while (!Stopped(o)) {
    if (!client) {
      absl::StatusOr<StatsClient> c = StatsClient::Connect(o.socket_path);
      if (!c.ok()) {
        if (!o.wait_for_socket || !absl::IsNotFound(c.status())) {
          return Error(o, c.status());
        }
        if (!said_waiting) {
          std::fprintf(stderr, "%s: waiting for %s (is scx_atlas running?)\n",
                       o.prog.c_str(), o.socket_path.c_str());
          said_waiting = true;
        }
        NapUntil(o, Clock::now() + std::chrono::milliseconds(500));
        continue;
      }
      client.emplace(*std::move(c));
      said_waiting = false;
    }
    nlohmann::json request = {{"req", "stats"}, {"args", {{"target", "top"}}}};
    if (o.output == StatsOutput::kOpenMetrics) {
      request["args"]["cumulative"] = "1";
    } else if (o.output == StatsOutput::kMeta) {
      request = {{"req", "stats_meta"}};
    }
    absl::StatusOr<nlohmann::json> resp = client->Request(request);
    if (!resp.ok()) {
      client.reset();
      if (!o.wait_for_socket) return Error(o, resp.status());
      NapUntil(o,
               Clock::now() + std::chrono::milliseconds(500));  // restarting?
      continue;
    }
    switch (o.output) {
      case StatsOutput::kTable:
        std::printf("%s\n", RenderTable(*resp).c_str());
        break;
      case StatsOutput::kJson:
      case StatsOutput::kMeta:
        std::printf("%s\n", DumpJson(*resp).c_str());
        break;
      case StatsOutput::kOpenMetrics:
        std::fputs(RenderOpenMetrics(*resp).c_str(), stdout);
        break;
    }
    std::fflush(stdout);
    if (o.interval <= absl::ZeroDuration()) return 0;
    next += absl::ToChronoNanoseconds(o.interval);
    NapUntil(o, next);
  }
  return 0;
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
//
// stats/server.h: serves StatsProtocol on a UNIX socket (mode 0600), and
// optionally OpenMetrics text on http://HOST:PORT/metrics, from one thread
// of its own: off the scheduling path. One poll() loop, non-blocking
// sockets, bounded everything: a request line longer than max_line gets an
// E2BIG reply and the connection is closed; a client that does not read
// its replies (more than max_output pending) or stays silent for
// idle_timeout is closed; connections beyond max_clients are closed at
// once. Nothing a client sends can make it crash, block or grow without
// bound.
//
// Thread safety: Start and the destructor from one thread; the protocol's
// sampler is called from the server's thread.
#ifndef SCX_ATLAS_STATS_SERVER_H_
#define SCX_ATLAS_STATS_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "stats/protocol.h"

namespace atlas {

inline constexpr char kDefaultStatsSocket[] = "/var/run/scx/root/stats";

// Limits, each per client unless said otherwise. A client's memory is
// bounded before it is spent: its requests are read and answered only
// while its unsent replies are under max_output (a client that sends
// without reading stops being read), so it holds at most max_output + one
// reply + max_line. The root-only socket and the /metrics listener (any
// local user, or the network) have separate client pools, so one cannot
// lock the other out.
struct StatsServerOptions {
  std::string socket_path = kDefaultStatsSocket;
  std::string metrics_listen;  // "HOST:PORT" (IPv4) or empty: no HTTP
  size_t max_line = 64 * 1024;
  size_t max_clients = 256;      // on the socket
  size_t max_http_clients = 64;  // on /metrics
  size_t max_output = 4 << 20;
  // Closed when no request was completed (socket) for idle_timeout, or
  // (/metrics) its request not completed within http_timeout: bytes alone
  // (a slowloris) do not keep a connection open.
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration http_timeout = absl::Seconds(10);
  // Closed when its replies wait, and none of them could be sent, for
  // this long (it does not read).
  absl::Duration output_timeout = absl::Seconds(10);
};

class StatsServer {
 public:
  // The scheduler's server: none (nullptr) when `socket_path` is empty;
  // errors say "stats server: ...". Prints where it serves.
  static absl::StatusOr<std::unique_ptr<StatsServer>> StartForScheduler(
      const std::string& socket_path, const std::string& metrics_listen,
      const StatsProtocol* protocol);

  // Binds the socket(s) and starts serving. Creates the socket's directory;
  // replaces a stale socket; fails if another process serves on it.
  static absl::StatusOr<std::unique_ptr<StatsServer>> Start(
      const StatsServerOptions& options, const StatsProtocol* protocol);
  ~StatsServer();  // stops the thread, closes everything, unlinks the socket
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  uint64_t requests() const { return requests_.load(); }
  // Clients dropped because serving them failed (an allocation).
  uint64_t failures() const { return failures_.load(); }
  size_t clients() const { return clients_.load(); }
  // The TCP port /metrics is served on (useful with port 0), or 0.
  int metrics_port() const { return metrics_port_; }

 private:
  StatsServer(const StatsServerOptions& options, const StatsProtocol* protocol)
      : options_(options), protocol_(protocol) {}
  void Loop();

  StatsServerOptions options_;
  const StatsProtocol* protocol_;
  int listen_fd_ = -1;
  int http_fd_ = -1;
  int wake_fd_ = -1;
  int metrics_port_ = 0;
  uint64_t socket_ino_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<size_t> clients_{0};
  std::thread thread_;
};

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_SERVER_H_

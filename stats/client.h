// SPDX-License-Identifier: GPL-2.0-only
//
// stats/client.h: a client of the stats socket (stats/protocol.h). One
// connection; each Request sends one line and reads one line back, within
// a timeout. The server keeps per-connection state, so a client that stays
// connected sees counters as deltas since its previous request.
//
// Thread safety: one thread per client.
#ifndef SCX_ATLAS_STATS_CLIENT_H_
#define SCX_ATLAS_STATS_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace atlas {

class StatsClient {
 public:
  // NotFound if nothing listens at `path` (no file, or a stale socket).
  static absl::StatusOr<StatsClient> Connect(const std::string& path);
  StatsClient(StatsClient&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StatsClient& operator=(StatsClient&&) = delete;
  ~StatsClient();

  // Sends `request`; returns args.resp of a reply with errno 0, else an
  // error with the server's message.
  absl::StatusOr<nlohmann::json> Request(
      const nlohmann::json& request, absl::Duration timeout = absl::Seconds(5));

 private:
  explicit StatsClient(int fd) : fd_(fd) {}
  int fd_;
  std::string pending_;  // bytes read past the last reply
};

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_CLIENT_H_

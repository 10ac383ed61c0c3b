// SPDX-License-Identifier: GPL-2.0-only
//
// stats/protocol.h: the scx_stats request/response protocol, without the
// socket. One JSON object per line each way:
//   {"req":"stats","args":{"target":"top"}}  ->
//   {"errno":0,"args":{"resp":{..}}}
//   {"req":"stats_meta"}                     ->
//   {"errno":0,"args":{"resp":{..}}}
// Anything else gets a non-zero errno and {"resp": "<what was wrong>"}.
// Counters in "stats" are deltas since the same client's previous "stats"
// request (its first: since the scheduler attached); with
// "args":{"cumulative":"1"} they are totals since the scheduler attached
// and the client's state is left alone (what OpenMetrics scrapers need).
//
// Thread safety: Handle may be called from one thread at a time per client
// state; the sampler must be safe to call from the caller's thread.
#ifndef SCX_ATLAS_STATS_PROTOCOL_H_
#define SCX_ATLAS_STATS_PROTOCOL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "stats/sample.h"

namespace atlas {

struct StatsClientState {
  std::optional<StatsSample> prev;
};

class StatsProtocol {
 public:
  using Sampler = std::function<absl::StatusOr<StatsSample>()>;
  explicit StatsProtocol(Sampler sampler) : sampler_(std::move(sampler)) {}

  // One request line (without its newline) in, one response line (without
  // its newline) out. Never throws.
  std::string Handle(std::string_view line, StatsClientState* client) const;

  // The "top" report with cumulative counters (for /metrics).
  absl::StatusOr<nlohmann::json> Cumulative() const;

  // An error response line.
  static std::string Error(int err, std::string_view message);

 private:
  Sampler sampler_;
};

// Serializes without throwing (invalid UTF-8 is replaced).
std::string DumpJson(const nlohmann::json& j);

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_PROTOCOL_H_

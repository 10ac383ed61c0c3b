// SPDX-License-Identifier: GPL-2.0-only
//
// stats/metrics_http.h: the HTTP side of the stats server, without the
// socket: one request (HTTP/1.0 semantics, one exchange per connection) in,
// one response out. GET /metrics serves the cumulative report as
// OpenMetrics text; anything else gets 404; a header that does not end
// within max_header bytes gets 431.
//
// Thread safety: stateless; the protocol's sampler is called from the
// caller's thread.
#ifndef SCX_ATLAS_STATS_METRICS_HTTP_H_
#define SCX_ATLAS_STATS_METRICS_HTTP_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "stats/protocol.h"

namespace atlas {

// The response to the request whose bytes so far are `request`, or nullopt
// while its header has not ended (and is within max_header bytes).
std::optional<std::string> MetricsHttpResponse(std::string_view request,
                                               const StatsProtocol& protocol,
                                               size_t max_header);

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_METRICS_HTTP_H_

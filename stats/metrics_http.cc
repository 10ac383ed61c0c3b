// SPDX-License-Identifier: GPL-2.0-only
#include "stats/metrics_http.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "stats/format.h"

namespace atlas {
namespace {

std::string HttpResponse(int code, const char* reason, const char* type,
                         const std::string& body) {
  return absl::StrCat("HTTP/1.0 ", code, " ", reason,
                      "\r\nContent-Type: ", type,
                      "\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

std::optional<std::string> MetricsHttpResponse(std::string_view request,
                                               const StatsProtocol& protocol,
                                               size_t max_header) {
  if (request.find("\r\n\r\n") == std::string_view::npos) {
    if (request.size() <= max_header) return std::nullopt;
    return HttpResponse(431, "Request Header Fields Too Large", "text/plain",
                        "header too large\n");
  }
  if (!absl::StartsWith(request, "GET /metrics ") &&
      !absl::StartsWith(request, "GET /metrics?")) {
    return HttpResponse(404, "Not Found", "text/plain",
                        "only GET /metrics is served here\n");
  }
  absl::StatusOr<nlohmann::json> top = protocol.Cumulative();
  if (!top.ok()) {
    return HttpResponse(503, "Service Unavailable", "text/plain",
                        absl::StrCat(top.status().message(), "\n"));
  }
  return HttpResponse(
      200, "OK", "application/openmetrics-text; version=1.0.0; charset=utf-8",
      RenderOpenMetrics(*top));
}

}  // namespace atlas

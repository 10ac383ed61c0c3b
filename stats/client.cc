// SPDX-License-Identifier: GPL-2.0-only
#include "stats/client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "stats/protocol.h"

namespace atlas {

using nlohmann::json;

absl::StatusOr<StatsClient> StatsClient::Connect(const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    const std::string msg =
        absl::StrCat("cannot connect to ", path, ": ", strerror(err));
    if (err == ENOENT || err == ECONNREFUSED) {
      return absl::NotFoundError(
          absl::StrCat(msg, " (is scx_atlas running? --socket=PATH)"));
    }
    return absl::PermissionDeniedError(msg);
  }
  return StatsClient(fd);
}

StatsClient::~StatsClient() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<json> StatsClient::Request(const json& request,
                                          absl::Duration timeout) {
  const std::string line = DumpJson(request) + "\n";
  for (size_t off = 0; off < line.size();) {
    const ssize_t n =
        send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("stats socket: send: ", strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  // On the monotonic clock: a wall-clock step must not end or stretch the
  // wait.
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  size_t nl;
  while ((nl = pending_.find('\n')) == std::string::npos) {
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           deadline - std::chrono::steady_clock::now())
                           .count();
    struct pollfd p = {fd_, POLLIN, 0};
    const int r = ms > 0 ? poll(&p, 1, static_cast<int>(ms)) : 0;
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          "stats socket: no reply within ", absl::FormatDuration(timeout)));
    }
    char buf[64 * 1024];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          "stats socket: the server closed the connection");
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
  const json reply =
      json::parse(pending_.substr(0, nl), nullptr, /*allow_exceptions=*/false);
  pending_.erase(0, nl + 1);
  if (!reply.is_object() || !reply.contains("errno") ||
      !reply["errno"].is_number_integer()) {
    return absl::DataLossError("stats socket: malformed reply");
  }
  json resp;
  if (reply.contains("args") && reply["args"].is_object() &&
      reply["args"].contains("resp")) {
    resp = reply["args"]["resp"];
  }
  if (const int err = reply["errno"].get<int>(); err != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stats server: ", resp.is_string() ? resp.get<std::string>()
                                           : std::string(strerror(err))));
  }
  return resp;
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
#include "stats/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <list>
#include <new>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "stats/metrics_http.h"

namespace atlas {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxHttpHeader = 8 * 1024;

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(errno)));
}

// mkdir -p for the socket's directory.
absl::Status MakeParents(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos;
       pos = path.find('/', pos + 1)) {
    const std::string dir = path.substr(0, pos);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return Errno(absl::StrCat("cannot create directory ", dir));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ListenUnix(const std::string& path, uint64_t* ino) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path[0] != '/' || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stats socket path '", path, "' must be absolute and shorter than ",
        sizeof(addr.sun_path), " bytes"));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (absl::Status s = MakeParents(path); !s.ok()) return s;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, " exists and is not a socket"));
    }
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live =
        probe >= 0 &&
        connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) close(probe);
    if (live) {
      return absl::AlreadyExistsError(
          absl::StrCat("another process serves stats on ", path,
                       " (another scx_atlas? use --stats_socket=PATH)"));
    }
    unlink(path.c_str());  // stale, e.g. left by a killed scx_atlas
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket(AF_UNIX)");
  const mode_t old_mask = umask(0177);  // the socket is born 0600
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old_mask);
  if (rc != 0) {
    absl::Status s = Errno(absl::StrCat("cannot bind stats socket ", path));
    close(fd);
    return s;
  }
  if (listen(fd, 128) != 0 || stat(path.c_str(), &st) != 0) {
    absl::Status s = Errno(absl::StrCat("cannot listen on ", path));
    close(fd);
    unlink(path.c_str());
    return s;
  }
  *ino = st.st_ino;
  return fd;
}

absl::StatusOr<int> ListenTcp(const std::string& host_port, int* port_out) {
  const size_t colon = host_port.rfind(':');
  int port = -1;
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port < 0 ||
      port > 65535 ||
      inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) !=
          1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen='", host_port,
                     "': want IPV4:PORT, e.g. 127.0.0.1:9464"));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket(AF_INET)");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 64) != 0) {
    absl::Status s = Errno(absl::StrCat("cannot listen on ", host_port));
    close(fd);
    return s;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port_out = ntohs(addr.sin_port);
  return fd;
}

struct Client {
  using Clock = std::chrono::steady_clock;
  int fd = -1;
  bool http = false;
  bool closing = false;  // no more input; close once `out` is sent
  std::string in;
  std::string out;
  size_t out_off = 0;
  // On the monotonic clock: a wall-clock step must not close every client
  // (forward) or keep idle ones forever (backward). `deadline_from`: when
  // it connected or last completed a request; `stuck_since`: when its
  // output last moved (or began to wait).
  Clock::time_point deadline_from;
  Clock::time_point stuck_since;
  StatsClientState state;

  size_t Pending() const { return out.size() - out_off; }
};

}  // namespace

absl::StatusOr<std::unique_ptr<StatsServer>> StatsServer::Start(
    const StatsServerOptions& options, const StatsProtocol* protocol) {
  std::unique_ptr<StatsServer> server(new StatsServer(options, protocol));
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<int> fd =
        ListenTcp(options.metrics_listen, &server->metrics_port_);
    if (!fd.ok()) return fd.status();
    server->http_fd_ = *fd;
  }
  absl::StatusOr<int> fd =
      ListenUnix(options.socket_path, &server->socket_ino_);
  if (!fd.ok()) return fd.status();
  server->listen_fd_ = *fd;
  server->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (server->wake_fd_ < 0) return Errno("eventfd");
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  return server;
}

absl::StatusOr<std::unique_ptr<StatsServer>> StatsServer::StartForScheduler(
    const std::string& socket_path, const std::string& metrics_listen,
    const StatsProtocol* protocol) {
  if (socket_path.empty()) return std::unique_ptr<StatsServer>();
  StatsServerOptions options;
  options.socket_path = socket_path;
  options.metrics_listen = metrics_listen;
  absl::StatusOr<std::unique_ptr<StatsServer>> started =
      Start(options, protocol);
  if (!started.ok()) {
    return absl::UnavailableError(
        absl::StrCat("stats server: ", started.status().message()));
  }
  std::printf("scx_atlas: stats on %s%s%s\n", socket_path.c_str(),
              metrics_listen.empty() ? "" : ", OpenMetrics on http://",
              metrics_listen.empty()
                  ? ""
                  : absl::StrCat(metrics_listen, "/metrics").c_str());
  return started;
}

StatsServer::~StatsServer() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      // The eventfd cannot be full; nothing else to do.
    }
    thread_.join();
  }
  for (int fd : {listen_fd_, http_fd_, wake_fd_}) {
    if (fd >= 0) close(fd);
  }
  // Unlink the socket only if it is still the one this server bound.
  struct stat st;
  if (listen_fd_ >= 0 && stat(options_.socket_path.c_str(), &st) == 0 &&
      st.st_ino == socket_ino_) {
    unlink(options_.socket_path.c_str());
  }
}

void StatsServer::Loop() {
  std::list<Client> clients;
  std::vector<struct pollfd> fds;
  std::vector<Client*> owners;
  std::vector<char> buf(kReadChunk);
  size_t nr_socket = 0, nr_http = 0;
  using Clock = Client::Clock;

  auto accept_all = [&](int listen_fd, bool http) {
    size_t& count = http ? nr_http : nr_socket;
    const size_t max = http ? options_.max_http_clients : options_.max_clients;
    for (;;) {
      const int fd =
          accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a transient error: poll again
      if (count >= max) {
        close(fd);
        continue;
      }
      Client& c = clients.emplace_back();
      c.fd = fd;
      c.http = http;
      c.deadline_from = c.stuck_since = Clock::now();
      ++count;
    }
  };
  // Answers the complete requests in c.in while its unsent replies are
  // under max_output (the rest wait in c.in until they are sent).
  auto process = [&](Client& c, Clock::time_point now) {
    if (c.http) {
      std::optional<std::string> response =
          MetricsHttpResponse(c.in, *protocol_, kMaxHttpHeader);
      if (!response) return;  // the header has not ended yet
      c.out = *std::move(response);
      c.stuck_since = now;
      requests_.fetch_add(1);
      c.in.clear();
      c.closing = true;
      return;
    }
    size_t start = 0;
    while (c.Pending() < options_.max_output) {
      const size_t nl = c.in.find('\n', start);
      const size_t len = (nl == std::string::npos ? c.in.size() : nl) - start;
      if (len > options_.max_line) {
        c.out += StatsProtocol::Error(
            E2BIG, absl::StrCat("request line longer than ", options_.max_line,
                                " bytes"));
        c.out += '\n';
        c.in.clear();
        c.closing = true;
        return;
      }
      if (nl == std::string::npos) break;
      absl::string_view line(c.in.data() + start, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) {
        if (c.Pending() == 0) c.stuck_since = now;
        c.out += protocol_->Handle(line, &c.state);
        c.out += '\n';
        requests_.fetch_add(1);
        c.deadline_from = now;
      }
      start = nl + 1;
    }
    c.in.erase(0, start);
  };
  // Sends what it can; false if the connection is done for.
  auto flush = [&](Client& c, Clock::time_point now) {
    while (c.out_off < c.out.size()) {
      const ssize_t n = send(c.fd, c.out.data() + c.out_off,
                             c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      c.out_off += static_cast<size_t>(n);
      c.stuck_since = now;
    }
    c.out.clear();
    c.out_off = 0;
    if (c.out.capacity() > kReadChunk) c.out.shrink_to_fit();
    return !c.closing;
  };
  // One client's turn; false if it is to be closed.
  auto serve = [&](Client& c, short revents, Clock::time_point now) {
    if (revents & POLLIN) {
      // Read a bounded amount per round so one client cannot starve the
      // others, and nothing while its replies pile up unread.
      for (int round = 0;
           round < 4 && !c.closing && c.Pending() < options_.max_output;
           ++round) {
        const ssize_t n = read(c.fd, buf.data(), buf.size());
        if (n > 0) {
          c.in.append(buf.data(), static_cast<size_t>(n));
          process(c, now);
          if (static_cast<size_t>(n) < buf.size()) break;
        } else if (n == 0) {
          // Half-closed: answer what came (a last line may lack its
          // newline), then close.
          if (!c.http && !c.in.empty()) {
            c.in += '\n';
            process(c, now);
          }
          c.closing = true;
          c.in.clear();
        } else {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return false;
          }
          break;
        }
      }
    } else if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
      c.closing = true;
      if (c.Pending() == 0 || (revents & POLLNVAL)) return false;
    }
    if (c.Pending() > 0 || c.closing) {
      if (!flush(c, now)) return false;
      // Room again: the requests that waited in c.in.
      if (c.Pending() == 0 && !c.closing && !c.in.empty()) {
        process(c, now);
        if (!flush(c, now)) return false;
      }
    }
    if (c.closing && c.Pending() == 0) return false;
    return true;
  };
  // Whether a client is past one of its deadlines.
  auto expired = [&](const Client& c, Clock::time_point now) {
    const auto idle = absl::ToChronoNanoseconds(
        c.http ? std::min(options_.http_timeout, options_.idle_timeout)
               : options_.idle_timeout);
    if (c.Pending() > 0) {
      return now - c.stuck_since >
             absl::ToChronoNanoseconds(options_.output_timeout);
    }
    return now - c.deadline_from > idle;
  };
  auto drop = [&](Client& c) {
    close(c.fd);
    c.fd = -1;
    --(c.http ? nr_http : nr_socket);
    // Its buffers go now, not when the list is pruned.
    std::string().swap(c.in);
    std::string().swap(c.out);
  };

  for (;;) {
    // An exception (an allocation that failed) must not end the process:
    // the scheduler runs on. A client whose turn threw is dropped.
    try {
      fds.clear();
      owners.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      owners.push_back(nullptr);
      fds.push_back({listen_fd_, POLLIN, 0});
      owners.push_back(nullptr);
      if (http_fd_ >= 0) {
        fds.push_back({http_fd_, POLLIN, 0});
        owners.push_back(nullptr);
      }
      const size_t first_client = fds.size();
      for (Client& c : clients) {
        short events = 0;
        if (!c.closing && c.Pending() < options_.max_output &&
            c.in.size() <= options_.max_line) {
          events |= POLLIN;
        }
        if (c.Pending() > 0) events |= POLLOUT;
        fds.push_back({c.fd, events, 0});
        owners.push_back(&c);
      }
      clients_.store(clients.size());
      const int ready = poll(fds.data(), fds.size(), 1000);
      if (ready < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) break;  // stop
      if (fds[1].revents & POLLIN) accept_all(listen_fd_, false);
      if (http_fd_ >= 0 && (fds[2].revents & POLLIN)) {
        accept_all(http_fd_, true);
      }
      const auto now = Clock::now();
      for (size_t i = first_client; i < fds.size(); ++i) {
        Client& c = *owners[i];
        bool keep = false;
        try {
          keep = serve(c, fds[i].revents, now) && !expired(c, now);
        } catch (const std::bad_alloc&) {
          failures_.fetch_add(1);
        }
        if (!keep) drop(c);
      }
      // Clients that were not polled ready this round.
      for (Client& c : clients) {
        if (c.fd >= 0 && expired(c, now)) drop(c);
      }
      clients.remove_if([](const Client& c) { return c.fd < 0; });
    } catch (const std::exception& e) {
      failures_.fetch_add(1);
      std::fprintf(stderr, "scx_atlas: stats server: %s; closing %zu clients\n",
                   e.what(), clients.size());
      for (Client& c : clients) {
        if (c.fd >= 0) close(c.fd);
      }
      clients.clear();
      nr_socket = nr_http = 0;
    }
  }
  for (Client& c : clients) {
    if (c.fd >= 0) close(c.fd);
  }
  clients_.store(0);
}

}  // namespace atlas

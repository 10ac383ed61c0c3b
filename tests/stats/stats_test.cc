// SPDX-License-Identifier: GPL-2.0-only
// The stats report, the scx_stats protocol, the table and OpenMetrics
// renderings, and the server over a real UNIX socket, abused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/intf.h"
#include "stats/client.h"
#include "stats/format.h"
#include "stats/metrics_http.h"
#include "stats/protocol.h"
#include "stats/report.h"
#include "stats/server.h"

namespace atlas {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// 2 nodes x 2 domains of 2 CPUs; counters and busy time grow by `step` per
// call, one second apart.
StatsSample MakeSample(uint64_t step) {
  StatsSample s;
  s.started_ns = 1'000'000'000;
  s.at_ns = s.started_ns + step * 1'000'000'000;
  s.counters.assign(ATLAS_NR_STATS, 0);
  s.counters[ATLAS_STAT_DISPATCH_DOMAIN] = 30 * step;
  s.counters[ATLAS_STAT_DISPATCH_STEAL] = 10 * step;
  s.counters[ATLAS_STAT_SEL_PREV_IDLE] = 5 * step;
  s.counters[ATLAS_STAT_MIGRATE_APPLIED] = 2 * step;
  s.counters[ATLAS_STAT_MIGRATE_STALE] = step;
  s.cpu_busy_ns.assign(8, 0);
  for (int c = 0; c < 8; ++c) s.cpu_busy_ns[c] = step * 500'000'000;  // 50%
  for (int d = 0; d < 4; ++d) {
    DomainSample ds;
    ds.node = d / 2;
    ds.cpus = {2 * d, 2 * d + 1};
    ds.capacity = 2;
    ds.load = d == 0 ? 3.0 : 1.0;  // domain 0 busier
    ds.load_at_last_pass = 0.5;
    ds.nr_tasks = 4;
    ds.runnable = ds.load;
    ds.direct_greedy = d != 0;
    ds.kick_greedy = true;
    s.domains.push_back(ds);
  }
  s.slice_ns = 20'000'000;
  s.balance_passes = step;
  s.last_pass_ns = 40'000;
  s.last_pass_read_ns = 30'000;
  s.last_pass_balance_ns = 6'000;
  s.last_pass_write_ns = 4'000;
  s.last_pass_tasks = 136;
  return s;
}

std::set<std::string> Keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

TEST(Report, CountersAreDeltasAndFirstReportIsSinceStart) {
  const StatsSample s1 = MakeSample(1), s3 = MakeSample(3);
  const json first = BuildReport(s1, nullptr);
  EXPECT_EQ(first["dispatch_total"], 40);
  EXPECT_EQ(first["events"]["dispatch_steal"], 10);
  EXPECT_DOUBLE_EQ(first["period_s"].get<double>(), 1.0);
  const json later = BuildReport(s3, &s1);
  EXPECT_EQ(later["dispatch_total"], 80);
  EXPECT_EQ(later["migrations_applied"], 4);
  EXPECT_EQ(later["migrations_rejected"], 2);  // stale counts as rejected
  EXPECT_EQ(later["balance_passes"], 2);
  EXPECT_DOUBLE_EQ(later["period_s"].get<double>(), 2.0);
  EXPECT_NEAR(later["event_pct"]["dispatch_domain"].get<double>(), 75, 1e-9);
  EXPECT_NEAR(later["cpu_busy_pct"].get<double>(), 50, 1e-9);
  EXPECT_DOUBLE_EQ(later["last_pass_us"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(later["last_pass_read_us"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(later["last_pass_balance_us"].get<double>(), 6);
  EXPECT_DOUBLE_EQ(later["last_pass_write_us"].get<double>(), 4);
  EXPECT_EQ(later["last_pass_tasks"], 136);
  // A sample from another scheduler instance is not a baseline.
  StatsSample other = s1;
  other.started_ns = 7;
  EXPECT_EQ(BuildReport(s3, &other)["dispatch_total"], 120);
}

TEST(Report, LoadsImbalanceAndNodes) {
  const json r = BuildReport(MakeSample(1), nullptr);
  EXPECT_DOUBLE_EQ(r["total_load"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(r["load_per_cpu"].get<double>(), 0.75);
  // Domain 0: 1.5 per CPU vs 0.75 machine-wide: +100 %.
  EXPECT_NEAR(r["domains"]["0"]["imbalance_pct"].get<double>(), 100, 1e-9);
  EXPECT_NEAR(r["domains"]["1"]["imbalance_pct"].get<double>(), -100.0 / 3,
              1e-9);
  EXPECT_NEAR(r["domains"]["0"]["load_change"].get<double>(), 2.5, 1e-9);
  EXPECT_NEAR(r["nodes"]["0"]["load"].get<double>(), 4.0, 1e-9);
  EXPECT_NEAR(r["nodes"]["1"]["imbalance_pct"].get<double>(), -100.0 / 3, 1e-9);
  EXPECT_EQ(r["direct_greedy_domains"], json({1, 2, 3}));
  EXPECT_EQ(r["nodes"]["1"]["domains"], json({2, 3}));
}

TEST(Report, EveryFieldIsDescribedAndEveryDescribedFieldIsThere) {
  const json r = BuildReport(MakeSample(2), nullptr);
  const json meta = StatsMeta();
  EXPECT_EQ(Keys(r), Keys(meta["top"]["fields"]));
  EXPECT_EQ(Keys(r["domains"]["0"]), Keys(meta["domain"]["fields"]));
  EXPECT_EQ(Keys(r["nodes"]["0"]), Keys(meta["node"]["fields"]));
  EXPECT_EQ(r["events"].size(), static_cast<size_t>(ATLAS_NR_STATS));
  const std::string text = DescribeStats();
  for (const auto& key : Keys(r)) EXPECT_THAT(text, HasSubstr(key));
  EXPECT_THAT(text, HasSubstr("sel_prev_core"));
}

class FakeSampler {
 public:
  absl::StatusOr<StatsSample> operator()() {
    if (fail_.load()) return absl::UnavailableError("scheduler restarting");
    return MakeSample(++calls_);
  }
  std::atomic<uint64_t> calls_{0};
  std::atomic<bool> fail_{false};
};

json Parse(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << line;
  return j;
}

TEST(Protocol, StatsMetaAndErrors) {
  FakeSampler sampler;
  StatsProtocol protocol([&] { return sampler(); });
  StatsClientState client;
  json r = Parse(
      protocol.Handle(R"({"req":"stats","args":{"target":"top"}})", &client));
  EXPECT_EQ(r["errno"], 0);
  EXPECT_EQ(r["args"]["resp"]["dispatch_total"], 40);
  r = Parse(protocol.Handle(R"({"req":"stats_meta"})", &client));
  EXPECT_EQ(r["errno"], 0);
  EXPECT_TRUE(r["args"]["resp"]["top"]["fields"].contains("domains"));
  for (const char* bad :
       {"", "{", "[1,2]", "42", R"({"req":5})", R"({"args":{}})",
        R"({"req":"stats","args":[1]})", R"({"req":"bogus"})",
        R"({"req":"stats","args":{"target":"nope"}})",
        R"({"req":"stats","args":{"cumulative":"yes"}})", "\xff\xfe{\"req\"",
        R"({"req":"\ud800"})"}) {
    r = Parse(protocol.Handle(bad, &client));
    EXPECT_EQ(r["errno"], EINVAL) << bad;
    EXPECT_TRUE(r["args"]["resp"].is_string()) << bad;
  }
  sampler.fail_ = true;
  r = Parse(protocol.Handle(R"({"req":"stats"})", &client));
  EXPECT_EQ(r["errno"], EAGAIN);
  EXPECT_THAT(r["args"]["resp"].get<std::string>(), HasSubstr("restarting"));
}

TEST(Protocol, DeltasArePerClient) {
  FakeSampler sampler;
  StatsProtocol protocol([&] { return sampler(); });
  StatsClientState a, b;
  const std::string req = R"({"req":"stats"})";
  EXPECT_EQ(Parse(protocol.Handle(req, &a))["args"]["resp"]["dispatch_total"],
            40);  // step 1, since start
  EXPECT_EQ(Parse(protocol.Handle(req, &b))["args"]["resp"]["dispatch_total"],
            80);  // step 2, since start
  EXPECT_EQ(Parse(protocol.Handle(req, &a))["args"]["resp"]["dispatch_total"],
            80);  // step 3 - step 1
  EXPECT_EQ(Parse(protocol.Handle(req, &b))["args"]["resp"]["dispatch_total"],
            80);  // step 4 - step 2
  // Cumulative: since start, and it does not move the client's baseline.
  EXPECT_EQ(
      Parse(protocol.Handle(R"({"req":"stats","args":{"cumulative":"1"}})",
                            &a))["args"]["resp"]["dispatch_total"],
      200);  // step 5
  EXPECT_EQ(Parse(protocol.Handle(req, &a))["args"]["resp"]["dispatch_total"],
            120);  // step 6 - step 3
}

// Every line of an OpenMetrics exposition is a TYPE/HELP/UNIT comment, a
// sample of a declared family (counters as _total), or the final # EOF.
void ExpectValidOpenMetrics(const std::string& text) {
  const std::regex comment(
      R"(# (TYPE|HELP|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)( .*)?)");
  const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?))");
  std::map<std::string, std::string> types;
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  ASSERT_EQ(start, text.size()) << "text must end with a newline";
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "# EOF");
  int samples = 0;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    std::smatch m;
    if (std::regex_match(lines[i], m, comment)) {
      if (m[1] == "TYPE") types[m[2]] = m[3].str().substr(1);
      continue;
    }
    ASSERT_TRUE(std::regex_match(lines[i], m, sample)) << lines[i];
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_total", "_info"}) {
      const std::string s = suffix;
      if (family.size() > s.size() &&
          family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          types.count(family.substr(0, family.size() - s.size()))) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    ASSERT_TRUE(types.count(family)) << "no TYPE for " << lines[i];
    if (types[family] == "counter") {
      EXPECT_NE(name, family) << "counter sample without _total: " << lines[i];
    }
    ++samples;
  }
  EXPECT_GT(samples, 20);
}

TEST(Format, OpenMetricsParses) {
  const std::string text =
      RenderOpenMetrics(BuildReport(MakeSample(3), nullptr));
  ExpectValidOpenMetrics(text);
  EXPECT_THAT(text,
              HasSubstr("atlas_domain_load{domain=\"0\",node=\"0\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("atlas_dispatch_total 120\n"));
  EXPECT_THAT(text,
              HasSubstr("atlas_events_total{event=\"dispatch_steal\"} 30\n"));
  // Garbage in: still a valid exposition.
  ExpectValidOpenMetrics(RenderOpenMetrics(
      json::parse(R"({"domains":{"x":1,"0":{"load":"a"}},"events":[1]})")));
}

TEST(Format, TableShowsEveryDomainWithABar) {
  const std::string table = RenderTable(BuildReport(MakeSample(2), nullptr));
  EXPECT_THAT(table, HasSubstr("scx_atlas balanced"));
  for (const char* row : {"\n0    ", "\n1    ", "\n2    ", "\n3    "}) {
    EXPECT_THAT(table, HasSubstr(row));
  }
  // Domain 0 is the busiest: a full bar; domain 1 a third of it.
  EXPECT_THAT(table, HasSubstr("|########################|"));
  EXPECT_THAT(table, HasSubstr("|########                |"));
  EXPECT_THAT(table, HasSubstr("steal 25.0%"));
  EXPECT_THAT(table, HasSubstr("0-1"));
  EXPECT_THAT(table, Not(HasSubstr("restarts")));  // none yet
  StatsSample restarted = MakeSample(2);
  restarted.restarts = 3;
  restarted.last_exit = "unregistered by the kernel (kind 66): hotplug";
  EXPECT_THAT(
      RenderTable(BuildReport(restarted, nullptr)),
      HasSubstr("restarts 3 (last: unregistered by the kernel (kind 66): "
                "hotplug)\n"));
  // Garbage in: no crash, still a header.
  EXPECT_THAT(RenderTable(json(42)), HasSubstr("scx_atlas"));
  EXPECT_THAT(RenderTable(json::parse(R"({"domains":{"0":[]},"nodes":5})")),
              HasSubstr("dom"));
}

// --- the server over a real socket -----------------------------------------

// Socket paths must be short (108 bytes): a private directory in /tmp, not
// Bazel's deep TEST_TMPDIR.
std::string TempPath(const std::string& name) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/atlas-stats-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  return dir + "/" + name;
}

int ConnectRaw(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  for (size_t off = 0; off < data.size();) {
    const ssize_t n =
        send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close on us: that is allowed
    off += static_cast<size_t>(n);
  }
}

// Reads until EOF (or 5 s); returns what came.
std::string ReadToEof(int fd) {
  std::string out;
  char buf[4096];
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A good request on a fresh connection gets a correct answer.
void ExpectServesOn(const std::string& path) {
  absl::StatusOr<StatsClient> c = StatsClient::Connect(path);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<json> r = c->Request({{"req", "stats"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["domains"].size(), 4u);
  EXPECT_GT((*r)["dispatch_total"].get<int>(), 0);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath("stats.sock");
    options_.socket_path = path_;
    options_.idle_timeout = absl::Seconds(2);
    options_.metrics_listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<StatsServer>> s =
        StatsServer::Start(options_, &protocol_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void ExpectServes() { ExpectServesOn(path_); }

  FakeSampler sampler_;
  StatsProtocol protocol_{[this] { return sampler_(); }};
  std::string path_;
  StatsServerOptions options_;
  std::unique_ptr<StatsServer> server_;
};

TEST_F(ServerTest, SocketIsPrivateAndAnswers) {
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ExpectServes();
  // Two requests on one connection: the second is a delta.
  absl::StatusOr<StatsClient> c = StatsClient::Connect(path_);
  ASSERT_TRUE(c.ok());
  absl::StatusOr<json> a = c->Request({{"req", "stats"}});
  absl::StatusOr<json> b = c->Request({{"req", "stats"}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT((*a)["dispatch_total"].get<int>(), 40);  // since start
  EXPECT_EQ((*b)["dispatch_total"], 40);             // one step later
  absl::StatusOr<json> bad = c->Request({{"req", "nope"}});
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("unknown request"));
}

TEST_F(ServerTest, SecondServerOnTheSameSocketIsRefusedStaleOneReplaced) {
  absl::StatusOr<std::unique_ptr<StatsServer>> second =
      StatsServer::Start(options_, &protocol_);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("another process serves stats"));
  server_.reset();
  EXPECT_NE(access(path_.c_str(), F_OK), 0) << "socket not removed";
  // A stale socket file (no listener) is replaced.
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  StatsServerOptions opts = options_;
  opts.metrics_listen.clear();
  absl::StatusOr<std::unique_ptr<StatsServer>> again =
      StatsServer::Start(opts, &protocol_);
  ASSERT_TRUE(again.ok()) << again.status();
}

TEST(Server, BadPathsAreClearErrors) {
  FakeSampler sampler;
  StatsProtocol protocol([&] { return sampler(); });
  StatsServerOptions opts;
  for (const std::string& path :
       {std::string("relative/stats"), std::string("/proc/atlas/stats"),
        "/" + std::string(200, 'x')}) {
    opts.socket_path = path;
    absl::StatusOr<std::unique_ptr<StatsServer>> s =
        StatsServer::Start(opts, &protocol);
    EXPECT_FALSE(s.ok()) << path;
  }
  const std::string file = TempPath("not-a-socket");
  std::ofstream(file) << "x";
  opts.socket_path = file;
  absl::StatusOr<std::unique_ptr<StatsServer>> s =
      StatsServer::Start(opts, &protocol);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("not a socket"));
  opts.socket_path = TempPath("ok.sock");
  opts.metrics_listen = "localhost";
  EXPECT_FALSE(StatsServer::Start(opts, &protocol).ok());
}

TEST_F(ServerTest, ServesMetricsOverHttp) {
  ASSERT_GT(server_->metrics_port(), 0);
  auto get = [&](const std::string& request) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->metrics_port()));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    SendAll(fd, request);
    std::string reply = ReadToEof(fd);
    close(fd);
    return reply;
  };
  const std::string ok = get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_THAT(ok, HasSubstr("HTTP/1.0 200 OK\r\n"));
  ExpectValidOpenMetrics(ok.substr(ok.find("\r\n\r\n") + 4));
  EXPECT_THAT(get("GET / HTTP/1.1\r\n\r\n"), HasSubstr("404"));
  EXPECT_THAT(get(std::string(20000, 'G')), HasSubstr("431"));
}

// A server in a child process of its own, so its memory is measured apart
// from the clients' and its death is seen. `before_serving` runs in the
// child once the server is up (e.g. to lower its resource limits).
class ForkedServer {
 public:
  explicit ForkedServer(StatsServerOptions options,
                        std::function<void()> before_serving = nullptr) {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      FakeSampler sampler;
      StatsProtocol protocol([&] { return sampler(); });
      absl::StatusOr<std::unique_ptr<StatsServer>> s =
          StatsServer::Start(options, &protocol);
      if (s.ok() && before_serving) before_serving();
      const char ok = s.ok() ? 1 : 0;
      if (write(ready[1], &ok, 1) != 1 || !ok) _exit(1);
      for (;;) pause();
    }
    close(ready[1]);
    char ok = 0;
    started_ = pid_ > 0 && read(ready[0], &ok, 1) == 1 && ok == 1;
    close(ready[0]);
  }
  ~ForkedServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return started_; }
  // A field of its /proc status, in kB. VmHWM is its peak RSS since the
  // last ResetPeak(), so growth that is freed again is seen too.
  long Kb(const char* field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field, 0) == 0) {
        return std::stol(line.substr(std::strlen(field)));
      }
    }
    return -1L;
  }
  void ResetPeak() const {
    std::ofstream("/proc/" + std::to_string(pid_) + "/clear_refs") << "5";
  }
  // Still running (not dead of its own accord).
  bool Alive() const { return waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
  bool started_ = false;
};

TEST(ServerAbuse, SurvivesAbuseAndKeepsServing) {
  const std::string path_ = TempPath("abuse.sock");
  StatsServerOptions opts;
  opts.socket_path = path_;
  ForkedServer server(opts);
  ASSERT_TRUE(server.started()) << "the server did not start";
  auto server_kb = [&](const char* field) { return server.Kb(field); };
  auto ExpectServes = [&] { ExpectServesOn(path_); };
  ExpectServes();
  std::mt19937_64 rng(7);
  auto round = [&] {
    // Random bytes, some with newlines.
    for (int i = 0; i < 20; ++i) {
      const int fd = ConnectRaw(path_);
      ASSERT_GE(fd, 0);
      std::string junk(1 + rng() % 4096, '\0');
      for (char& ch : junk) ch = static_cast<char>(rng());
      SendAll(fd, junk + "\n");
      shutdown(fd, SHUT_WR);
      const std::string reply = ReadToEof(fd);
      close(fd);
      // Every reply line is valid JSON with a non-zero errno (junk is never
      // a good request).
      size_t start = 0;
      for (size_t nl; (nl = reply.find('\n', start)) != std::string::npos;
           start = nl + 1) {
        json j = json::parse(reply.substr(start, nl - start), nullptr, false);
        ASSERT_TRUE(j.is_object()) << reply.substr(start, nl - start);
        EXPECT_NE(j["errno"], 0);
      }
    }
    // A 10 MB line: an E2BIG reply, then the connection is closed.
    {
      const int fd = ConnectRaw(path_);
      ASSERT_GE(fd, 0);
      std::thread writer([fd] { SendAll(fd, std::string(10 << 20, 'x')); });
      const std::string reply = ReadToEof(fd);
      writer.join();
      close(fd);
      EXPECT_THAT(reply, HasSubstr("\"errno\":7"));
    }
    // Half-written lines left hanging while others are served.
    std::vector<int> hanging;
    for (int i = 0; i < 5; ++i) {
      const int fd = ConnectRaw(path_);
      ASSERT_GE(fd, 0);
      SendAll(fd, R"({"req":"sta)");
      hanging.push_back(fd);
    }
    ExpectServes();
    // 100 concurrent clients, 5 requests each, all answered correctly.
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 100; ++t) {
      threads.emplace_back([&] {
        absl::StatusOr<StatsClient> c = StatsClient::Connect(path_);
        if (!c.ok()) return;
        for (int k = 0; k < 5; ++k) {
          absl::StatusOr<json> r = c->Request({{"req", "stats"}});
          if (r.ok() && (*r)["domains"].size() == 4 &&
              (*r)["dispatch_total"].get<int>() > 0) {
            good.fetch_add(1);
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(good.load(), 500);
    // The hanging ones complete their line now and get their answer.
    for (int fd : hanging) {
      SendAll(fd, "ts\"}\n");
      shutdown(fd, SHUT_WR);
      EXPECT_THAT(ReadToEof(fd), HasSubstr("\"errno\":0"));
      close(fd);
    }
  };
  round();  // warm-up: allocator pools, thread stacks
  const long rss0 = server_kb("VmRSS:");
  server.ResetPeak();  // VmHWM := VmRSS
  ASSERT_LE(server_kb("VmHWM:"), rss0 + 64) << "the peak was not reset";
  for (int i = 0; i < 4; ++i) round();
  const long rss1 = server_kb("VmRSS:");
  const long peak = server_kb("VmHWM:");
  std::printf(
      "server RSS after warm-up %ld kB; after 4 more rounds %ld kB, peak "
      "%ld kB\n",
      rss0, rss1, peak);
  EXPECT_GT(rss0, 0);
  EXPECT_LT(peak - rss0, 2 * 1024) << "the server's memory grows under abuse";
  ExpectServes();
  EXPECT_TRUE(server.Alive()) << "the server process died on its own";
}

// Connects to 127.0.0.1:port; -1 on failure.
int ConnectTcp(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `n` stats requests without reading a reply, from a thread; returns
// when the server stops taking them (the socket's buffers are full) or all
// are sent.
void PipelineWithoutReading(int fd, int n) {
  const std::string req = "{\"req\":\"stats\"}\n";
  std::string batch;
  for (int i = 0; i < 1000; ++i) batch += req;
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  for (int sent = 0; sent < n; sent += 1000) {
    for (size_t off = 0; off < batch.size();) {
      const ssize_t k =
          send(fd, batch.data() + off, batch.size() - off, MSG_NOSIGNAL);
      if (k <= 0) return;  // blocked for 2 s, or closed
      off += static_cast<size_t>(k);
    }
  }
}

// Whether the server closes fd within `secs` while we keep it busy with
// `poke` every 200 ms (send errors and EOF count as closed).
bool ClosedWithin(int fd, double secs, const std::string& poke) {
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<int>(secs * 1000));
  char buf[65536];
  while (std::chrono::steady_clock::now() < end) {
    if (!poke.empty() &&
        send(fd, poke.data(), poke.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
        errno != EAGAIN) {
      return true;
    }
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
    usleep(200'000);
  }
  return false;
}

// A client that sends requests and never reads the replies: the server
// stops reading it once max_output of replies wait, so its memory grows by
// about that (before, one read round answered 15000 requests, tens of MB);
// the client is cut off when nothing could be sent for output_timeout; the
// others are served meanwhile.
TEST(ServerLimits, ANeverReadingPipelinerIsBoundedThenCutOff) {
  const std::string path = TempPath("pipeliner.sock");
  StatsServerOptions opts;
  opts.socket_path = path;
  opts.max_output = 1 << 20;
  opts.output_timeout = absl::Seconds(2);
  ForkedServer server(opts);
  ASSERT_TRUE(server.started());
  ExpectServesOn(path);
  const long rss0 = server.Kb("VmRSS:");
  server.ResetPeak();
  const int fd = ConnectRaw(path);
  ASSERT_GE(fd, 0);
  PipelineWithoutReading(fd, 200'000);
  ExpectServesOn(path);
  const long peak = server.Kb("VmHWM:");
  std::printf("server RSS %ld kB, peak %ld kB with a never-reading client\n",
              rss0, peak);
  EXPECT_LT(peak - rss0, 4 * 1024) << "max_output is 1 MiB";
  EXPECT_TRUE(ClosedWithin(fd, 10, "")) << "the stuck client was kept";
  close(fd);
  ExpectServesOn(path);
  EXPECT_TRUE(server.Alive());
}

// A slowloris: a byte every 200 ms of a line it never ends. Bytes do not
// count as activity, so the idle timeout closes it.
TEST_F(ServerTest, ASlowlorisIsClosedByTheIdleTimeout) {
  const int fd = ConnectRaw(path_);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(ClosedWithin(fd, 10, "x")) << "idle_timeout is 2 s";
  close(fd);
  const int http = ConnectTcp(server_->metrics_port());
  ASSERT_GE(http, 0);
  EXPECT_TRUE(ClosedWithin(http, 20, "G")) << "http_timeout is 10 s";
  close(http);
  ExpectServes();
}

// More /metrics connections than the whole socket pool (256) used to hold:
// the root socket is still served.
TEST_F(ServerTest, MetricsClientsCannotLockOutTheSocket) {
  std::vector<int> fds;
  for (int i = 0; i < 300; ++i) {
    const int fd = ConnectTcp(server_->metrics_port());
    if (fd >= 0) fds.push_back(fd);
  }
  usleep(300'000);  // let the server accept them
  ExpectServes();
  EXPECT_LE(server_->clients(), options_.max_http_clients + 1);
  for (int fd : fds) close(fd);
}

// An allocation that fails while serving a client (its replies grow past
// the address-space limit) drops that client, not the process.
TEST(ServerLimits, AFailedAllocationDropsTheClientNotTheServer) {
  const std::string path = TempPath("nomem.sock");
  StatsServerOptions opts;
  opts.socket_path = path;
  opts.max_output = size_t{1} << 40;  // no limit but memory
  ForkedServer server(opts, [] {
    // Room for what it has plus 128 MiB.
    std::ifstream in("/proc/self/status");
    std::string line;
    long vm_kb = 0;
    while (std::getline(in, line)) {
      if (line.rfind("VmSize:", 0) == 0) vm_kb = std::stol(line.substr(7));
    }
    struct rlimit lim = {};
    lim.rlim_cur = lim.rlim_max =
        static_cast<rlim_t>(vm_kb + 128 * 1024) * 1024;
    setrlimit(RLIMIT_AS, &lim);
  });
  ASSERT_TRUE(server.started());
  const int fd = ConnectRaw(path);
  ASSERT_GE(fd, 0);
  PipelineWithoutReading(fd, 2'000'000);
  EXPECT_TRUE(ClosedWithin(fd, 10, "")) << "the client was not dropped";
  close(fd);
  ASSERT_TRUE(server.Alive()) << "an allocation failure killed the server";
  ExpectServesOn(path);
}

TEST_F(ServerTest, SilentClientsAreClosedAfterTheIdleTimeout) {
  const int fd = ConnectRaw(path_);
  ASSERT_GE(fd, 0);
  SendAll(fd, "{\"req\":");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadToEof(fd), "");  // closed, nothing said
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(secs, 4.5);  // idle_timeout 2 s (+ poll's 1 s tick)
  close(fd);
}

TEST(Client, MissingSocketIsNotFound) {
  absl::StatusOr<StatsClient> c = StatsClient::Connect(TempPath("absent.sock"));
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsNotFound(c.status()));
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("is scx_atlas running"));
}

}  // namespace
}  // namespace atlas

namespace atlas {
namespace {

TEST(MetricsHttp, OneExchangeWithoutTheSocket) {
  FakeSampler sampler;
  StatsProtocol protocol([&] { return sampler(); });
  EXPECT_EQ(
      MetricsHttpResponse("GET /metrics HTTP/1.1\r\nHost:", protocol, 100),
      std::nullopt);  // the header goes on
  const std::optional<std::string> ok =
      MetricsHttpResponse("GET /metrics HTTP/1.1\r\n\r\n", protocol, 100);
  ASSERT_TRUE(ok.has_value());
  EXPECT_THAT(*ok, HasSubstr("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(*ok, HasSubstr("# EOF\n"));
  EXPECT_THAT(*MetricsHttpResponse("GET / HTTP/1.1\r\n\r\n", protocol, 100),
              HasSubstr("HTTP/1.0 404 "));
  EXPECT_THAT(*MetricsHttpResponse(std::string(101, 'G'), protocol, 100),
              HasSubstr("HTTP/1.0 431 "));
  StatsProtocol unavailable([]() -> absl::StatusOr<StatsSample> {
    return absl::UnavailableError("the scheduler is not attached (yet)");
  });
  EXPECT_THAT(
      *MetricsHttpResponse("GET /metrics HTTP/1.0\r\n\r\n", unavailable, 100),
      HasSubstr("HTTP/1.0 503 Service Unavailable"));
}

}  // namespace
}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
//
// wakebench: a schbench-style wake-up latency benchmark (written for
// scx_atlas from the idea of schbench, not from its code).
//
// M message threads each own N worker threads. A request: the message
// thread stamps the time and wakes its N workers (one futex each); every
// worker records its wake-up latency, the time from that stamp until it
// runs (CLOCK_MONOTONIC), does a fixed amount of CPU work (--work_loops
// rounds of integer mixing: the same work under every scheduler), and
// reports back; the message thread sleeps until the last worker is done,
// and records the request latency (send to all done). Without --rps the
// next request follows at once (a saturation test: requests/s is the
// figure); with --rps the message threads pace their requests to that
// total rate of worker requests (a latency test at a fixed load).
//
// Output: one JSON object (--json) or a table: wake-up latency
// p50/p90/p99/p99.9 (us), request latency p50/p99, requests/s (worker
// requests completed per second), over --duration after --warmup.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/stats.h"

ABSL_FLAG(int, message_threads, 2, "Message threads (M).");
ABSL_FLAG(int, workers, 4, "Worker threads per message thread (N).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "How long to measure, after the warm-up.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "Requests in this first stretch are not counted.");
ABSL_FLAG(double, rps, 0,
          "Target worker requests per second over all message threads; 0 = "
          "as fast as the machine goes.");
ABSL_FLAG(int64_t, work_loops, 2000,
          "CPU work per worker request (rounds of integer mixing).");
ABSL_FLAG(bool, json, false, "Print one JSON object instead of a table.");

namespace {

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE,
          expected, nullptr, nullptr, 0);
}

void FutexWake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1,
          nullptr, nullptr, 0);
}

// Fixed CPU work; the result is kept so the compiler cannot drop it.
uint64_t Work(int64_t loops, uint64_t seed) {
  uint64_t x = seed | 1;
  for (int64_t i = 0; i < loops; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

// Samples of one thread, preallocated: recording never allocates.
class Samples {
 public:
  explicit Samples(size_t capacity) { values_.reserve(capacity); }
  void Add(uint64_t ns) {
    if (values_.size() < values_.capacity()) {
      values_.push_back(static_cast<double>(ns) / 1000.0);
    } else {
      ++dropped_;
    }
  }
  const std::vector<double>& values() const { return values_; }
  uint64_t dropped() const { return dropped_; }

 private:
  std::vector<double> values_;
  uint64_t dropped_ = 0;
};

constexpr size_t kMaxSamplesPerThread = 1u << 20;

struct alignas(64) Worker {
  std::atomic<uint32_t> go{0};  // 1: a request is waiting
  std::atomic<uint64_t> sent_ns{0};
  uint64_t sink = 0;
  Samples wake{kMaxSamplesPerThread};
  uint64_t done = 0;  // requests completed after the warm-up
};

struct alignas(64) Messenger {
  std::atomic<uint32_t> pending{0};  // workers not yet done
  std::vector<std::unique_ptr<Worker>> workers;
  Samples request{kMaxSamplesPerThread};
};

struct Shared {
  std::atomic<bool> stop{false};
  uint64_t count_from_ns = 0;  // the end of the warm-up
  int64_t work_loops = 0;
};

void RunWorker(Shared* shared, Messenger* m, Worker* w) {
  for (;;) {
    uint32_t go;
    while ((go = w->go.load(std::memory_order_acquire)) == 0) {
      FutexWait(&w->go, 0);
    }
    if (go == 2) return;  // stop
    const uint64_t now = NowNs();
    const uint64_t sent = w->sent_ns.load(std::memory_order_relaxed);
    const bool counted = sent >= shared->count_from_ns;
    if (counted) w->wake.Add(now - sent);
    w->sink += Work(shared->work_loops, now);
    if (counted) ++w->done;
    w->go.store(0, std::memory_order_release);
    if (m->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      FutexWake(&m->pending);
    }
  }
}

void RunMessenger(Shared* shared, Messenger* m, uint64_t period_ns) {
  uint64_t next = NowNs();
  while (!shared->stop.load(std::memory_order_relaxed)) {
    if (period_ns > 0) {
      next += period_ns;
      const uint64_t now = NowNs();
      if (next > now) {
        struct timespec ts = {static_cast<time_t>(next / 1'000'000'000),
                              static_cast<long>(next % 1'000'000'000)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      } else {
        next = now;  // behind: do not try to catch up in a burst
      }
    }
    const uint64_t sent = NowNs();
    m->pending.store(static_cast<uint32_t>(m->workers.size()),
                     std::memory_order_release);
    for (auto& w : m->workers) {
      w->sent_ns.store(sent, std::memory_order_relaxed);
      w->go.store(1, std::memory_order_release);
      FutexWake(&w->go);
    }
    uint32_t left;
    while ((left = m->pending.load(std::memory_order_acquire)) != 0) {
      FutexWait(&m->pending, left);
    }
    if (sent >= shared->count_from_ns) m->request.Add(NowNs() - sent);
  }
  for (auto& w : m->workers) {
    w->go.store(2, std::memory_order_release);
    FutexWake(&w->go);
  }
}

struct Summary {
  uint64_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

Summary Summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  using atlas::bench::PercentileOfSorted;
  s.p50 = PercentileOfSorted(v, 50);
  s.p90 = PercentileOfSorted(v, 90);
  s.p99 = PercentileOfSorted(v, 99);
  s.p999 = PercentileOfSorted(v, 99.9);
  s.max = v.back();
  return s;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "wakebench: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a schbench-style wake-up latency benchmark: M message threads wake N "
      "workers each per request.\nUsage: wakebench [--message_threads=M] "
      "[--workers=N] [--duration=10s] [--rps=R] [--json]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) return Usage("unexpected argument (see --help)");
  const int nr_messengers = absl::GetFlag(FLAGS_message_threads);
  const int nr_workers = absl::GetFlag(FLAGS_workers);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const double rps = absl::GetFlag(FLAGS_rps);
  const int64_t work_loops = absl::GetFlag(FLAGS_work_loops);
  if (nr_messengers < 1 || nr_messengers > 256 || nr_workers < 1 ||
      nr_workers > 1024) {
    return Usage(
        "--message_threads must be 1..256 and --workers 1..1024 per message "
        "thread");
  }
  if (duration < absl::Milliseconds(100) || duration > absl::Hours(24) ||
      warmup < absl::ZeroDuration() || warmup > absl::Hours(1)) {
    return Usage("--duration must be 100ms..24h and --warmup 0..1h");
  }
  if (!(rps >= 0 && rps <= 1e8) || work_loops < 0) {
    return Usage("--rps must be 0..1e8 and --work_loops >= 0");
  }

  Shared shared;
  shared.work_loops = work_loops;
  const uint64_t start = NowNs();
  shared.count_from_ns =
      start + static_cast<uint64_t>(absl::ToInt64Nanoseconds(warmup));
  // Each message round makes nr_workers worker requests.
  const uint64_t period_ns =
      rps > 0 ? static_cast<uint64_t>(1e9 * nr_messengers * nr_workers / rps)
              : 0;
  std::vector<std::unique_ptr<Messenger>> messengers;
  std::vector<std::thread> threads;
  for (int i = 0; i < nr_messengers; ++i) {
    auto m = std::make_unique<Messenger>();
    for (int j = 0; j < nr_workers; ++j) {
      m->workers.push_back(std::make_unique<Worker>());
    }
    messengers.push_back(std::move(m));
  }
  for (auto& m : messengers) {
    for (auto& w : m->workers) {
      threads.emplace_back(RunWorker, &shared, m.get(), w.get());
    }
  }
  for (auto& m : messengers) {
    threads.emplace_back(RunMessenger, &shared, m.get(), period_ns);
  }
  absl::SleepFor(warmup + duration);
  shared.stop.store(true);
  const uint64_t end = NowNs();
  for (std::thread& t : threads) t.join();

  std::vector<double> wake, request;
  uint64_t done = 0, dropped = 0;
  for (auto& m : messengers) {
    request.insert(request.end(), m->request.values().begin(),
                   m->request.values().end());
    dropped += m->request.dropped();
    for (auto& w : m->workers) {
      wake.insert(wake.end(), w->wake.values().begin(), w->wake.values().end());
      done += w->done;
      dropped += w->wake.dropped();
    }
  }
  const double secs =
      static_cast<double>(end - std::min(end, shared.count_from_ns)) / 1e9;
  const double measured_rps = secs > 0 ? done / secs : 0;
  const Summary w = Summarize(std::move(wake));
  const Summary r = Summarize(std::move(request));
  if (absl::GetFlag(FLAGS_json)) {
    std::printf(
        "{\"message_threads\": %d, \"workers\": %d, \"work_loops\": %lld, "
        "\"target_rps\": %.0f, \"seconds\": %.3f, \"requests\": %llu, "
        "\"rps\": %.1f, \"wakeup_us\": {\"n\": %llu, \"p50\": %.1f, \"p90\": "
        "%.1f, \"p99\": %.1f, \"p99_9\": %.1f, \"max\": %.1f}, "
        "\"request_us\": {\"n\": %llu, \"p50\": %.1f, \"p99\": %.1f}, "
        "\"dropped_samples\": %llu}\n",
        nr_messengers, nr_workers, static_cast<long long>(work_loops), rps,
        secs, static_cast<unsigned long long>(done), measured_rps,
        static_cast<unsigned long long>(w.n), w.p50, w.p90, w.p99, w.p999,
        w.max, static_cast<unsigned long long>(r.n), r.p50, r.p99,
        static_cast<unsigned long long>(dropped));
  } else {
    std::printf(
        "wakebench: %d message threads x %d workers, %lld work loops, %.1f s "
        "measured\n"
        "wake-up latency (us): p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max "
        "%.1f  (%llu samples)\n"
        "request latency (us): p50 %.1f  p99 %.1f\n"
        "requests/s: %.1f%s\n",
        nr_messengers, nr_workers, static_cast<long long>(work_loops), secs,
        w.p50, w.p90, w.p99, w.p999, w.max,
        static_cast<unsigned long long>(w.n), r.p50, r.p99, measured_rps,
        dropped ? absl::StrFormat(" (%llu samples dropped)",
                                  static_cast<unsigned long long>(dropped))
                      .c_str()
                : "");
  }
  return 0;
}

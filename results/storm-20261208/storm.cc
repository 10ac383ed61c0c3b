// SPDX-License-Identifier: GPL-2.0-only
// An experiment, not a test (results/storm-20261208/README.md).
// storm N PERIOD_MS BURN_US VICTIMS VBURN_MS VSLEEP_MS SECS HOGS
// N sleepers: sleep PERIOD_MS, burn BURN_US of CPU, repeat.
// VICTIMS victims: burn VBURN_MS of CPU, sleep VSLEEP_MS, repeat; each burst's
// wait = its run_delay growth (/proc/thread-self/schedstat).
// HOGS hog threads: burn CPU throughout.
// Prints the victims' waits (mean, p50/p90/p99/max, ms) over their bursts,
// the victims' and the hogs' CPU share (CPU time / wall, per thread) and the
// sleepers' runs (N x SECS if every wake-up was served).
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

static long HOGN;
static std::atomic<long> hog_ns{0};
static long N, PERIOD_MS, BURN_US, VICTIMS, VBURN_MS, VSLEEP_MS, SECS;
static timespec endt;
static std::mutex mu;
static std::vector<double> waits;
static std::atomic<long> sleeper_runs{0};
static double vcpu_total = 0;

static double now(clockid_t c) {
  timespec t;
  clock_gettime(c, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static bool running() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec < endt.tv_sec ||
         (t.tv_sec == endt.tv_sec && t.tv_nsec < endt.tv_nsec);
}
static void burn(double s) {
  double t0 = now(CLOCK_THREAD_CPUTIME_ID);
  while (now(CLOCK_THREAD_CPUTIME_ID) - t0 < s) {
  }
}
static double run_delay() {
  FILE* f = fopen("/proc/thread-self/schedstat", "r");
  unsigned long long a = 0, b = 0;
  if (f) {
    if (fscanf(f, "%llu %llu", &a, &b) != 2) b = 0;
    fclose(f);
  }
  return b * 1e-9;
}
static void* sleeper(void*) {
  timespec p{PERIOD_MS / 1000, (PERIOD_MS % 1000) * 1000000L};
  // Spread the first wake-ups over a period.
  timespec first{0, (long)(rand() % PERIOD_MS) * 1000000L % 1000000000L};
  nanosleep(&first, nullptr);
  while (running()) {
    nanosleep(&p, nullptr);
    burn(BURN_US * 1e-6);
    sleeper_runs++;
  }
  return nullptr;
}
static void* hog(void*) {
  double c0 = now(CLOCK_THREAD_CPUTIME_ID);
  while (running()) burn(0.001);
  hog_ns += (long)((now(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9);
  return nullptr;
}
static void* victim(void*) {
  timespec p{VSLEEP_MS / 1000, (VSLEEP_MS % 1000) * 1000000L};
  std::vector<double> w;
  double c0 = now(CLOCK_THREAD_CPUTIME_ID);
  while (running()) {
    double d0 = run_delay();
    burn(VBURN_MS * 1e-3);
    w.push_back((run_delay() - d0) * 1e3);
    nanosleep(&p, nullptr);
  }
  double c = now(CLOCK_THREAD_CPUTIME_ID) - c0;
  std::lock_guard<std::mutex> l(mu);
  waits.insert(waits.end(), w.begin(), w.end());
  vcpu_total += c;
  return nullptr;
}
int main(int argc, char** argv) {
  if (argc != 9) {
    fprintf(stderr,
            "usage: storm N PERIOD_MS BURN_US VICTIMS VBURN_MS VSLEEP_MS SECS "
            "HOGS\n");
    return 2;
  }
  N = atol(argv[1]);
  PERIOD_MS = atol(argv[2]);
  BURN_US = atol(argv[3]);
  VICTIMS = atol(argv[4]);
  VBURN_MS = atol(argv[5]);
  VSLEEP_MS = atol(argv[6]);
  SECS = atol(argv[7]);
  HOGN = atol(argv[8]);
  clock_gettime(CLOCK_MONOTONIC, &endt);
  endt.tv_sec += SECS + 2;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 64 * 1024);
  std::vector<pthread_t> t(N + VICTIMS + HOGN);
  for (long i = 0; i < N; i++) pthread_create(&t[i], &a, sleeper, nullptr);
  double w0 = now(CLOCK_MONOTONIC);
  for (long i = 0; i < VICTIMS; i++)
    pthread_create(&t[N + i], &a, victim, nullptr);
  for (long i = 0; i < HOGN; i++)
    pthread_create(&t[N + VICTIMS + i], &a, hog, nullptr);
  for (auto& x : t) pthread_join(x, nullptr);
  double wall = now(CLOCK_MONOTONIC) - w0;
  std::sort(waits.begin(), waits.end());
  auto q = [](double f) {
    return waits.empty()
               ? 0
               : waits[std::min(waits.size() - 1, (size_t)(f * waits.size()))];
  };
  double mean = 0;
  for (double x : waits) mean += x;
  mean = waits.empty() ? 0 : mean / waits.size();
  printf(
      "bursts %zu wait_ms mean %.1f p50 %.1f p90 %.1f p99 %.1f max %.1f "
      "victim_cpu_share %.3f hog_cpu_share %.3f sleeper_runs %ld\n",
      waits.size(), mean, q(0.5), q(0.9), q(0.99),
      waits.empty() ? 0 : waits.back(), vcpu_total / wall / VICTIMS,
      HOGN ? hog_ns.load() * 1e-9 / wall / HOGN : 0.0, sleeper_runs.load());
  return 0;
}

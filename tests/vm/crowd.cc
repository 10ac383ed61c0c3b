// SPDX-License-Identifier: GPL-2.0-only
//
// crowd N PERIOD_MS SECS: N threads that each sleep PERIOD_MS in a loop for
// SECS seconds (a machine's worth of mostly idle tasks, for the VM tests
// that look at what the planner's pass costs with many tasks). Prints
// "crowd: N threads" once all of them are created, and exits after SECS.
//
// Native threads: the Python script it replaces had 1000 threads waking
// into one interpreter lock, a convoy of futex wake-ups that under TCG took
// more than 70 s to start on the default scheduler, and once took
// test_converge past its 300 s limit (results/crowd-20261207).
#include <pthread.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct Plan {
  timespec period;
  timespec end;  // CLOCK_MONOTONIC
};

bool Before(const timespec& a, const timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

void* Sleeper(void* arg) {
  const Plan* plan = static_cast<const Plan*>(arg);
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  while (Before(now, plan->end)) {
    nanosleep(&plan->period, nullptr);
    clock_gettime(CLOCK_MONOTONIC, &now);
  }
  return nullptr;
}

bool ParseLong(const char* s, long lo, long hi, long* out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long n, period_ms, secs;
  if (argc != 4 || !ParseLong(argv[1], 1, 100000, &n) ||
      !ParseLong(argv[2], 1, 3600000, &period_ms) ||
      !ParseLong(argv[3], 1, 86400, &secs)) {
    std::fprintf(stderr,
                 "usage: crowd N PERIOD_MS SECS (N 1-100000 threads, each "
                 "sleeping PERIOD_MS in a loop for SECS seconds)\n");
    return 2;
  }
  Plan plan;
  plan.period.tv_sec = period_ms / 1000;
  plan.period.tv_nsec = (period_ms % 1000) * 1000000L;
  clock_gettime(CLOCK_MONOTONIC, &plan.end);
  plan.end.tv_sec += secs;

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  std::vector<pthread_t> threads(n);
  for (long i = 0; i < n; i++) {
    int err = pthread_create(&threads[i], &attr, Sleeper, &plan);
    if (err) {
      std::fprintf(stderr, "crowd: thread %ld of %ld: %s\n", i + 1, n,
                   std::strerror(err));
      return 1;
    }
  }
  pthread_attr_destroy(&attr);
  std::printf("crowd: %ld threads\n", n);
  std::fflush(stdout);
  for (pthread_t t : threads) pthread_join(t, nullptr);
  return 0;
}

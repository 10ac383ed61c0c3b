// SPDX-License-Identifier: GPL-2.0-only
//
// ravg_probe: the fast path's fixed-point running average, run in the
// kernel (bpf/atlas_probe.bpf.c, BPF_PROG_TEST_RUN), against the planner's
// floating-point reading of the same average (planner/task_slots.h
// RavgAt), for several half-lives, starting values and elapsed times.
// Needs root and a kernel with BPF_PROG_TYPE_SYSCALL (5.14+); run in the
// guest by tests/vm/test_ravg.sh. Prints the largest difference; exits 0
// when every case is within the bound, 1 when one is not, 2 when the probe
// cannot run.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bpf/atlas_probe_bpf.skel.h"
#include "planner/task_slots.h"
#include "shared/intf.h"

namespace {

constexpr double kOne = ATLAS_LOAD_ONE;

// Runs ravg_update in the kernel; false if the run failed.
bool RunProbe(atlas_probe_bpf* skel, const atlas_ravg& in, uint64_t now,
              atlas_ravg* out) {
  atlas_ravg_probe probe = {};
  probe.in = in;
  probe.now = now;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &probe,
              .ctx_size_in = sizeof(probe));
  const int err =
      bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ravg_probe), &opts);
  if (err != 0 || opts.retval != 0) {
    std::fprintf(stderr, "ravg_probe: test run failed: %s (retval %u)\n",
                 std::strerror(-err), opts.retval);
    return false;
  }
  *out = probe.out;  // the kernel copies the context back into ctx_in
  return true;
}

}  // namespace

int main() {
  const uint64_t half_lives[] = {1'000'000'000, 250'000'000, 37'000'000};
  // Elapsed times as fractions of the half-life, and the running average's
  // (avg, cur) pairs a task's duty cycle takes.
  std::vector<double> elapsed = {0,    1e-9, 0.01, 0.1,  0.33, 0.97, 1, 1.5,
                                 2.25, 3.7,  7.3,  15.9, 31.9, 32,   40};
  // The middle of every sixteenth of a half-life (each step of the
  // kernel's table), in the first half-life and the third.
  for (int k = 0; k < 16; ++k) {
    elapsed.push_back((k + 0.5) / 16);
    elapsed.push_back(2 + (k + 0.5) / 16);
  }
  const double starts[][2] = {{0, 1},   {1, 0}, {0.3, 1},
                              {0.8, 0}, {1, 1}, {0.5, 0.5}};
  int cases = 0, bad = 0;
  double worst = 0;
  for (const uint64_t hl : half_lives) {
    atlas_probe_bpf* skel = atlas_probe_bpf__open();
    if (skel == nullptr) {
      std::fprintf(stderr, "ravg_probe: cannot open the probe\n");
      return 2;
    }
    skel->rodata->load_half_life_ns = hl;
    if (int err = atlas_probe_bpf__load(skel); err != 0) {
      std::fprintf(stderr, "ravg_probe: cannot load the probe: %s\n",
                   std::strerror(-err));
      atlas_probe_bpf__destroy(skel);
      return 2;
    }
    for (const auto& start : starts) {
      for (const double x : elapsed) {
        const uint64_t at = 5'000'000'000;
        const atlas_ravg in = {static_cast<uint64_t>(start[0] * kOne),
                               static_cast<uint64_t>(start[1] * kOne), at};
        const uint64_t now = at + static_cast<uint64_t>(x * hl);
        atlas_ravg out;
        if (!RunProbe(skel, in, now, &out)) {
          atlas_probe_bpf__destroy(skel);
          return 2;
        }
        const double bpf = out.avg / kOne;
        const double cpp = atlas::RavgAt(in, now, hl);
        // The kernel interpolates 2^(-x) linearly between sixteenths of a
        // half-life (at most 2.4e-4 of |avg - cur| off) in Q16 (1.5e-5)
        // and truncates; the planner computes it exactly.
        const double bound = 5e-4 * std::abs(start[0] - start[1]) + 4 / kOne;
        const double diff = std::abs(bpf - cpp);
        worst = std::max(worst, diff);
        ++cases;
        if (!(diff <= bound) || (now > at && out.updated_at != now)) {
          ++bad;
          std::printf(
              "MISMATCH half-life %llu ns, avg %.3f cur %.3f after %.4g "
              "half-lives: kernel %.9f, planner %.9f (bound %.2g)\n",
              static_cast<unsigned long long>(hl), start[0], start[1], x, bpf,
              cpp, bound);
        }
      }
    }
    atlas_probe_bpf__destroy(skel);
  }
  std::printf(
      "ravg_probe: %d cases, %d outside the bound; largest difference "
      "kernel vs planner %.3g\n",
      cases, bad, worst);
  return bad == 0 ? 0 : 1;
}

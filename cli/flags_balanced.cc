// SPDX-License-Identifier: GPL-2.0-only
//
// cli/flags_balanced.cc: the flags of balanced mode (the default). (--help
// lists flags by the file that defines them, so each mode's flags are listed
// together.)
#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "cli/flags.h"

ABSL_FLAG(bool, fifo, false,
          "Order each domain's queue first-in first-out instead of by "
          "weighted virtual time.");
ABSL_FLAG(bool, kthreads_local, false,
          "Send every per-CPU kernel thread straight to its CPU (kthreads "
          "bound to one CPU always are).");
ABSL_FLAG(int, greedy_threshold, 1,
          "Let an idle CPU take tasks of another domain of its NUMA node "
          "(steal at dispatch, greedy pick at wake-up, kick after enqueue) "
          "only while that domain queues at least this many; 0 = never.");
ABSL_FLAG(int, greedy_threshold_x_numa, 0,
          "Steal from a domain of another NUMA node when it queues at least "
          "this many tasks, and allow direct-greedy placement across nodes; "
          "0 = never (the default).");
ABSL_FLAG(bool, wakeup_preempt, true,
          "A waking task with no idle CPU in its domain takes a CPU from a "
          "hog (a task that keeps using up its slice) running a later "
          "deadline; tasks that block on their own are never preempted.");
ABSL_FLAG(absl::Duration, preempt_min_run, absl::Microseconds(250),
          "With --wakeup_preempt: a task runs at least this long before a "
          "waking task may preempt it.");
ABSL_FLAG(bool, wake_sync, true,
          "On a wake-sync wake-up, the waker's CPU may take the wakee (the "
          "waker is about to sleep), within the wakee's domain.");
ABSL_FLAG(std::string, slice_policy, "fixed",
          "fixed: every task's slice is --slice_max. depth: --slice_max shared "
          "out by the domain's queue depth, at least --slice_min. util: the "
          "tuner's machine-wide slice (--slice_underutil while some CPU idles, "
          "else --slice_overutil).");
ABSL_FLAG(absl::Duration, slice_max, absl::Milliseconds(20),
          "The slice of a task with nobody waiting in its domain.");
ABSL_FLAG(absl::Duration, slice_min, absl::Milliseconds(1),
          "The shortest slice, however deep the queue.");
ABSL_FLAG(
    std::string, fork_balance, "off",
    "Where a new task goes: off (its parent's domain; the planner spreads "
    "load later), tasks (the domain with the fewest tasks per CPU) or "
    "load (the least runnable weight per CPU at that instant).");
ABSL_FLAG(bool, evict_guests, false,
          "At the end of its slice, send a task running outside its domain "
          "back to its domain's queue even when nothing else wants its CPU "
          "(the behaviour before 2026-12; for comparisons).");
ABSL_FLAG(bool, kernel_idle_pick, true,
          "Find idle CPUs with the kernel's picker restricted to the domain "
          "(scx_bpf_select_cpu_and, Linux 6.16+); false, or an older kernel: "
          "the same order in BPF.");
ABSL_FLAG(bool, debug_no_load_tracking, false,
          "Testing: do not track domain loads (the planner then sees none); "
          "measures what load tracking costs the fast path.");
ABSL_FLAG(absl::Duration, load_half_life, absl::Seconds(1),
          "Half-life of the duty-cycle and load running averages.");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(2),
          "How often the planner balances load between domains.");
ABSL_FLAG(absl::Duration, tune_interval, absl::Milliseconds(100),
          "How often the tuner adjusts greedy masks and the slice.");
ABSL_FLAG(bool, no_load_balance, false,
          "Do not move tasks between domains (the tuner still runs).");
ABSL_FLAG(double, domain_imbalance_pct, 5,
          "A domain more than this many percent away from its share of its "
          "node's load is imbalanced.");
ABSL_FLAG(double, node_imbalance_pct, 17,
          "A NUMA node more than this many percent away from its share of "
          "the machine's load is imbalanced.");
ABSL_FLAG(int, max_migrations, 32, "At most this many migrations per pass.");
ABSL_FLAG(double, direct_greedy_under, 90,
          "Domains under this utilization (percent) may receive tasks placed "
          "directly from other domains.");
ABSL_FLAG(double, kick_greedy_under, 100,
          "Domains under this utilization (percent) may be kicked to steal.");
ABSL_FLAG(absl::Duration, slice_underutil, absl::Milliseconds(20),
          "With --slice_policy=util: the slice while the machine has idle "
          "time.");
ABSL_FLAG(absl::Duration, slice_overutil, absl::Milliseconds(1),
          "With --slice_policy=util: the slice once every CPU is busy.");
ABSL_FLAG(std::string, debug_migrate, "",
          "Testing: PID:DOMAIN[,PID:DOMAIN...], ask BPF to migrate those "
          "tasks when SIGUSR1 arrives, then print their domains with every "
          "stats line.");
ABSL_FLAG(bool, verbose, false,
          "Print every balance pass: each domain's load before and after its "
          "moves, the infeasible-weight cap when one applies, and each move "
          "(PID, from and to domain, the load it carries).");
ABSL_FLAG(absl::Duration, stats_interval, absl::ZeroDuration(),
          "Print the BPF counters this often (e.g. 1s); 0 prints them once, "
          "at exit.");
ABSL_FLAG(absl::Duration, debug_inject_error_after, absl::ZeroDuration(),
          "Testing: make the BPF scheduler raise an error this long after it "
          "loads, to exercise the error exit path. 0 = never.");

namespace atlas {

void ReadBalancedFlags(Options* o) {
  o->fifo = absl::GetFlag(FLAGS_fifo);
  o->kthreads_local = absl::GetFlag(FLAGS_kthreads_local);
  o->greedy_threshold = absl::GetFlag(FLAGS_greedy_threshold);
  o->greedy_threshold_x_numa = absl::GetFlag(FLAGS_greedy_threshold_x_numa);
  o->wakeup_preempt = absl::GetFlag(FLAGS_wakeup_preempt);
  o->preempt_min_run = absl::GetFlag(FLAGS_preempt_min_run);
  o->wake_sync = absl::GetFlag(FLAGS_wake_sync);
  o->slice_policy = absl::GetFlag(FLAGS_slice_policy);
  o->slice_max = absl::GetFlag(FLAGS_slice_max);
  o->slice_min = absl::GetFlag(FLAGS_slice_min);
  o->fork_balance = absl::GetFlag(FLAGS_fork_balance);
  o->evict_guests = absl::GetFlag(FLAGS_evict_guests);
  o->kernel_idle_pick = absl::GetFlag(FLAGS_kernel_idle_pick);
  o->debug_no_load_tracking = absl::GetFlag(FLAGS_debug_no_load_tracking);
  o->load_half_life = absl::GetFlag(FLAGS_load_half_life);
  o->interval = absl::GetFlag(FLAGS_interval);
  o->tune_interval = absl::GetFlag(FLAGS_tune_interval);
  o->no_load_balance = absl::GetFlag(FLAGS_no_load_balance);
  o->domain_imbalance_pct = absl::GetFlag(FLAGS_domain_imbalance_pct);
  o->node_imbalance_pct = absl::GetFlag(FLAGS_node_imbalance_pct);
  o->max_migrations = absl::GetFlag(FLAGS_max_migrations);
  o->direct_greedy_under = absl::GetFlag(FLAGS_direct_greedy_under);
  o->kick_greedy_under = absl::GetFlag(FLAGS_kick_greedy_under);
  o->slice_underutil = absl::GetFlag(FLAGS_slice_underutil);
  o->slice_overutil = absl::GetFlag(FLAGS_slice_overutil);
  o->debug_migrate = absl::GetFlag(FLAGS_debug_migrate);
  o->stats_interval = absl::GetFlag(FLAGS_stats_interval);
  o->verbose = absl::GetFlag(FLAGS_verbose);
  o->debug_inject_error_after = absl::GetFlag(FLAGS_debug_inject_error_after);
}

}  // namespace atlas

// SPDX-License-Identifier: GPL-2.0-only
//
// cli/flags_user.cc: the flags of --mode=user. (--help lists flags by the file
// that defines them, so each mode's flags are listed together.)
#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "cli/flags.h"

ABSL_FLAG(std::string, user_policy, "vtime",
          "With --mode=user: vtime (weighted virtual time with deadlines, "
          "topology-aware) or fifo (the example policy).");
ABSL_FLAG(absl::Duration, user_slice, absl::Milliseconds(5),
          "With --mode=user: the default time slice.");
ABSL_FLAG(bool, user_compact_locked, false,
          "With --mode=user: let the kernel's compaction move locked pages "
          "(leave vm.compact_unevictable_allowed as it is). By default user "
          "mode sets it to 0 while it runs and restores 1 at exit: a "
          "compaction moving a page of the scheduler while the scheduler "
          "holds the compacting task waits on itself until the watchdog "
          "ejects it.");
ABSL_FLAG(absl::Duration, debug_dispatch_delay, absl::ZeroDuration(),
          "Testing, --mode=user: hold every task this long before the policy "
          "sees it (forces stale answers).");
ABSL_FLAG(absl::Duration, debug_policy_slice, absl::ZeroDuration(),
          "Testing, --mode=user: every answer asks for this slice, whatever "
          "the policy chose (out-of-range slices are clamped in BPF).");
ABSL_FLAG(int, debug_policy_cpu, -1,
          "Testing, --mode=user: every answer names this CPU, whatever the "
          "policy chose (-1: the policy's choice).");

namespace atlas {

void ReadUserFlags(Options* o) {
  o->user_policy = absl::GetFlag(FLAGS_user_policy);
  o->user_slice = absl::GetFlag(FLAGS_user_slice);
  o->user_compact_locked = absl::GetFlag(FLAGS_user_compact_locked);
  o->debug_dispatch_delay = absl::GetFlag(FLAGS_debug_dispatch_delay);
  o->debug_policy_slice = absl::GetFlag(FLAGS_debug_policy_slice);
  o->debug_policy_cpu = absl::GetFlag(FLAGS_debug_policy_cpu);
}

}  // namespace atlas

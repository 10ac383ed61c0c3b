#!/bin/bash
# vm: -s 1:2:1
# The fast path's fixed-point running average (bpf/atlas_ravg.bpf.h, the
# duty cycle of every task) against the planner's floating-point reading of
# it (planner/task_slots.h RavgAt), in this kernel: tests/bpf/ravg_probe
# runs the BPF code through BPF_PROG_TEST_RUN for 3 half-lives, 6 starting
# values and 47 elapsed times (every sixteenth of a half-life among them)
# and fails if any result is off by more than the kernel's linear
# interpolation allows (5e-4 of |avg - cur|, plus 4 units of the fixed
# point).
. "$(dirname "$0")/lib.sh"
PROBE=${ATLAS_RAVG_PROBE_BIN:?ATLAS_RAVG_PROBE_BIN not set}
[ -x "$PROBE" ] || fail "$PROBE is missing (bazel build //tests/bpf:ravg_probe)"
out=$("$PROBE" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || fail "kernel and planner disagree (exit $rc): $(tail -1 <<< "$out")"
pass "$(tail -1 <<< "$out" | sed 's/^ravg_probe: //')"

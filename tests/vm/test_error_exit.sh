#!/bin/bash
# vm: -s 2:2:1
# allow: sched_ext: BPF scheduler "atlas" errored|injected error|scx_bpf_error|atlas_tick
# An error raised inside the BPF scheduler ends it: the kernel falls back to
# its default scheduler and scx_atlas reports the error, with the kernel's
# debug dump (its state when the scheduler failed), and exits non-zero.
. "$(dirname "$0")/lib.sh"

start_atlas --debug_inject_error_after=2s
for ((i = 0; i < 100; i++)); do kill -0 "$ATLAS_PID" 2>/dev/null || break; sleep 0.1; done
wait "$ATLAS_PID"
rc=$?
echo "scx_atlas exit status: $rc"
[ "$rc" != 0 ] || fail "exit status 0 after a BPF error, want non-zero"
wait_state disabled 50 || fail "state '$(state)' after the error, want disabled"
grep -q 'injected error after 2000 ms' "$ATLAS_LOG" || fail "the error message was not reported"
grep 'exited:' "$ATLAS_LOG"
grep -q "^scx_atlas: the kernel's debug dump:" "$ATLAS_LOG" || fail "no debug dump reported"
# The kernel's dump starts "<comm>[<pid>] triggered exit kind 1025" (a BPF
# error) and goes on with the backtrace and every CPU's runqueue.
grep -A3 "the kernel's debug dump:" "$ATLAS_LOG"
grep -q 'triggered exit kind 1025' "$ATLAS_LOG" || fail "the dump reported is not the kernel's"
grep -q 'Backtrace:' "$ATLAS_LOG" || fail "the dump has no backtrace"
pass "BPF error -> exit status $rc, message and the kernel's dump reported, state disabled"

#!/bin/bash
# vm: -s 2:2:1
# allow: runnable task stall|sched_ext: BPF scheduler "atlas" disabled|watchdog failed to check in|atlas.*stall
# User mode safety: a stopped scheduler (kill -STOP) is ejected by the
# kernel's watchdog within --watchdog_timeout, the guest goes on under the
# default scheduler, and the scheduler reports it once continued; kill -9
# gives the same fallback; stale answers (tasks re-enqueued while the policy
# holds them) are dropped and counted.
. "$(dirname "$0")/lib.sh"

start_atlas --mode=user --watchdog_timeout=2s
stress-ng --cpu 4 --timeout 15 > /tmp/stress.log 2>&1 &
sp=$!
sleep 2
kill -STOP "$ATLAS_PID"
t0=$SECONDS
wait_state disabled 100 || fail "state '$(state)' 10 s after SIGSTOP (watchdog 2 s), want disabled"
echo "SIGSTOP -> state disabled after ~$((SECONDS - t0)) s"
dmesg | grep -E 'sched_ext|stall' | tail -3
hackbench -g 2 -l 50 > /tmp/hackbench.log 2>&1 || fail "hackbench failed under the default scheduler"
kill -CONT "$ATLAS_PID"
wait_atlas_exit 100
kill -0 "$ATLAS_PID" 2>/dev/null && fail "scx_atlas still running 10 s after SIGCONT"
wait "$ATLAS_PID"
rc=$?
echo "exit status after the watchdog: $rc; $(grep 'exited:' $ATLAS_LOG)"
[ "$rc" = 1 ] || fail "exit status $rc after the watchdog, want 1"
grep -q 'exited:.*stall' "$ATLAS_LOG" || fail "no stall reported: $(tail -3 $ATLAS_LOG)"
wait $sp || fail "stress-ng failed"

start_atlas --mode=user
stress-ng --cpu 4 --timeout 6 > /tmp/stress.log 2>&1 &
sp=$!
sleep 2
kill -9 "$ATLAS_PID"
wait "$ATLAS_PID"
wait_state disabled 100 || fail "state '$(state)' 10 s after SIGKILL"
wait $sp || fail "stress-ng failed after SIGKILL"
echo "SIGKILL -> state disabled, stress-ng finished"

# Stale answers: hold each task 50 ms while hogs' affinities change (a
# change re-enqueues a waiting task, so the held answer is stale). One
# process changes them for 5 s: a taskset per change forked and exec'd
# behind the same 50 ms holds, and made 4 changes in 5 s (0-6 stale
# answers, 0 in a CI run); this loop makes 1800-3400 (1064-2105 stale).
start_atlas --mode=user --debug_dispatch_delay=50ms
for i in 1 2 3 4; do hog 0-3; HOGS+=($HOG_PID); done
changes=$(python3 -c '
import os, random, sys, time
pids = [int(p) for p in sys.argv[1:]]
end, n = time.monotonic() + 5, 0
while time.monotonic() < end:
    for p in pids:
        os.sched_setaffinity(p, range(random.randrange(4), 4))
        n += 1
print(n)' "${HOGS[@]}") || fail "the affinity changes failed"
echo "$changes affinity changes in 5 s"
kill "${HOGS[@]}"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC with delayed answers"
grep 'final stats' "$ATLAS_LOG"
expect_positive user_cancelled user_dispatch
pass "SIGSTOP -> watchdog ejects within the timeout, exit 1 with the stall reported; SIGKILL -> fallback; stale answers counted ($(stat_value user_cancelled))"

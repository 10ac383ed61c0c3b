#!/bin/bash
# vm: -s 1:2:1
# Ordinary conditions that must not stop the scheduler's userspace side:
# the wall clock stepped back an hour (NTP at boot, an administrator's
# date) while it runs, SIGHUP (its terminal closed) and SIGPIPE (its stdout
# closed). Afterwards the planner still balances every --interval (its
# passes, read with atlas_stats --json, keep growing) and the --stats table
# keeps coming; scx_atlas is still the kernel's scheduler.
. "$(dirname "$0")/lib.sh"

passes() { stats_json | jq .balance_passes; }
tables() { grep -c '^scx_atlas balanced' "$ATLAS_LOG"; }

start_atlas --interval=500ms --stats=0.5
sleep 2
p0=$(passes) t0=$(tables)
date -s '-1 hour' > /dev/null || fail "cannot step the clock"
kill -HUP "$ATLAS_PID"
kill -PIPE "$ATLAS_PID"
sleep 3
kill -0 "$ATLAS_PID" 2>/dev/null || fail "scx_atlas died: $(tail -3 "$ATLAS_LOG")"
[ "$(state)" = enabled ] && [ "$(ops)" = atlas ] || fail "state $(state), ops $(ops)"
p1=$(passes) t1=$(tables)
date -s '+1 hour' > /dev/null
echo "balance passes: $p0 before the step, $p1 3 s after it; tables: $t0 then $t1"
[ $((p1 - p0)) -ge 3 ] || fail "the planner stalled after the clock step: $p0 -> $p1 passes in 3 s at --interval=500ms"
[ $((t1 - t0)) -ge 3 ] || fail "the --stats table stalled after the clock step: $t0 -> $t1"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
pass "clock stepped back 1 h, SIGHUP, SIGPIPE: still enabled, $((p1 - p0)) balance passes and $((t1 - t0)) tables in the 3 s after"

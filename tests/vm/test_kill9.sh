#!/bin/bash
# vm: -s 2:2:1
# If scx_atlas is killed outright, the kernel must fall back to its default
# scheduler and the machine keep running.
. "$(dirname "$0")/lib.sh"

start_atlas
stress-ng --cpu "$(nproc)" --timeout 6 > /tmp/stress.log 2>&1 &
sp=$!
sleep 2
kill -9 "$ATLAS_PID"
wait "$ATLAS_PID"
echo "scx_atlas exit status after SIGKILL: $?"
wait_state disabled 100 || fail "state '$(state)' 10 s after SIGKILL, want disabled"
echo "state after SIGKILL: $(state)"
wait $sp || fail "stress-ng failed after the fallback"
hackbench -g 2 -l 100 > /tmp/hackbench.log 2>&1 || fail "hackbench failed under the default scheduler"
echo "after fallback: $(tail -1 /tmp/hackbench.log)"
pass "SIGKILL -> state disabled, the guest keeps running"

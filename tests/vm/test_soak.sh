#!/bin/bash
# vm: -s 2:2:2
# 60 s of stress-ng (CPU, fork and affinity-changing stressors) plus
# hackbench on 8 vCPUs under scx_atlas: no ejection, a clean kernel log,
# a clean exit.
. "$(dirname "$0")/lib.sh"

start_atlas --stats_interval=20s
stress-ng -c 8 -f 8 --affinity 8 --timeout 60 --metrics-brief > /tmp/stress.log 2>&1 &
sp=$!
start=$SECONDS
while [ $((SECONDS - start)) -lt 60 ]; do
  hackbench -g 4 -l 100 > /tmp/hackbench.log 2>&1 || fail "hackbench failed: $(tail -2 /tmp/hackbench.log)"
  [ "$(state)" = enabled ] || fail "ejected after $((SECONDS - start)) s: state $(state)"
done
wait $sp || fail "stress-ng failed: $(tail -3 /tmp/stress.log)"
grep -E ' (cpu|fork|affinity) ' /tmp/stress.log | sed 's/  */ /g'
[ "$(state)" = enabled ] && [ "$(ops)" = atlas ] || fail "not enabled after the soak: $(state)"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
grep 'final stats:' "$ATLAS_LOG"
expect_zero task_ctx_missing
pass "60 s of stress-ng -c/-f/--affinity + hackbench on 8 vCPUs, still enabled, clean exit"

#!/bin/bash
# vm: -s 2:2:1
# With --greedy_threshold_x_numa=0 (the default) nothing crosses NUMA nodes
# on its own, under a load that steals across nodes when it is allowed
# (test_counters.sh): node 0 overloaded, node 1 idle.
. "$(dirname "$0")/lib.sh"

HOGS=()
for c in 0-1 0-1 0-1 0-1; do hog "$c"; HOGS+=("$HOG_PID"); done
start_atlas --greedy_threshold_x_numa=0
for p in "${HOGS[@]}"; do taskset -pc 0-3 "$p" > /dev/null; done
for ((i = 0; i < 3; i++)); do hackbench -p -g 1 -l 100 > /dev/null 2>&1; done
sleep 3
kill "${HOGS[@]}"; wait "${HOGS[@]}" 2>/dev/null
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
grep 'final stats:' "$ATLAS_LOG"
expect_zero dispatch_steal_xnuma sel_greedy_xnuma
# ... and node 1's CPUs went idle while node 0 queued: counted.
expect_positive dispatch_domain enq_domain dispatch_none_queued
pass "no cross-node steal or placement with --greedy_threshold_x_numa=0"

#!/bin/bash
# vm: -s 2:2:2
# The planner at work on 8 vCPUs, 2 nodes (one domain each): 8 CPU-bound
# tasks start pinned to domain 0's CPUs, then may run anywhere. Within 3
# balance intervals (--interval=1s) both domains' loads, as scx_atlas itself
# reads them (every 500 ms), are within 10% of the average, and migrations
# were applied.
# The same scenario with --no_load_balance stays lopsided: it is the planner
# that balances (cross-node stealing is off by default).
. "$(dirname "$0")/lib.sh"

loads_within() {  # PCT LINE: every domain within PCT% of the average
  awk -v pct="$1" '{
    n = 0; sum = 0
    for (i = 1; i <= NF; i++) if (split($i, a, "[:/]") == 3) { l[n++] = a[2]; sum += a[2] }
    avg = sum / n
    for (i = 0; i < n; i++) if (l[i] < avg * (1 - pct / 100) || l[i] > avg * (1 + pct / 100)) exit 1
  }' <<< "$2"
}

scenario() {  # ARGS...: sets LOADS, the loads lines of the first 3.5 s
  HOGS=()
  for _ in 1 2 3 4 5 6 7 8; do hog 0-3; HOGS+=("$HOG_PID"); done
  start_atlas --interval=1s --stats_interval=500ms --load_half_life=250ms "$@"
  for p in "${HOGS[@]}"; do taskset -pc 0-7 "$p" > /dev/null; done
  sleep 3.5
  LOADS=$(grep '^scx_atlas: loads' "$ATLAS_LOG")
  kill "${HOGS[@]}"; wait "${HOGS[@]}" 2>/dev/null
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
  echo "$* ->"; echo "$LOADS"
}

balanced_once() {  # PCT: some loads line within 3 intervals is within PCT%
  local l
  while read -r l; do loads_within "$1" "$l" && { echo "balanced: $l"; return 0; }; done <<< "$LOADS"
  return 1
}

scenario
grep '^scx_atlas: balance' "$ATLAS_LOG" | head -3
balanced_once 10 || fail "with the planner: no loads line within 10% of the average in 3 intervals"
expect_positive migrate_applied
APPLIED=$(stat_value migrate_applied)

scenario --no_load_balance
balanced_once 10 && fail "without the planner the loads got balanced too: the planner is not what balanced them"
expect_zero migrate_applied
pass "planner: balanced within 10% in 3 intervals ($APPLIED migrations); --no_load_balance: stays imbalanced"

#!/bin/bash
# vm: -s 2:2:2
# The planner at work on 8 vCPUs, 2 nodes (one domain each): 8 CPU-bound
# tasks start pinned to domain 0's CPUs, then may run anywhere. Within 3
# balance intervals (--interval=1s) both domains' loads, as atlas_stats
# --json reads them (every 500 ms), are within the node threshold
# (--node_imbalance_pct, 17% by default: here each domain is a node, and the
# planner leaves nodes alone inside it) of the average, and migrations were
# applied. (A 10% bound failed once in CI at 5.05 / 4.10, 10.4%: 4 hogs a
# node, the rest the guest's own tasks; within one node, where the 5%
# domain threshold applies, test_converge asserts 10% and that it holds.)
# The same scenario with --no_load_balance stays lopsided: it is the planner
# that balances (cross-node stealing is off by default).
. "$(dirname "$0")/lib.sh"

scenario() {  # ARGS...: sets READINGS, atlas_stats --json every 500 ms for 3.5 s
  local i
  HOGS=() READINGS=()
  for _ in 1 2 3 4 5 6 7 8; do hog 0-3; HOGS+=("$HOG_PID"); done
  start_atlas --interval=1s --load_half_life=250ms "$@"
  for p in "${HOGS[@]}"; do taskset -pc 0-7 "$p" > /dev/null; done
  for ((i = 0; i < 7; i++)); do
    sleep 0.5
    READINGS+=("$(stats_json)") || fail "atlas_stats --json failed"
  done
  kill "${HOGS[@]}"; wait "${HOGS[@]}" 2>/dev/null
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
  echo "$* ->"
  for i in "${!READINGS[@]}"; do echo "  +$(((i + 1) * 500))ms loads $(loads "${READINGS[$i]}")"; done
}

balanced_once() {  # PCT: some reading within 3.5 s is within PCT%
  local r
  for r in "${READINGS[@]}"; do within "$1" "$r" && { echo "balanced: $(loads "$r")"; return 0; }; done
  return 1
}

scenario
grep '^scx_atlas: balance' "$ATLAS_LOG" | head -3
balanced_once 17 || fail "with the planner: no loads line within 17% of the average in 3 intervals"
expect_positive migrate_applied
APPLIED=$(stat_value migrate_applied)

scenario --no_load_balance
balanced_once 17 && fail "without the planner the loads got balanced too: the planner is not what balanced them"
pass "planner: nodes balanced within 17% in 3 intervals ($APPLIED migrations); --no_load_balance: stays imbalanced"

#!/bin/bash
# vm: -s 2:2:1
# With --greedy_threshold_x_numa=0 (the default) the fast path never moves a
# task across NUMA nodes on its own: 4 busy loops that may run anywhere but
# start in node 0's domain (CPUs 0-1) stay on node 0 while node 1 (CPUs 2-3)
# idles. Where they run is read from /proc (the CPU each last ran on, every
# 100 ms for 3 s), with --no_load_balance: the planner moves tasks across
# nodes on purpose and must stay out. Control run with
# --greedy_threshold_x_numa=1: node 1 steals them, and the same sampling
# sees them there (so it can see a crossing).
. "$(dirname "$0")/lib.sh"

# run ARGS...: the hogs under scx_atlas --no_load_balance ARGS; sets
# ON_NODE1 (samples that found a hog on CPU 2 or 3) of SAMPLES.
run() {
  local hogs=() p i f
  for _ in 1 2 3 4; do hog 0-1; hogs+=("$HOG_PID"); done
  start_atlas --no_load_balance "$@"
  for p in "${hogs[@]}"; do taskset -pc 0-3 "$p" > /dev/null; done
  ON_NODE1=0 SAMPLES=0
  for ((i = 0; i < 30; i++)); do
    for p in "${hogs[@]}"; do
      # Field 39: the CPU it last ran on (read without a fork: the 4 vCPUs
      # are busy with the hogs).
      read -ra f < "/proc/$p/stat"
      SAMPLES=$((SAMPLES + 1))
      ((f[38] >= 2)) && ON_NODE1=$((ON_NODE1 + 1))
    done
    sleep 0.1
  done
  kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "$*: exit status $ATLAS_RC"
  echo "$*: $ON_NODE1 of $SAMPLES samples on node 1; counters: $(grep 'final stats:' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(dispatch_steal_xnuma|sel_greedy_xnuma)=' | paste -sd ' ')"
}

run --greedy_threshold_x_numa=1
CONTROL=$ON_NODE1
[ "$CONTROL" -gt 0 ] || fail "control (--greedy_threshold_x_numa=1): no hog ever seen on node 1, so the sampling cannot tell"
run --greedy_threshold_x_numa=0
[ "$ON_NODE1" = 0 ] || fail "with --greedy_threshold_x_numa=0 a hog ran on node 1 in $ON_NODE1 of $SAMPLES samples"
pass "--greedy_threshold_x_numa=0: 4 hogs on node 0's 2 CPUs stayed there (0 of $SAMPLES samples on node 1; $CONTROL of $SAMPLES with =1)"

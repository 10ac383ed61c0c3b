#!/bin/bash
# vm: -s 2:2:1
# The limits on the fast path's taking of another domain's tasks, seen from
# where busy loops run (the CPU each last ran on, from /proc, every 100 ms
# for 3 s), with --no_load_balance: the planner moves tasks on purpose and
# must stay out. The loops are started pinned to their first domain's CPUs
# and then widened (to every CPU, or to their node's in part 2); they stay
# tasks of that first domain.
#
# Part 1, across nodes: with --greedy_threshold_x_numa=0 (the default) 4
# loops of node 0's domain (CPUs 0-1) stay on node 0 while node 1 (CPUs
# 2-3) idles. Control: with --greedy_threshold_x_numa=1 node 1 steals them,
# and the same sampling sees them there (so it can see a crossing).
#
# Part 2, inside a node (--cache_level=2: a domain per CPU, two per node):
# --greedy_threshold=3 lets CPU 1 take a task of CPU 0's domain only while
# that domain queues at least 3 (no steal, no greedy pick, no kick below).
# 2 loops there queue at most 2 (one waiting, one whose slice just ended):
# CPU 1 never runs one. 4 loops queue 3: CPU 1 runs them. Control: with
# --greedy_threshold=1, 2 loops do cross.
#
# Part 3, a waking task inside a node: a task of CPU 0's domain that sleeps
# 5 ms at a time while a loop pinned to CPU 0 runs. With
# --greedy_threshold=1 its wake-ups take idle CPU 1 (the greedy pick);
# with --greedy_threshold=3 (its domain would queue 1) they stay on CPU 0,
# and no idle CPU is kicked for it.
. "$(dirname "$0")/lib.sh"

# The sampling shell stays off the CPUs under test.
taskset -pc 3 $$ > /dev/null

# run NHOGS FIRST WIDE ON ARGS...: NHOGS loops pinned to FIRST, widened to
# WIDE once scx_atlas (--no_load_balance ARGS) runs; sets SEEN (samples that
# found a loop on a CPU >= ON) of SAMPLES.
run() {
  local n=$1 first=$2 wide=$3 on=$4 hogs=() p i f
  shift 4
  for ((i = 0; i < n; i++)); do hog "$first"; hogs+=("$HOG_PID"); done
  start_atlas --no_load_balance "$@"
  for p in "${hogs[@]}"; do taskset -pc "$wide" "$p" > /dev/null; done
  SEEN=0 SAMPLES=0
  for ((i = 0; i < 30; i++)); do
    for p in "${hogs[@]}"; do
      # Field 39: the CPU it last ran on (read without a fork: the vCPUs
      # are busy with the loops).
      read -ra f < "/proc/$p/stat"
      SAMPLES=$((SAMPLES + 1))
      ((f[38] >= on)) && SEEN=$((SEEN + 1))
    done
    sleep 0.1
  done
  kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "$*: exit status $ATLAS_RC"
  echo "$n loops, $*: $SEEN of $SAMPLES samples on CPU >= $on; counters: $(grep 'final stats:' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(dispatch_steal|dispatch_steal_xnuma|sel_greedy|sel_greedy_xnuma|enq_kick_greedy)=' | paste -sd ' ')"
}

# ---- part 1: across nodes ---------------------------------------------------
run 4 0-1 0-3 2 --greedy_threshold_x_numa=1
CONTROL=$SEEN
[ "$CONTROL" -gt 0 ] || fail "control (--greedy_threshold_x_numa=1): no loop ever seen on node 1, so the sampling cannot tell"
run 4 0-1 0-3 2 --greedy_threshold_x_numa=0
[ "$SEEN" = 0 ] || fail "with --greedy_threshold_x_numa=0 a loop ran on node 1 in $SEEN of $SAMPLES samples"
pass "--greedy_threshold_x_numa=0: 4 loops on node 0's 2 CPUs stayed there (0 of $SAMPLES samples on node 1; $CONTROL of $SAMPLES with =1)"

# ---- part 2: inside a node --------------------------------------------------
run 2 0 0-1 1 --cache_level=2 --greedy_threshold=1
CONTROL=$SEEN
[ "$CONTROL" -gt 0 ] || fail "control (--greedy_threshold=1): no loop ever seen on CPU 1, so the sampling cannot tell"
run 2 0 0-1 1 --cache_level=2 --greedy_threshold=3
[ "$SEEN" = 0 ] || fail "with --greedy_threshold=3, 2 loops of CPU 0's domain ran on CPU 1 in $SEEN of $SAMPLES samples"
SHALLOW=$SAMPLES
run 4 0 0-1 1 --cache_level=2 --greedy_threshold=3
[ "$SEEN" -gt 0 ] || fail "with --greedy_threshold=3, 4 loops of CPU 0's domain never ran on CPU 1 (a queue of 3 must be taken from)"
pass "--greedy_threshold=3: 2 loops of CPU 0's domain never on CPU 1 (0 of $SHALLOW samples; $CONTROL with =1), 4 loops were ($SEEN of $SAMPLES)"

# ---- part 3: a waking task inside a node --------------------------------------
# wake_run ARGS...: sets SEEN (samples of the sleeper last run on CPU 1) of
# SAMPLES under scx_atlas --no_load_balance --cache_level=2 ARGS.
wake_run() {
  local hog_pid py_pid i f
  hog 0; hog_pid=$HOG_PID
  taskset -c 0 python3 -c 'import time
while True: time.sleep(0.005)' &
  py_pid=$!
  start_atlas --no_load_balance --cache_level=2 "$@"
  taskset -pc 0-3 "$py_pid" > /dev/null   # allowed everywhere: greedy picks need it
  SEEN=0 SAMPLES=0
  for ((i = 0; i < 30; i++)); do
    read -ra f < "/proc/$py_pid/stat"
    SAMPLES=$((SAMPLES + 1))
    ((f[38] == 1)) && SEEN=$((SEEN + 1))
    sleep 0.1
  done
  kill "$hog_pid" "$py_pid"; wait "$hog_pid" "$py_pid" 2>/dev/null
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "$*: exit status $ATLAS_RC"
  echo "sleeper, $*: $SEEN of $SAMPLES samples on CPU 1; counters: $(grep 'final stats:' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(dispatch_steal|sel_greedy|enq_kick_greedy|enq_preempt|tick_preempt)=' | paste -sd ' ')"
}

wake_run --greedy_threshold=1
CONTROL=$SEEN
[ "$CONTROL" -gt 0 ] || fail "control (--greedy_threshold=1): the sleeper never ran on CPU 1, so the sampling cannot tell"
wake_run --greedy_threshold=3
[ "$SEEN" = 0 ] || fail "with --greedy_threshold=3 the sleeper of CPU 0's domain ran on CPU 1 in $SEEN of $SAMPLES samples"
expect_zero sel_greedy enq_kick_greedy
pass "--greedy_threshold=3: a sleeper of CPU 0's domain beside a loop stayed on CPU 0 (0 of $SAMPLES samples on CPU 1; $CONTROL with =1), no greedy pick or kick"

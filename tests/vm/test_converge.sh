#!/bin/bash
# vm: -s 2:2:2 -n 1
# timeout: 600
# (It took 140.6, 214, 221 and 284.5 s of the old 300 s limit: its crowd
# phase under TCG is slow, results/crowd-20261207.)
# Convergence without ping-pong, on 8 vCPUs in 2 LLC domains of one NUMA
# node (the domain threshold, 5 %, applies; across nodes the planner
# tolerates 17 % by design, as scx_rusty does, and test_balance covers it):
# 8 CPU-bound tasks start pinned to domain 0's CPUs and are then let run
# anywhere. At the default settings (--interval=2s, --load_half_life=1s),
# read with atlas_stats --json every half interval: within 2 intervals of
# the release both domains' loads are within 10% of the average, they stay
# within 10% at every reading of the next 5 intervals, and the planner
# needed few migrations more than the 4 a perfect plan makes (bound from
# measured runs: MAX_MIGRATIONS). From --verbose's line per pass: the
# planner asked to move at least 4 of the hogs, and none of them twice
# (with two domains a second move of a hog takes it back: ping-pong).
# First, 1000 sleeping threads (tests/vm/crowd) beside 8 hogs, to print what a
# pass costs with many tasks (read / balance / write, from the stats;
# printed, not asserted: timing in TCG is no test); asserted: a pass read
# the crowd's 1000 tasks and more.
# Last, on a scheduler started again: a nice -20 hog alone for 4 s (no
# weight cap: the CPUs are not all busy), then 7 nice-0 ones beside it for
# 24 s (12 passes): its weight is 87 times theirs, and the planner caps it
# at what it can use. The loads the planner reads must follow the cap, so
# that the passes settle: no busy task asked to move more than
# MAX_NICE_MOVES_ONE times, nor more than MAX_NICE_MOVES in all.
#
# CONVERGE_BENCH="A B" ROUNDS=N (e.g. through run.sh --env): no test, but N
# interleaved rounds of the hogs scenario with the scx_atlas binaries A and
# B, one line per run: the first reading from which every reading is within
# 10 %, and the migrations applied.
HERE=$(cd "$(dirname "$0")" && pwd) # lib.sh changes to /tmp
. "$HERE/lib.sh"
tick_fd # pause_until: no fork per wait
STATS=${ATLAS_STATS_BIN:?ATLAS_STATS_BIN not set}
# The least is 4 (8 hogs, 2 equal domains); movable light tasks of the
# crowded domain (kernel threads, shells) move too, mostly in the first
# pass. Measured (bench mode, 6 rounds, and single runs; notes of issue 16):
# 4 to 15 in all (15 in a CI run of 8fbf188: 13 applied by the first
# reading, the loads within 10 % throughout), at most 2 after the fourth
# reading, then 4 in a CI run of d6a6c33. What moves after the fourth
# reading are light tasks whose load comes and goes (kcompactd0,
# rcu_preempt, kworkers, this script's bash and jq, scx_atlas itself: 0-3
# in 6 runs that logged each move, results/converge-20261204), not the
# hogs: a hog moved back and forth swings both loads by 1 of about 4.7,
# which the within-10 % check of every reading fails. Bounds: the most
# measured and a few more; after the fourth reading, 6 (more than one move
# every pass).
MAX_MIGRATIONS=${MAX_MIGRATIONS:-18}
MAX_LATE_MIGRATIONS=${MAX_LATE_MIGRATIONS:-6}
# Before BPF recounted a runnable task's weight when the cap changed, the
# hog, runnable since before there was a cap, kept its whole weight in its
# domain's load (94 against 0.3), and every pass moved every task of that
# domain to the other one: the hog 11 times in 12 passes (with each nice-0
# hog in the passes printed). Since then: 4, 5 and 8 moves of the busy
# tasks, at most 3, 3 and 4 of one (2 runs of this phase and a CI run);
# 4-11, at most 2 of one, with the phase run on the first scheduler (3
# runs). What still moves them is the cap itself, which counts sleeping
# tasks' whole weight (the hog at 4-8 nice-0 tasks' worth, where it can use
# one CPU). Bounds: a few more.
MAX_NICE_MOVES=${MAX_NICE_MOVES:-16}
MAX_NICE_MOVES_ONE=${MAX_NICE_MOVES_ONE:-6}
READS=14 # 7 intervals, a reading every half interval (1 s)

# run LABEL: 8 hogs pinned to domain 0 for 2 s, then released; READS
# readings, one a second, from the release (only atlas_stats runs meanwhile:
# 8 hogs fill the 8 vCPUs; jq is for afterwards, once for every reading: a
# fork of the test's shell took about half a second beside the crowd, and a
# jq or two per reading cost the test a minute). Sets READINGS, MIGRATIONS
# (applied since the release), LATE (applied after the fourth reading),
# WITHIN4 (the fourth reading within 10 %: true or false) and
# SETTLED (the first reading from which every reading is within 10 %,
# 1-based; READS + 1 if none).
run() {
  local j0 i start ok l a
  local -a within applied
  hogs=()
  for _ in 1 2 3 4 5 6 7 8; do hog 0-3; hogs+=("$HOG_PID"); done
  pause_until $((${EPOCHREALTIME/./} + 2000000))
  j0=$("$STATS" --json) || fail "atlas_stats --json failed"
  for p in "${hogs[@]}"; do taskset -pc 0-7 "$p" > /dev/null; done
  start=${EPOCHREALTIME/./}
  READINGS=() TIMES=()
  for ((i = 1; i <= READS; i++)); do
    pause_until $((start + i * 1000000))
    READINGS+=("$("$STATS" --json)") || fail "atlas_stats --json failed"
    TIMES+=("${EPOCHREALTIME/./}")
  done
  kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
  # Per reading: within 10 % (lib.sh's within), the loads, and the
  # migrations applied since the release.
  i=0
  while IFS=$'\t' read -r ok l a; do
    within[i]=$ok applied[i]=$a
    printf '%s +%d.%02ds loads %s applied %s\n' "$1" $(((TIMES[i] - start) / 1000000)) \
      $(((TIMES[i] - start) / 10000 % 100)) "$l" "$a"
    i=$((i + 1))
  done <<< "$(printf '%s\n' "$j0" "${READINGS[@]}" | jq -r -s "$WITHIN_JQ"' .[0].migrations_applied as $a0
    | .[1:][] | [within(10), ([.domains[] | .load * 100 | round / 100] | tojson),
       .migrations_applied - $a0] | @tsv')"
  [ "$i" = "$READS" ] || fail "$i of $READS readings parsed"
  SETTLED=$((READS + 1))
  for ((i = READS - 1; i >= 0; i--)); do
    [ "${within[i]}" = true ] || break
    SETTLED=$((i + 1))
  done
  WITHIN4=${within[3]}
  MIGRATIONS=${applied[READS - 1]}
  LATE=$((applied[READS - 1] - applied[3]))
}

if [ -n "${CONVERGE_BENCH:-}" ]; then
  for ((r = 1; r <= ${ROUNDS:-3}; r++)); do
    for bin in $CONVERGE_BENCH; do
      ATLAS_BIN=$bin
      start_atlas
      run "$bin" > /tmp/run.log
      stop_atlas INT > /dev/null
      echo "round $r $bin: settled_at_reading $SETTLED migrations $MIGRATIONS after_reading_4 $LATE"
    done
  done
  exit 0
fi

start_atlas --verbose
CROWD_BIN=${ATLAS_CROWD_BIN:?ATLAS_CROWD_BIN not set}
[ -x "$CROWD_BIN" ] || fail "$CROWD_BIN is missing (bazel build //tests/vm:crowd)"
: > /tmp/crowd.out
"$CROWD_BIN" 1000 1000 60 > /tmp/crowd.out 2>&1 &
CROWD=$!
for ((i = 0; i < 300; i++)); do
  line= && read -r line < /tmp/crowd.out
  [ "$line" = "crowd: 1000 threads" ] && break
  kill -0 "$CROWD" 2>/dev/null || fail "crowd exited: $(cat /tmp/crowd.out)"
  pause_until $((${EPOCHREALTIME/./} + 100000))
done
[ "$line" = "crowd: 1000 threads" ] || fail "crowd did not start 1000 threads in 30 s"
pause_until $((${EPOCHREALTIME/./} + 2000000)) # each thread's first sleep
run crowd > /dev/null
# Every other reading's pass costs, and the most tasks a pass read (one jq).
printf '%s\n' "${READINGS[@]}" | jq -c -s '[.[range(1; length; 2)]][]
  | {tasks: .last_pass_tasks, pass_us: .last_pass_us, read_us: .last_pass_read_us,
     balance_us: .last_pass_balance_us, write_us: .last_pass_write_us}'
CROWD_TASKS=$(printf '%s\n' "${READINGS[@]}" | jq -s 'map(.last_pass_tasks) | max')
[ "$CROWD_TASKS" -ge 1000 ] || fail "the passes beside the crowd read at most $CROWD_TASKS tasks, not its 1000 and more"
kill "$CROWD" 2>/dev/null; wait "$CROWD" 2>/dev/null
sleep 2

# The PIDs the passes of this run asked to move, a line per move
# (--verbose: "moved PID F->T (LOAD)"); counted per PID with a here-string
# (the guest has no /dev/fd for a process substitution).
moves_asked() {
  grep '^scx_atlas: pass:' "$ATLAS_LOG" | grep -oE '[0-9]+ [0-9]+->[0-9]+ \(' | cut -d' ' -f1
}

run hogs
[ "$WITHIN4" = true ] || fail "not within 10% of the average 2 intervals after the release: $(loads "${READINGS[3]}")"
[ "$SETTLED" -le 4 ] || fail "balance lost at reading $SETTLED or before it: $(loads "${READINGS[SETTLED - 2]}")"
[ "$MIGRATIONS" -ge 4 ] || fail "$MIGRATIONS migrations applied; 4 is the least that balances 8 hogs"
[ "$MIGRATIONS" -le "$MAX_MIGRATIONS" ] || fail "$MIGRATIONS migrations applied for a move of 4 hogs (bound $MAX_MIGRATIONS)"
[ "$LATE" -le "$MAX_LATE_MIGRATIONS" ] || fail "$LATE migrations after the balance was reached (bound $MAX_LATE_MIGRATIONS): ping-pong"
# The hogs' moves the passes asked for.
moved=$(moves_asked)
grep '^scx_atlas: pass:.*moved' "$ATLAS_LOG" | tail -4
MOVES=$(grep -c . <<< "$moved") HOG_MOVED=0
for p in "${hogs[@]}"; do
  n=$(grep -cx "$p" <<< "$moved")
  [ "$n" -le 1 ] || fail "hog $p was moved $n times: ping-pong: $(grep -E "(moved |, )$p [0-9]+->" "$ATLAS_LOG" | tr '\n' '|')"
  HOG_MOVED=$((HOG_MOVED + n))
done
[ "$HOG_MOVED" -ge 4 ] || fail "the passes asked to move $HOG_MOVED of the hogs, 4 at least balance them"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"

start_atlas --verbose
busy=()
nice -n -20 bash -c 'while :; do :; done' &
busy+=($!)
sleep 4
for _ in 1 2 3 4 5 6 7; do bash -c 'while :; do :; done' & busy+=($!); done
sleep 24
kill "${busy[@]}"; wait "${busy[@]}" 2>/dev/null
moved=$(moves_asked)
grep '^scx_atlas: pass:' "$ATLAS_LOG" | tail -3
NICE_MOVES=0 NICE_EACH=""
for p in "${busy[@]}"; do
  n=$(grep -cx "$p" <<< "$moved")
  [ "$n" -le "$MAX_NICE_MOVES_ONE" ] || fail "nice -20 beside nice 0: busy task $p was moved $n times (bound $MAX_NICE_MOVES_ONE): ping-pong"
  NICE_MOVES=$((NICE_MOVES + n)) NICE_EACH+="$n"
done
[ "$NICE_MOVES" -le "$MAX_NICE_MOVES" ] || fail "nice -20 beside nice 0: the busy tasks were moved $NICE_MOVES times (bound $MAX_NICE_MOVES)"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
pass "within 10% 2 intervals after the release and for 5 more; $MIGRATIONS migrations (least 4, bound $MAX_MIGRATIONS), $LATE of them after the fourth reading (bound $MAX_LATE_MIGRATIONS); the passes asked $HOG_MOVED hog moves (none twice) of $MOVES asked; nice -20 beside 7 nice 0: $NICE_MOVES moves of the busy tasks (nice -20 first: $NICE_EACH; bounds $MAX_NICE_MOVES, $MAX_NICE_MOVES_ONE each)"

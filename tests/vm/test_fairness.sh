#!/bin/bash
# vm: -s 2:2:1
# allow: runnable task stall|sched_ext: BPF scheduler "atlas" disabled|atlas.*stall
# No task starves, whatever the weights: CPU 1 is shared by 24 nice-0 hogs,
# one nice-19 hog and one SCHED_IDLE hog. For each scheduler in turn
# (scx_atlas, scx_atlas --mode=user, and both with --lag_budget=0, the
# uncapped weighted vtime of before) the light tasks'
# CPU time (/proc/PID/schedstat) is sampled every 20 ms for 20 s, and the
# longest stretch without progress is their wait. Under scx_atlas (default
# flags) a light task waits at most 1.5 s in balanced mode: the lag budget
# (1 s) plus a round of the 26 tasks, with room for TCG's noise; in user
# mode at most 2.5 s: there the wait is mostly 0.92-1.1 s too, but 8 of
# about 120 runs (of this and older policies) had one of 1.59-1.89 s, at
# the attach or as late as 17 s into the run, for a cause not yet found
# (one failed a CI run); the
# scheduler is not ejected; the uncapped runs wait longer (what the cap is
# for: the kernel's watchdog may eject them for starving a light task, as
# --lag_budget's help says; 5 s in user mode, 30 s in balanced mode, where
# one CI run was ejected while starting; this is then reported as such,
# while an ejection of a capped run fails). The default scheduler's waits are
# measured where a bound is missed, for the failure's message (3.8-8.8 s
# for these tasks in two runs). Before the cap (2ffa794) this test failed:
# 1952 ms balanced, 3777 ms user mode.
# Then the same with most hogs arriving after the light tasks were queued
# (arrive, below): the same bounds.
. "$(dirname "$0")/lib.sh"
SECS=${FAIR_SECS:-20}
NR_HOGS=${FAIR_HOGS:-24}
taskset -pc 0 $$ > /dev/null   # the sampler (this shell) stays off CPU 1


HOGS=()
for ((i = 0; i < NR_HOGS; i++)); do hog 1; HOGS+=("$HOG_PID"); done
taskset -c 1 nice -n 19 bash -c 'while :; do :; done' &
NICE19=$!
taskset -c 1 chrt -i 0 bash -c 'while :; do :; done' &
IDLE=$!
sleep 1

# MAY_STARVE=1 measure ...: an ejection for a runnable task stall, while
# starting or measuring, is the starvation being measured, not a failure
# (STARVED=1; ejected while starting, the waits are not measured: "-").
measure() {  # LABEL [SCX_ATLAS ARGS...] -> WAIT_NICE19 WAIT_IDLE (ms)
  local label=$1 waits=- p
  shift
  STARVED=0
  if [ "$label" != default ] && ! START_MAY_STARVE=${MAY_STARVE:-0} start_atlas "$@"; then
    starved "$label while starting"
  else
    waits=$(longest_waits "$SECS" "$NICE19" "$IDLE")
    if [ "$label" != default ] && [ "${MAY_STARVE:-0}" = 1 ] && [ "$(state)" != enabled ] &&
      grep -q 'runnable task stall' "$ATLAS_LOG"; then
      starved "$label"
    elif [ "$label" != default ]; then
      [ "$(state)" = enabled ] || fail "$label: ejected (state $(state)): $(grep -m4 -iE 'exited|error|stall|reason|watchdog' "$ATLAS_LOG")"
      stop_atlas INT
      [ "$ATLAS_RC" = 0 ] || fail "$label: exit status $ATLAS_RC"
    fi
  fi
  for p in "${HOGS[@]}" "$NICE19" "$IDLE"; do kill -0 "$p" 2>/dev/null || fail "$label: task $p died"; done
  [ "$waits" != - ] || waits="- - - -"
  read -r W19 WIDLE B19 BIDLE <<< "$waits"
  echo "$label: longest wait of the nice-19 task ${W19} ms (from ${B19} ms), of the SCHED_IDLE task ${WIDLE} ms (from ${BIDLE} ms)"
}
# starved WHAT: scx_atlas was ejected for a runnable task stall.
starved() {
  wait "$ATLAS_PID" 2>/dev/null
  STARVED=1
  echo "$1: ejected by the watchdog for starving a task: $(grep -m1 'failed to run' "$ATLAS_LOG")"
}

# default_waits: the default scheduler's waits, measured now (for a
# failure's message; in a subshell, so the figures being checked stay).
default_waits() { (measure default > /dev/null && echo "${W19}/${WIDLE} ms"); }

BOUND=1500 USER_BOUND=2500
measure atlas
A19=$W19 AIDLE=$WIDLE
[ "$A19" -le $BOUND ] && [ "$AIDLE" -le $BOUND ] ||
  fail "balanced mode: waits ${A19}/${AIDLE} ms, want at most $BOUND ms (the default scheduler: $(default_waits))"
measure "atlas --mode=user" --mode=user
M19=$W19 MIDLE=$WIDLE
[ "$M19" -le $USER_BOUND ] && [ "$MIDLE" -le $USER_BOUND ] ||
  fail "user mode: waits ${M19}/${MIDLE} ms, want at most $USER_BOUND ms (the default scheduler: $(default_waits))"
MAY_STARVE=1 measure "atlas --lag_budget=0" --lag_budget=0
U19=$W19 UIDLE=$WIDLE USTARVED=$STARVED
MAY_STARVE=1 measure "atlas --mode=user --lag_budget=0" --mode=user --lag_budget=0
# What the cap is for: without it the light task waits longer (or long
# enough for the watchdog).
[ "$USTARVED" = 1 ] || [ "$U19" -gt "$A19" ] ||
  fail "with --lag_budget=0 the nice-19 task waited ${U19} ms, not more than ${A19} ms with the cap"

# Arrivals: the light tasks share CPU 1 with one hog (the other hogs
# stopped) for ARRIVE_BEFORE s, then the other hogs wake up, and the light
# tasks' longest waits are taken over the next ARRIVE_SECS s. A lead capped
# for 3 tasks (a third of the lag budget) is 8 times too long behind 26:
# before the queues were capped again by a timer (balanced mode) and aged
# (user mode), the light tasks waited 3.2-6.1 s in balanced mode, and user
# mode was ejected by its watchdog (waits past 5 s), in 2 runs of each.
ARRIVE_BEFORE=${FAIR_ARRIVE_BEFORE:-3} ARRIVE_SECS=${FAIR_ARRIVE_SECS:-10}
arrive() {  # LABEL COUNTER [SCX_ATLAS ARGS...] -> W19 WIDLE (ms), MOVED
  local label=$1 counter=$2 waits n
  shift 2
  kill -STOP "${HOGS[@]:1}"
  start_atlas "$@"
  sleep "$ARRIVE_BEFORE"
  kill -CONT "${HOGS[@]:1}"
  waits=$(longest_waits "$ARRIVE_SECS" "$NICE19" "$IDLE")
  read -r W19 WIDLE B19 BIDLE <<< "$waits"
  echo "$label, hogs arriving: longest wait of the nice-19 task ${W19} ms (from ${B19} ms), of the SCHED_IDLE task ${WIDLE} ms (from ${BIDLE} ms)"
  [ "$(state)" = enabled ] || fail "$label, hogs arriving: ejected (state $(state)): $(grep -m4 -iE 'exited|error|stall|reason|watchdog' "$ATLAS_LOG")"
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "$label, hogs arriving: exit status $ATLAS_RC"
  MOVED=$(stat_value "$counter")
  echo "$label, hogs arriving: $counter=$MOVED"
}
# moved COUNTER: the tasks the timer moved (the path the bound is for ran).
moved() { [ -n "$MOVED" ] && [ "$MOVED" -gt 0 ] || fail "hogs arriving: $1 is '$MOVED', want > 0"; }
arrive atlas lag_recapped
AR19=$W19 ARIDLE=$WIDLE
[ "$AR19" -le $BOUND ] && [ "$ARIDLE" -le $BOUND ] ||
  fail "balanced mode, hogs arriving: waits ${AR19}/${ARIDLE} ms, want at most $BOUND ms"
moved lag_recapped
arrive "atlas --mode=user" user_aged --mode=user
MR19=$W19 MRIDLE=$WIDLE
[ "$MR19" -le $USER_BOUND ] && [ "$MRIDLE" -le $USER_BOUND ] ||
  fail "user mode, hogs arriving: waits ${MR19}/${MRIDLE} ms, want at most $USER_BOUND ms"
moved user_aged
kill -9 "${HOGS[@]}" "$NICE19" "$IDLE"
pass "light tasks wait at most $BOUND ms ($USER_BOUND in user mode): nice 19 ${A19} ms (uncapped ${U19}), SCHED_IDLE ${AIDLE} ms (uncapped ${UIDLE}); user mode ${M19}/${MIDLE} ms; hogs arriving ${AR19}/${ARIDLE} ms, user mode ${MR19}/${MRIDLE} ms"

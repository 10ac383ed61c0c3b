#!/bin/bash
# vm: -s 2:2:1
# User mode's heartbeat reaches the scheduler wherever it may run: with
# 1 s slices and more hogs than CPUs, the scheduler (started on CPU 0,
# where its BPF timer is armed, then confined to CPU 3) waits behind a hog;
# the timer must kick CPU 3, not its own CPU. user_heartbeat counts the
# kicks; user_heartbeat_late counts timer ticks that found the scheduler
# still waiting a whole heartbeat after a kick (a kick that could not help).
# Then a policy that answers 1 h slices (--debug_policy_slice), with more
# hogs than CPUs and a 2 s watchdog: its slices are clamped to a quarter of
# the watchdog (user_slice_clamped counts them), and no queued task stalls
# into an ejection.
# Last, a policy that sends every task to CPU 0 (--debug_policy_cpu=0), 1 s
# slices, 8 hogs: CPU 0's local queue (FIFO) keeps one task waiting, BPF
# sends the others to the shared queue (user_local_busy counts them); piled
# on CPU 0 the last would wait 7 s behind the others, past the 5 s watchdog.
. "$(dirname "$0")/lib.sh"

taskset -c 0 true  # (taskset is there)
ATLAS_BIN_REAL=$ATLAS_BIN
ATLAS_BIN=taskset
start_atlas -c 0 "$ATLAS_BIN_REAL" --mode=user --user_slice=1s
ATLAS_BIN=$ATLAS_BIN_REAL
taskset -a -p -c 3 "$ATLAS_PID" > /dev/null || fail "cannot confine scx_atlas to CPU 3"
echo "scx_atlas threads on CPUs: $(for t in /proc/$ATLAS_PID/task/*; do sed -n 's/^Cpus_allowed_list:\s*//p' $t/status; done | sort -u | tr '\n' ' ')"
pids=()
for i in 1 2 3 4 5 6; do bash -c 'while :; do :; done' & pids+=($!); done
# Work that needs the scheduler: short sleeps, each wake-up a decision.
for i in 1 2; do bash -c 'for ((k = 0; k < 300; k++)); do sleep 0.01; done' & pids+=($!); done
sleep 8
[ "$(state)" = enabled ] || fail "state $(state)"
kill "${pids[@]}" 2>/dev/null
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
hb=$(stat_value user_heartbeat) late=$(stat_value user_heartbeat_late)
echo "user_heartbeat=$hb user_heartbeat_late=$late"
[ "$hb" -gt 0 ] || fail "no heartbeat kick: the scenario did not starve the scheduler"
# Late kicks in 16 runs of this guest: 0.5-8.0 % (1/196 to 16/199; the
# bound was 5 % until runs failed it at 9/164 and 9/155, the latter with
# user mode leaving vm.compact_unevictable_allowed alone); kicking the
# timer's own CPU instead left 4165 of 4214 (99 %) late. Bound: a quarter.
[ "$late" -le $((hb / 4)) ] || fail "$late of $hb kicks did not get the scheduler running within a heartbeat"
echo "PASS: scheduler confined to CPU 3 behind 1 s slices: $hb heartbeat kicks, $late late"

# under_policy STAT HOGS SECS WHAT ARGS...: scx_atlas run with ARGS under
# HOGS busy loops for SECS must stay enabled, exit 0, and count STAT (> 0;
# the value in $got).
under_policy() {
  local stat=$1 hogs=$2 secs=$3 what=$4 st i
  shift 4
  start_atlas "$@"
  pids=()
  for ((i = 0; i < hogs; i++)); do bash -c 'while :; do :; done' & pids+=($!); done
  sleep "$secs"
  st=$(state)
  kill "${pids[@]}" 2>/dev/null
  [ "$st" = enabled ] || fail "state $st $secs s into $what (ejected?): $(grep exited "$ATLAS_LOG")"
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
  got=$(stat_value "$stat")
  echo "$stat=$got"
  [ "$got" -gt 0 ] || fail "$stat is 0 after $what"
}
under_policy user_slice_clamped 6 8 "1 h slices" --mode=user --watchdog_timeout=2s --debug_policy_slice=1h
clamped=$got
under_policy user_local_busy 8 10 "every task sent to CPU 0 (piled on its local queue?)" \
  --mode=user --user_slice=1s --debug_policy_cpu=0
busy=$got
pass "scheduler confined to CPU 3 behind 1 s slices: $hb heartbeat kicks, $late late; 1 h policy slices clamped ($clamped), no ejection with a 2 s watchdog; every task sent to CPU 0: $busy sent to the shared queue instead, no ejection"

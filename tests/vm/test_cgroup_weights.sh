#!/bin/bash
# vm: -s 2:2:1 -n 1
# timeout: 900
# cgroup CPU weights (--cgroup_weights), balanced mode (CG_MODES="balanced",
# the default here; test_cgroup_weights_user.sh runs this file with
# CG_MODES=user in a guest of its own: both modes in one guest took
# 535-567 s of the 600 s limit then, and one CI run ran out of it; the
# limit is now 900 s, see "Where the time goes" below), in a guest of 4
# CPUs and 2 domains in one NUMA node (between nodes the planner
# tolerates 17 % of imbalance by design, which moved the nested split's
# shares by up to 30 %: balanced mode read B 0.55-0.65 in 8 runs on 2
# nodes, 0.47-0.51 in 8 on one; results/planner-20261204b), from the
# cgroups' own cpu.stat usage over CG_SECS, once the planner has placed
# their tasks (see settle), as shares of the CPU time the
# measured cgroups used together (under TCG a guest's CPU time and its
# wall clock disagree, so CPUs are 4 x a share). The kernel's default
# scheduler is measured in the same guest where a bound is missed, for the
# failure's message, and always for user mode's lone task (2: its bound is
# relative). (Measured every time, with the readings below forked, the
# balanced run took 431 s and the user one 349 s in a CI run; with
# neither, and 16 s windows, 195-257 s and 192-195 s.)
#   1. siblings of cpu.weight 100 and 300, 6 busy tasks each: the 300 one
#      gets 3/4 of the CPU time (within 10 %);
#   2. equal weights, 1 busy task against 8: the lone task gets the one CPU
#      its half entitles it to (at least 0.85 CPU), not the 4/9 CPU that
#      per-task fairness gives it;
#   3. nested: A (100) = A1 (100) + A2 (300), beside B (100): 1/8, 3/8 and
#      1/2 of the CPU time (A1 within 25 %, the others 20 %: the default
#      scheduler itself was up to 14 % off in five runs, scx_atlas up to
#      21 % with 3-6 s windows);
#   4. at run time, with every task on CPUs 0-1 (one domain): B's weight
#      set from 300 to 100 gives 1/2 a second later; 5 of B's 6 tasks moved
#      to A leave B's last task a whole CPU of the two a second later (at
#      least 0.85; per-task fairness gives it 0.17). (Across domains a
#      change also waits for the planner to move tasks, every --interval:
#      unconfined, one run read 0.60 at 2 s, then 0.51-0.53; another still
#      0.598 8 s after the change, its domains 4 and 8 tasks apart.)
#   5. cgroups made and removed under load (12, each with a busy task moved
#      in and out, cpu.weight 1..9700): no ejection, no slot lost
#      (cgroups_tracked one more with one more cgroup, back where it was
#      after). Slow in the guest: 100 such rounds took 124 s under the
#      default scheduler, about twice that under scx_atlas (rmdir waits for
#      a kworker behind the busy tasks).
# --cgroup_weights=false (per-task weights only, the behaviour before) is
# measured in 1 and 2 and must miss both bounds: the test can fail.
# User mode has the same bounds but three: in 2 the lone task gets at
# least 85 % of what the default scheduler gives it (the default scheduler
# itself gave it 0.80-0.83 CPU here); in 3 A1 within USER_A1_PCT % (user
# mode read 0.141-0.176 in six runs, one of them 41 % over (35 % was the
# bound then): A1's tasks, the lightest, run 1 ms slices, and a task
# whose CPU is idle when its answer comes goes back to it ahead of the
# queue, so the most often queued gain a little; per-task fairness gives
# A1 0.333; the default scheduler's own A2 read 0.452-0.471, 21-26 %
# over); in 4 B's last task
# at least USER_MOVED_MIN CPU of 2 (user mode read 0.719 and 0.722: after
# each of its slices the CPU takes the next queued task before the policy
# answers, so the task waits for another's slice; per-task fairness gives
# it 0.17).
. "$(dirname "$0")/lib.sh"
# 16 s: the readings once took 40-55 s for 8 (see measure), and averaged
# over as many of the planner's passes; 8 true seconds read the balanced
# 300:100 split 0.696-0.768 in 4 runs (bound 0.675), 0.713-0.763 before.
SECS=${CG_SECS:-16}
MODES=${CG_MODES:-balanced}
USER_MOVED_MIN=0.5
USER_A1_PCT=50
CG=/sys/fs/cgroup
echo +cpu > $CG/cgroup.subtree_control || fail "cannot enable the cpu controller"

PIDS=()
# busy CGROUP N: N busy loops in CGROUP (appended to PIDS).
busy() {
  local i
  for ((i = 0; i < $2; i++)); do
    ${BUSY_CPUS:+taskset -c $BUSY_CPUS} sh -c "echo \$\$ > $CG/$1/cgroup.procs && exec sh -c 'while :; do :; done'" &
    PIDS+=($!)
  done
}
stop_busy() { kill -9 "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null; PIDS=(); }
# mkcg PATH WEIGHT
mkcg() { mkdir -p $CG/$1 && echo "$2" > $CG/$1/cpu.weight || fail "mkcg $1 $2"; }
rmcgs() { local d; for d in "$@"; do rmdir $CG/$d 2>/dev/null; done; }
# read_usage CGROUP...: USAGE = each one's usage_usec (builtins only: the
# busy tasks slow every fork of the test's shell, see measure).
read_usage() {
  local c k v
  USAGE=()
  for c in "$@"; do
    while read -r k v; do
      [ "$k" = usage_usec ] && { USAGE+=("$v"); break; }
    done < "$CG/$c/cpu.stat"
  done
}
tick_fd  # for pause_until
# measure CGROUP...: MEASURED = the CPUs used by each over SECS (after 1 s
# to settle), read on the second by the wall clock without a fork (with
# the busy tasks on every CPU the test's forks crawl: 2 readings a second
# apart, by awk, took 11 s, and the diagnostics' 12 awks and 2 jqs 9 s;
# a phase of 8 readings took 40-55 s). Under scx_atlas it also
# keeps what a failure needs to be understood (printed by `diag`): each
# cgroup's CPU time each second (% of one CPU), the CPU each busy task
# was on at the end, and the domains' loads and the cgroups' factors
# scx_atlas reported then.
measure() {
  local before=() i s prev=() per= f t0
  t0=${EPOCHREALTIME/./}
  pause_until $((t0 + 1000000))
  read_usage "$@"
  before=("${USAGE[@]}") prev=("${USAGE[@]}")
  for ((s = 1; s <= SECS; s++)); do
    pause_until $((t0 + (s + 1) * 1000000))
    read_usage "$@"
    f=
    for i in "${!USAGE[@]}"; do f+=/$(((USAGE[i] - prev[i]) / 10000)); done
    per+=" ${f#/}"
    prev=("${USAGE[@]}")
  done
  DIAG_PER= DIAG_CPUS= DIAG_JSON= DIAG_CGS=${*// //}
  if [ -n "${ATLAS_PID:-}" ] && kill -0 "$ATLAS_PID" 2>/dev/null; then
    local st
    for i in "${PIDS[@]}"; do
      read -r -a st < /proc/"$i"/stat 2>/dev/null && DIAG_CPUS+=${st[38]}
    done
    DIAG_PER=$per
    DIAG_JSON=$(stats_json 2>/dev/null)
  fi
  MEASURED=$(for i in "${!before[@]}"; do
    awk -v a="${before[i]}" -v b="${USAGE[i]}" -v s="$SECS" 'BEGIN {printf "%.3f ", (b - a) / 1e6 / s}'
  done)
}
# settle: under balanced mode with its cgroup weights (run's label atlas),
# gives the planner SETTLE_MIN s (3 of its passes, every --interval = 2 s,
# from load averages of a 1 s half-life) and then up to SETTLE_MAX s more
# until the domains' loads, as scx_atlas reports them, are within 10 % of
# their average at two readings a second apart (not always reachable:
# phase 2's lone task weighs a quarter of the load, and the planner kept
# moving one task a pass for 20 s at 12 % off); SETTLED says how long it
# took. Until the planner has placed the tasks, a domain's share of a
# cgroup's tasks decides their CPU time: one run read A1 1.2 CPUs for the
# first 5 s of phase 3 (0.5 after: the bound missed), a CI run gave A1
# and A2 equal time for 6 s. Phases 1-3 measure the weights
# once placed; how fast the planner places is test_balance's.
SETTLE_MIN=6 SETTLE_MAX=10 SETTLE_ON=0 SETTLED=
settle() {
  local t0=$SECONDS ok=0 json=
  SETTLED=
  [ "$SETTLE_ON" = 1 ] && kill -0 "${ATLAS_PID:-0}" 2>/dev/null || return 0
  pause_until $((${EPOCHREALTIME/./} + SETTLE_MIN * 1000000))
  while ((ok < 2 && SECONDS - t0 < SETTLE_MIN + SETTLE_MAX)); do
    read -r -t 1 -u 9
    json=$(stats_json 2>/dev/null) && within 10 "$json" && ok=$((ok + 1)) || ok=0
  done
  SETTLED="settled in $((SECONDS - t0))s"
  ((ok >= 2)) || SETTLED+=" (loads $(loads "$json") still more than 10 % apart)"
}
# diag: what the last measure under scx_atlas kept, as one line.
diag() {
  [ -n "$DIAG_JSON" ] || return 0
  echo "${SETTLED:+$SETTLED; then }each second, the CPU % of $DIAG_CGS:$DIAG_PER; the tasks' CPUs: $DIAG_CPUS; loads $(loads "$DIAG_JSON" 2>/dev/null); cgroups $(jq -c '[.cgroups[] | {weight, factor: (.factor * 1000 | round / 1000), runnable}]' <<< "$DIAG_JSON" 2>/dev/null)"
}
# cpus X Y [N]: the CPUs X stands for, with X + Y using all N (all of them)
cpus() { awk -v x="$1" -v y="$2" -v n="${3:-$(nproc)}" 'BEGIN {printf "%.3f", n * x / (x + y)}'; }
# frac X Y: X / (X + Y)
frac() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.3f", x / (x + y)}'; }
# near X WANT PCT: |X - WANT| <= PCT % of WANT
near() { awk -v x="$1" -v w="$2" -v p="$3" 'BEGIN {exit !(x >= w * (1 - p / 100) && x <= w * (1 + p / 100))}'; }
ge() { awk -v x="$1" -v y="$2" 'BEGIN {exit !(x >= y)}'; }

# Where the time goes (the pass line says it: balanced mode alone once
# took 575 s of the then 600 s limit, against 366 s in another run): the
# seconds scx_atlas took to start and to stop, in all, and each phase's.
START_T=0 STOP_T=0
TIMES=
# timed PHASE_NAME T0: appends the seconds since T0 to TIMES.
timed() { TIMES="$TIMES $1 $((SECONDS - $2))s"; }
start_timed() {
  local t0=$SECONDS
  start_atlas "$@"
  START_T=$((START_T + SECONDS - t0))
}
stop_timed() {
  local t0=$SECONDS
  stop_atlas INT
  STOP_T=$((STOP_T + SECONDS - t0))
}

# run LABEL PHASE [SCX_ATLAS ARGS...]: PHASE under the default scheduler
# (LABEL default) or scx_atlas.
run() {
  local label=$1 phase=$2
  shift 2
  [ "$label" = default ] || start_timed "$@"
  SETTLE_ON=0
  [ "$label" = atlas ] && [ "${mode:-}" = balanced ] && SETTLE_ON=1
  "$phase"
  if [ "$label" != default ]; then
    [ "$(state)" = enabled ] || fail_ejected "$label: ejected in $phase"
    stop_timed
    [ "$ATLAS_RC" = 0 ] || fail "$label: exit status $ATLAS_RC"
  fi
}

# The phases start their cgroups' tasks in turn (a, b, a, b, ...): a
# child starts in its parent's domain, and the test's shell can move to
# the other domain while it starts them (a balanced run read the nested
# split's A1 0.268, 114 % over: A2's share within A was 0.33, not 0.75,
# for the first 3 seconds, what A1's four tasks given a domain of their
# own would get, then 0.68 once the planner had moved tasks).
siblings() {
  mkcg a 100; mkcg b 300
  local i
  for ((i = 0; i < 6; i++)); do busy a 1; busy b 1; done
  settle
  measure a b; read -r A B <<< "$MEASURED"
  stop_busy; rmcgs a b
  SHARE=$(frac "$B" "$A")
}
lone() {
  mkcg a 100; mkcg b 100
  busy b 4; busy a 1; busy b 4
  settle
  measure a b; read -r A B <<< "$MEASURED"
  stop_busy; rmcgs a b
  LONE=$(cpus "$A" "$B")
}
nested() {
  mkcg a 100; mkcg b 100
  echo +cpu > $CG/a/cgroup.subtree_control
  mkcg a/a1 100; mkcg a/a2 300
  local i
  for ((i = 0; i < 4; i++)); do busy a/a1 1; busy a/a2 1; busy b 1; done
  settle
  measure a/a1 a/a2 b; read -r A1 A2 B <<< "$MEASURED"
  stop_busy; rmcgs a/a1 a/a2 a b
  NESTED="$(awk -v x="$A1" -v y="$A2" -v z="$B" 'BEGIN {t = x + y + z; printf "%.3f %.3f %.3f", x / t, y / t, z / t}')"
}

# default_of PHASE VAR: VAR as PHASE leaves it under the default
# scheduler, measured now (in a subshell: its cgroups and busy tasks are
# its own).
default_of() { ( "$1" > /dev/null; echo "${!2}" ); }

# args MODE: scx_atlas's arguments for MODE.
args() {
  case "$1" in
    balanced) echo "--cgroup_weights" ;;
    user) echo "--mode=user --cgroup_weights" ;;
    *) fail "CG_MODES: unknown mode $1 (balanced, user)" ;;
  esac
}

declare -A S_SHARE O_SHARE S_LONE O_LONE S_NESTED CHANGED MOVED TRACKED SUMMARY
if [ "${CG_ONLY_CHURN:-0}" != 1 ]; then   # (1 alone: phase 5 only, checking the check)
T0=$SECONDS
for mode in $MODES; do
  # shellcheck disable=SC2046
  run atlas siblings $(args "$mode"); S_SHARE[$mode]=$SHARE
  echo "1. ($mode mode) weight 300 vs 100, 6 busy tasks each: scx_atlas gave the 300 cgroup $SHARE (want 0.75); $(diag)"
  near "${S_SHARE[$mode]}" 0.75 10 || fail "$mode mode gave the weight-300 cgroup ${S_SHARE[$mode]} of the CPU time, want 0.75 within 10 % (default scheduler: $(default_of siblings SHARE))"
  # shellcheck disable=SC2046
  run off siblings $(args "$mode") --cgroup_weights=false; O_SHARE[$mode]=$SHARE
  echo "1. ($mode mode) weight 300 vs 100, 6 busy tasks each: the 300 cgroup's share: scx_atlas ${S_SHARE[$mode]}, --cgroup_weights=false ${O_SHARE[$mode]} (want 0.75)"
  near "${O_SHARE[$mode]}" 0.75 10 && fail "$mode mode, --cgroup_weights=false also gave ${O_SHARE[$mode]}: the test cannot tell"
done

timed siblings "$T0"; T0=$SECONDS
D_LONE=
case " $MODES " in *" user "*) run default lone; D_LONE=$LONE ;; esac
for mode in $MODES; do
  # shellcheck disable=SC2046
  run atlas lone $(args "$mode"); S_LONE[$mode]=$LONE
  # shellcheck disable=SC2046
  run off lone $(args "$mode") --cgroup_weights=false; O_LONE[$mode]=$LONE
  echo "2. ($mode mode) equal weights, 1 busy task vs 8: the lone task's CPUs: scx_atlas ${S_LONE[$mode]}, --cgroup_weights=false ${O_LONE[$mode]} (want 1.0 of 4; per-task fairness 0.44${D_LONE:+; default $D_LONE})"
  LONE_MIN=0.85
  [ "$mode" = user ] && LONE_MIN=$(awk -v d="$D_LONE" 'BEGIN {printf "%.3f", 0.85 * d}')
  ge "${S_LONE[$mode]}" "$LONE_MIN" || fail "$mode mode gave the lone task ${S_LONE[$mode]} CPU, want at least $LONE_MIN (default scheduler: ${D_LONE:-$(default_of lone LONE)})"
  ge "${O_LONE[$mode]}" "$LONE_MIN" && fail "$mode mode, --cgroup_weights=false also gave ${O_LONE[$mode]} CPU: the test cannot tell"
done

timed lone "$T0"; T0=$SECONDS
for mode in $MODES; do
  # shellcheck disable=SC2046
  run atlas nested $(args "$mode"); S_NESTED[$mode]=$NESTED
  echo "3. ($mode mode) nested A(100)={A1(100), A2(300)} beside B(100), 4 busy tasks each: shares A1 A2 B: scx_atlas $NESTED (want 0.125 0.375 0.5); $(diag)"
  read -r A1 A2 B <<< "$NESTED"
  A1_PCT=25
  [ "$mode" = user ] && A1_PCT=$USER_A1_PCT
  near "$A1" 0.125 "$A1_PCT" && near "$A2" 0.375 20 && near "$B" 0.5 20 ||
    fail "$mode mode: nested shares $NESTED, want 0.125 (within $A1_PCT %) 0.375 0.5 (within 20 %) (default scheduler: $(default_of nested NESTED))"
done
timed nested "$T0"
fi

for mode in $MODES; do
T0=$SECONDS
# shellcheck disable=SC2046
start_timed $(args "$mode")
if [ "${CG_ONLY_CHURN:-0}" != 1 ]; then
# 4. Changes at run time.
mkcg a 100; mkcg b 300
BUSY_CPUS=0,1
busy a 6; busy b 6
BUSY_CPUS=
B_PIDS=("${PIDS[@]:6:6}")
sleep 2
echo 100 > $CG/b/cpu.weight
measure a b; read -r A B <<< "$MEASURED"
CHANGED[$mode]=$(frac "$B" "$A")
for p in "${B_PIDS[@]:0:5}"; do echo "$p" > $CG/a/cgroup.procs; done
measure a b; read -r A B <<< "$MEASURED"
MOVED[$mode]=$(cpus "$B" "$A" 2)
stop_busy; rmcgs a b
echo "4. ($mode mode) after cpu.weight 300 -> 100: share ${CHANGED[$mode]} (want 0.5); after 5 of B's 6 tasks moved to A, B's last task: ${MOVED[$mode]} CPU of 2 (want 1.0; per-task 0.17)"
near "${CHANGED[$mode]}" 0.5 10 || fail "$mode mode: a second after the weight change the share was ${CHANGED[$mode]}, want 0.5 within 10 %"
MOVED_MIN=0.85
[ "$mode" = user ] && MOVED_MIN=$USER_MOVED_MIN
ge "${MOVED[$mode]}" "$MOVED_MIN" || fail "$mode mode: a second after the move B's last task had ${MOVED[$mode]} CPU, want at least $MOVED_MIN"
moves=$("$ATLAS_STATS_BIN" --json | jq '.events.cgroup_move')
[ "$moves" -ge 5 ] || fail "$mode mode: cgroup_move counted $moves moves, want >= 5"
fi
timed "start+runtime($mode)" "$T0"; T0=$SECONDS

# 5. Cgroups come and go under load.
TRACKED0=$(stats_json | jq .cgroups_tracked)
mkcg probe 100
sleep 0.5
TRACKED_PROBE=$(stats_json | jq .cgroups_tracked)
rmdir $CG/probe
[ "$TRACKED_PROBE" = $((TRACKED0 + 1)) ] || fail "$mode mode: a new cgroup: cgroups tracked $TRACKED0 -> $TRACKED_PROBE, want one more"
busy . 4
for ((i = 0; i < 12; i++)); do
  mkcg "loop$i" $((1 + i * 97 % 10000))
  echo "${PIDS[$((i % 4))]}" > $CG/loop$i/cgroup.procs
  echo "${PIDS[$((i % 4))]}" > $CG/cgroup.procs
  rmdir $CG/loop$i || fail "rmdir loop$i"
done
sleep 1
TRACKED1=$(stats_json | jq .cgroups_tracked)
NO_SLOT=$(stats_json | jq .events.cgroup_no_slot)
stop_busy
[ "$(state)" = enabled ] || fail_ejected "$mode mode: ejected while cgroups came and went"
stop_timed
[ "$ATLAS_RC" = 0 ] || fail "$mode mode: exit status $ATLAS_RC"
echo "5. ($mode mode) 12 cgroups made and removed under load: cgroups tracked $TRACKED0 before ($TRACKED_PROBE with one more), $TRACKED1 after; cgroup_no_slot $NO_SLOT"
[ "$TRACKED1" = "$TRACKED0" ] || fail "$mode mode: cgroups tracked $TRACKED0 -> $TRACKED1 after 12 made and removed"
[ "$NO_SLOT" = 0 ] || fail "$mode mode: cgroup_no_slot $NO_SLOT"
timed "churn($mode)" "$T0"
SUMMARY[$mode]="$mode: 300:100 ${S_SHARE[$mode]-} (off ${O_SHARE[$mode]-}), lone ${S_LONE[$mode]-} (off ${O_LONE[$mode]-}), nested ${S_NESTED[$mode]-}, change ${CHANGED[$mode]-}, move ${MOVED[$mode]-}, churn tracked $TRACKED0 -> $TRACKED1"
done
line=
for mode in $MODES; do line="$line; ${SUMMARY[$mode]}"; done
pass "cgroup weights${D_LONE:+ (the default scheduler: lone $D_LONE)}$line; seconds: scx_atlas starting ${START_T}s and stopping ${STOP_T}s in all,$TIMES"

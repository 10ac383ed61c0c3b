# SPDX-License-Identifier: GPL-2.0-only
# Helpers for the guest side of the VM tests (sourced by tests/vm/test_*.sh,
# which tests/vm/run.sh runs inside tools/vm/vm-run). ATLAS_BIN is the staged
# scx_atlas binary. Every check prints what it saw; `fail` ends the test.
set -u
SCX=/sys/kernel/sched_ext
ATLAS_BIN=${ATLAS_BIN:?ATLAS_BIN not set}
ATLAS_LOG=/tmp/atlas.log
ATLAS_PID=
cd /tmp   # stress-ng needs a writable working directory
# Background jobs (scheduler, hogs) would keep the guest's output pipe open
# and hang the run: end them whatever way the test ends.
trap 'kill -9 $(jobs -p) 2>/dev/null' EXIT

fail() { echo "FAIL: $*"; [ -f "$ATLAS_LOG" ] && { echo "--- scx_atlas output ---"; tail -20 "$ATLAS_LOG"; }; exit 1; }
pass() { echo "PASS: $*"; }
# fail_ejected WHAT: fail once scx_atlas has exited (up to 10 s after the
# kernel disabled it), so that its output holds the exit reason, with the
# kernel's sched_ext lines.
fail_ejected() {
  wait_atlas_exit 100
  echo "--- kernel log (sched_ext) ---"
  # The last disable (test_cgroup_weights starts and stops many times),
  # not a clean stop's.
  dmesg | grep -v 'unregistered from user space' | grep -A6 'sched_ext: .*disabled' | tail -14
  echo "--- scx_atlas's exit ---"
  grep -m6 -iE 'exit|error|stall|reason|watchdog' "$ATLAS_LOG"
  fail "$*"
}
state() { cat $SCX/state; }
# wait_atlas_exit TENTHS: wait up to TENTHS tenths of a second for
# scx_atlas to exit; false if it still runs.
wait_atlas_exit() {
  local i
  for ((i = 0; i < $1; i++)); do kill -0 "$ATLAS_PID" 2>/dev/null || return 0; sleep 0.1; done
  ! kill -0 "$ATLAS_PID" 2>/dev/null
}
ops() { cat $SCX/root/ops 2>/dev/null; }

# wait_state STATE [TENTHS]: wait until sched_ext's state is STATE.
wait_state() {
  local i
  for ((i = 0; i < ${2:-100}; i++)); do
    [ "$(state)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# start_atlas [ARGS...]: start scx_atlas in the background, wait until the
# kernel says enabled and scx_atlas has reported itself enabled. With
# START_MAY_STARVE=1, an exit for a runnable task stall (the kernel's
# watchdog) returns 1 instead of failing: for a test that measures
# starvation.
start_atlas() {
  [ "$(state)" = disabled ] || fail "sched_ext not disabled before start: $(state)"
  "$ATLAS_BIN" "$@" > "$ATLAS_LOG" 2>&1 &
  ATLAS_PID=$!
  local i
  # Up to 60 s: under TCG on a busy host, enabling (every task's
  # init_task, every cgroup's cgroup_init) once took more than 20 s.
  for ((i = 0; i < 600; i++)); do
    [ "$(state)" = enabled ] && [ "$(ops)" = atlas ] && grep -q '^scx_atlas: enabled' "$ATLAS_LOG" && break
    kill -0 "$ATLAS_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$(state)" != enabled ] || ! kill -0 "$ATLAS_PID" 2>/dev/null; then
    # Ejected (or exited) while starting, or just after it said enabled.
    wait_atlas_exit 100 || fail "state is '$(state)', not enabled, 60 s after start"
    [ "${START_MAY_STARVE:-0}" = 1 ] && grep -q 'runnable task stall' "$ATLAS_LOG" && return 1
    fail "scx_atlas exited during start (state $(state))"
  fi
  [ "$(ops)" = atlas ] || fail "root/ops is '$(ops)', not atlas"
  echo "scx_atlas enabled (pid $ATLAS_PID): state=$(state) ops=$(ops)"
}

# stop_atlas SIGNAL: send SIGNAL, wait, set ATLAS_RC.
stop_atlas() {
  kill -"$1" "$ATLAS_PID" 2>/dev/null || fail "scx_atlas (pid $ATLAS_PID) is not running"
  if ! wait_atlas_exit 300; then
    echo "--- scx_atlas stack ---"; cat /proc/"$ATLAS_PID"/task/*/stack 2>/dev/null | head -20
    fail "scx_atlas did not exit within 30 s of SIG$1"
  fi
  wait "$ATLAS_PID"
  ATLAS_RC=$?
  echo "scx_atlas exit status after SIG$1: $ATLAS_RC"
}

# stat_value NAME: a counter from scx_atlas's "final stats" line.
stat_value() {
  grep 'final stats:' "$ATLAS_LOG" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# workload SECS: stress-ng on every CPU plus hackbench, for about SECS.
workload() {
  local secs=$1 start=$SECONDS
  stress-ng --cpu "$(nproc)" --timeout "$secs" --metrics-brief > /tmp/stress.log 2>&1 &
  local sp=$!
  while [ $((SECONDS - start)) -lt "$secs" ]; do
    hackbench -g 2 -l 100 > /tmp/hackbench.log 2>&1 || fail "hackbench failed: $(tail -2 /tmp/hackbench.log)"
  done
  wait $sp || fail "stress-ng failed: $(tail -3 /tmp/stress.log)"
  echo "workload: ${secs}s of stress-ng --cpu $(nproc) + hackbench: $(grep -E 'cpu ' /tmp/stress.log | tail -1 | sed 's/  */ /g')"
}

# hog CPULIST: a busy loop pinned to CPULIST, in the background; sets HOG_PID.
hog() {
  taskset -c "$1" bash -c 'while :; do :; done' &
  HOG_PID=$!
}

# sleeper CPULIST N SECS: N wake-ups, SECS apart, pinned to CPULIST, in the
# background; its pid is added to SLEEPERS (wait "${SLEEPERS[@]}": a bare
# `wait` would also wait for scx_atlas).
SLEEPERS=()
sleeper() {
  taskset -c "$1" bash -c "for ((i = 0; i < $2; i++)); do sleep $3; done" &
  SLEEPERS+=($!)
}

# expect_positive NAME...: each counter in the final stats is > 0.
expect_positive() {
  local s v
  for s in "$@"; do
    v=$(stat_value "$s")
    [ -n "$v" ] && [ "$v" -gt 0 ] || fail "counter $s is '${v}', want > 0"
    echo "counter $s=$v"
  done
}

# expect_zero NAME...: each counter in the final stats is 0.
expect_zero() {
  local s v
  for s in "$@"; do
    v=$(stat_value "$s")
    [ "$v" = 0 ] || fail "counter $s is '${v}', want 0"
    echo "counter $s=$v"
  done
}

# stats_json: the running scx_atlas's stats (atlas_stats --json).
stats_json() { "${ATLAS_STATS_BIN:?ATLAS_STATS_BIN not set}" --json; }

# within PCT JSON: in a stats_json reading, every domain's load is within
# PCT% of the average (and the average is positive).
# WITHIN_JQ defines within($pct) for jq programs that judge many readings.
WITHIN_JQ='def within($pct): [.domains[] | .load] as $l
  | ($l | add / length) as $avg
  | $avg > 0 and ($l | all(. >= $avg * (1 - $pct / 100) and . <= $avg * (1 + $pct / 100)));'
within() { jq -e --argjson pct "$1" "$WITHIN_JQ within(\$pct)" <<< "$2" > /dev/null; }

# loads JSON: the domains' loads of a stats_json reading, rounded.
loads() { jq -c '[.domains[] | .load * 100 | round / 100]' <<< "$1"; }

# tick_fd: opens fd 9 on a fifo nobody writes, so that `read -t S -u 9`
# is a sleep without a fork (under busy loops on every vCPU each fork of
# a test's shell crawls).
tick_fd() {
  [ -p /tmp/tick.fifo ] || mkfifo /tmp/tick.fifo
  exec 9<> /tmp/tick.fifo
}

# pause_until T: returns at EPOCHREALTIME T (in microseconds), or at once
# if that is past; no fork (tick_fd first).
pause_until() {
  local now=${EPOCHREALTIME/./} left t
  while ((now < $1)); do
    left=$(($1 - now))
    printf -v t '%d.%06d' $((left / 1000000)) $((left % 1000000))
    read -r -t "$t" -u 9 _
    now=${EPOCHREALTIME/./}
  done
}

# longest_waits SECS PID...: the longest stretch (ms) each PID's CPU time
# did not grow, sampled every 20 ms (bash builtins only: no fork per
# sample), then when each of those stretches began (ms from the start).
longest_waits() {
  tick_fd
  local secs=$1 i t t0 run end
  shift
  local -a pids=("$@") last_run=() last_t=() longest=() began=()
  t=${EPOCHREALTIME/./} t0=$t
  end=$((t + secs * 1000000))
  for i in "${!pids[@]}"; do last_run[i]=-1 last_t[i]=$t longest[i]=0; done
  while [ "$t" -lt "$end" ]; do
    read -r -t 0.02 -u 9 _
    t=${EPOCHREALTIME/./}
    for i in "${!pids[@]}"; do
      read -r run _ < "/proc/${pids[i]}/schedstat" || continue
      [ "$run" != "${last_run[i]}" ] && last_run[i]=$run last_t[i]=$t
      ((t - last_t[i] > longest[i])) && longest[i]=$((t - last_t[i])) began[i]=$((last_t[i] - t0))
    done
  done
  for i in "${!pids[@]}"; do printf '%s ' $((longest[i] / 1000)); done
  for i in "${!pids[@]}"; do printf '%s ' $((${began[i]:-0} / 1000)); done
}

# one_line_error EXPECTED_RC PATTERN CMD...: CMD exits EXPECTED_RC after one
# line of output matching PATTERN.
one_line_error() {
  local want=$1 pat=$2; shift 2
  "$@" > /tmp/out.log 2>&1
  local rc=$? lines
  lines=$(wc -l < /tmp/out.log)
  echo "\$ $* -> exit $rc: $(cat /tmp/out.log)"
  [ "$rc" = "$want" ] || fail "exit status $rc, want $want"
  [ "$lines" = 1 ] || fail "$lines lines of output, want one"
  grep -q -- "$pat" /tmp/out.log || fail "output does not match '$pat'"
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest half of tools/bench (run by tools/vm/vm-run): one round, every
# variant in BENCH_ORDER, each running every workload; one line per figure
#   RESULT round=R variant=V workload=W value=X
# and, for scx_atlas variants, the counters after each workload
#   COUNTERS round=R variant=V workload=W {json}
# Environment: BENCH_STAGE (binaries, variants, src.tar), BENCH_ROUND,
# BENCH_ORDER (comma-separated variant names), BENCH_QUICK, BENCH_WORKLOADS,
# BENCH_HB_REPS (hackbench runs per variant; the median counts),
# BENCH_CGROUP (1: the workloads run in the cgroup /sys/fs/cgroup/bench,
# cpu controller on; the schedulers stay in the root).
set -u
ST=${BENCH_STAGE:?}
R=${BENCH_ROUND:?}
QUICK=${BENCH_QUICK:-0}
WORKLOADS=${BENCH_WORKLOADS:-hackbench stress cyclictest make wakebench}
SCX=/sys/kernel/sched_ext
SOCK=/run/atlas-bench.sock
N=$(nproc)
# Workload sizes: each about 10 s under the default scheduler at 4 vCPUs.
if [ "$QUICK" = 1 ]; then SECS=3 HB_LOOPS=50 WB_SECS=3; else SECS=10 HB_LOOPS=${BENCH_HB_LOOPS:-200} WB_SECS=10; fi
CGROUP=${BENCH_CGROUP:-0}
if [ "$CGROUP" = 1 ]; then
  { echo +cpu > /sys/fs/cgroup/cgroup.subtree_control && mkdir -p /sys/fs/cgroup/bench; } ||
    { echo "bench-guest: cannot make the cgroup /sys/fs/cgroup/bench"; exit 1; }
fi
cd /tmp
trap 'kill -9 $(jobs -p) 2>/dev/null' EXIT
echo "KERNEL $(uname -r)"
echo "bench-guest: round $R, $N CPUs, $(ls -d /sys/devices/system/node/node[0-9]* | wc -l) node(s), HZ $(getconf CLK_TCK), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
case " $WORKLOADS " in *" make "*)
  mkdir -p /tmp/src && tar -xf "$ST/src.tar" -C /tmp/src --strip-components=1
  (cd /tmp/src && ./configure > /dev/null 2>&1) || echo "bench-guest: zlib configure failed" ;;
esac

# NAME -> BIN|FLAGS from the variants file.
spec_of() { sed -n "s/^$1|//p" "$ST/variants" | head -1; }

PID= IS_ATLAS=0
start_variant() {  # NAME -> 0 when running (or the default scheduler)
  local spec bin flags
  spec=$(spec_of "$1") bin=${spec%%|*} flags=${spec#*|}
  IS_ATLAS=0 PID=
  case "$bin" in
    default) return 0 ;;
    scx_simple) "$ST/scx_simple" > /tmp/sched.log 2>&1 & ;;
    *) IS_ATLAS=1
       # shellcheck disable=SC2086
       "$ST/$bin" --stats_socket=$SOCK $flags > /tmp/sched.log 2>&1 & ;;
  esac
  PID=$!
  for _ in $(seq 300); do
    [ "$(cat $SCX/state)" = enabled ] && return 0
    kill -0 $PID 2>/dev/null || break
    sleep 0.1
  done
  echo "bench-guest: $1 did not start: $(tail -2 /tmp/sched.log)"
  return 1
}
stop_variant() {
  [ -n "$PID" ] || return 0
  kill -INT $PID 2>/dev/null
  for _ in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
  kill -9 $PID 2>/dev/null
  wait $PID 2>/dev/null
  PID=
  for _ in $(seq 100); do [ "$(cat $SCX/state)" = disabled ] && break; sleep 0.1; done
}
result() { echo "RESULT round=$R variant=$1 workload=$2 value=$3"; }
# The CPUs' entries into idle so far (/proc/schedstat's sched_goidle, the
# 5th field of each cpu line; counted while kernel.sched_schedstats is 1).
goidle() { awk '/^cpu[0-9]/ {n += $5} END {print n + 0}' /proc/schedstat 2> /dev/null; }
# The CPUs' busy time so far, in USER_HZ ticks (/proc/stat: all but idle
# and iowait).
busy_jiffies() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
counters() {  # VARIANT WORKLOAD
  [ $IS_ATLAS = 1 ] || return 0
  local j
  j=$("$ST/atlas_stats" --socket=$SOCK --json 2>/dev/null | jq -c '.events + {slice_us, page_faults}' 2>/dev/null)
  [ -n "$j" ] && echo "COUNTERS round=$R variant=$1 workload=$2 $j"
}
still_on() {  # the variant is still what the kernel runs
  if [ -z "$PID" ]; then [ "$(cat $SCX/state)" = disabled ]; else [ "$(cat $SCX/state)" = enabled ]; fi
}

run_workload() {  # VARIANT WORKLOAD
  local v=$1 t v2 p50 p99 t0
  case "$2" in
    hackbench)  # completion time (s), the median of BENCH_HB_REPS runs
      local runs=() i
      for ((i = 0; i < ${BENCH_HB_REPS:-1}; i++)); do
        t=$(hackbench -g 4 -l "$HB_LOOPS" 2>/dev/null | sed -n 's/^Time: //p')
        [ -n "$t" ] && runs+=("$t")
      done
      [ ${#runs[@]} -gt 0 ] && result "$v" hackbench_s "$(printf '%s\n' "${runs[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')" ;;
    stress)  # bogo-ops per second of real time
      v2=$(stress-ng --cpu "$N" --timeout "$SECS" --metrics-brief 2>&1 | awk '$4 == "cpu" {print $9}' | tail -1)
      [ -n "$v2" ] && result "$v" stress_bogo_ops_s "$v2" ;;
    cyclictest)  # wake-up latency (us) under a CPU load, from its histogram
      stress-ng --cpu "$N" --timeout $((SECS + 2)) > /dev/null 2>&1 &
      local bg=$!
      sleep 1
      cyclictest -q -m -t "$N" -i 1000 -D "$SECS" -h 100000 > /tmp/cyc.txt 2>/dev/null
      wait $bg
      # (no process substitution: the guest has no /dev/fd)
      if "$ST/bench_report" --cyclictest_hist=/tmp/cyc.txt > /tmp/cyc.pct 2>/dev/null && read -r p50 p99 < /tmp/cyc.pct; then
        result "$v" cyclictest_p50_us "$p50"; result "$v" cyclictest_p99_us "$p99"
      fi ;;
    make)  # make -j of zlib's static library at -O0 (s)
      (cd /tmp/src && make clean > /dev/null 2>&1)
      t0=$(date +%s.%N)
      if (cd /tmp/src && make -j"$N" CFLAGS=-O0 libz.a > /dev/null 2>&1); then
        result "$v" make_s "$(echo "$(date +%s.%N) - $t0" | bc)"
      fi ;;
    wakebench)  # M = one message thread per 2 CPUs, N = 4 workers each
      # The CPUs busy and their entries into idle a second over the run,
      # warm-up included (/proc/stat; schedstats' sched_goidle, on for this
      # workload only), for any scheduler.
      local idle0 busy0 t1 stats0
      stats0=$(sysctl -n kernel.sched_schedstats 2> /dev/null)
      sysctl -qw kernel.sched_schedstats=1 2> /dev/null
      idle0=$(goidle) busy0=$(busy_jiffies) t0=$(date +%s.%N)
      "$ST/wakebench" --json --message_threads=$(( (N + 1) / 2 )) --workers=4 \
        --duration="${WB_SECS}s" --warmup=2s > /tmp/wb.json 2>/dev/null &&
        jq -r '"\(.wakeup_us.p50) \(.wakeup_us.p99) \(.rps)"' /tmp/wb.json > /tmp/wb.txt &&
        read -r p50 p99 v2 < /tmp/wb.txt &&
        { result "$v" wakebench_p50_us "$p50"; result "$v" wakebench_p99_us "$p99"; result "$v" wakebench_rps "$v2"; }
      t1=$(date +%s.%N)
      [ -n "$idle0" ] &&
        result "$v" wakebench_idle_entries_per_s "$(echo "($(goidle) - $idle0) / ($t1 - $t0)" | bc)"
      [ -n "$busy0" ] &&
        result "$v" wakebench_busy_cpus "$(echo "scale=2; ($(busy_jiffies) - $busy0) / $(getconf CLK_TCK) / ($t1 - $t0)" | bc)"
      [ -n "$stats0" ] && sysctl -qw kernel.sched_schedstats="$stats0" 2> /dev/null ;;
  esac
  counters "$v" "$2"
}

IFS=, read -r -a ORDER <<< "${BENCH_ORDER:?}"
for v in "${ORDER[@]}"; do
  t0=$SECONDS
  if ! start_variant "$v"; then echo "EVENT round=$R variant=$v what=failed"; continue; fi
  for w in $WORKLOADS; do
    if [ "$CGROUP" = 1 ]; then
      # In a subshell moved into the cgroup (its children follow).
      (echo $BASHPID > /sys/fs/cgroup/bench/cgroup.procs ||
        { echo "EVENT round=$R variant=$v what=nocgroup"; exit 1; }
        run_workload "$v" "$w")
    else
      run_workload "$v" "$w"
    fi
  done
  still_on || echo "EVENT round=$R variant=$v what=ejected"
  stop_variant
  echo "bench-guest: $v took $((SECONDS - t0)) s"
done
echo "bench-guest: done"

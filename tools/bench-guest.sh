#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest half of tools/bench (run by tools/vm/vm-run): rounds of every
# scheduler in turn, each running every workload; one line per figure:
#   RESULT round=R sched=S workload=W value=V
# Environment: BENCH_STAGE (binaries, src.tar), BENCH_ROUNDS, BENCH_FIRST_ROUND,
# BENCH_QUICK, BENCH_SCHEDS.
set -u
ST=${BENCH_STAGE:?}
ROUNDS=${BENCH_ROUNDS:-5}
FIRST=${BENCH_FIRST_ROUND:-1}  # label of this guest's first round
QUICK=${BENCH_QUICK:-0}
SCHEDS=${BENCH_SCHEDS:-default atlas atlas-user scx_simple}
SCX=/sys/kernel/sched_ext
N=$(nproc)
if [ "$QUICK" = 1 ]; then SECS=3 HB_LOOPS=50; else SECS=10 HB_LOOPS=100; fi
cd /tmp
trap 'kill -9 $(jobs -p) 2>/dev/null' EXIT
echo "KERNEL $(uname -r)"
echo "bench-guest: $N CPUs, $(ls -d /sys/devices/system/node/node[0-9]* | wc -l) nodes, rounds $ROUNDS, workloads ${SECS}s"
mkdir -p /tmp/src && tar -xf "$ST/src.tar" -C /tmp/src --strip-components=1
(cd /tmp/src && ./configure > /dev/null 2>&1) || echo "bench-guest: zlib configure failed"

PID=
start_sched() {  # NAME -> 0 when running (or default)
  case "$1" in
    default) return 0 ;;
    atlas) "$ST/scx_atlas" --stats_socket=none > /tmp/sched.log 2>&1 & ;;
    atlas-user) "$ST/scx_atlas" --mode=user --stats_socket=none > /tmp/sched.log 2>&1 & ;;
    scx_simple) "$ST/scx_simple" > /tmp/sched.log 2>&1 & ;;
  esac
  PID=$!
  for _ in $(seq 200); do
    [ "$(cat $SCX/state)" = enabled ] && return 0
    kill -0 $PID 2>/dev/null || break
    sleep 0.1
  done
  echo "bench-guest: $1 did not start: $(tail -2 /tmp/sched.log)"
  return 1
}
stop_sched() {
  [ -n "$PID" ] || return 0
  kill -INT $PID 2>/dev/null
  for _ in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
  kill -9 $PID 2>/dev/null
  wait $PID 2>/dev/null
  PID=
  for _ in $(seq 100); do [ "$(cat $SCX/state)" = disabled ] && break; sleep 0.1; done
}
result() { echo "RESULT round=$1 sched=$2 workload=$3 value=$4"; }
still_on() {  # the scheduler is still the kernel's (default: nothing loaded)
  if [ "$1" = default ]; then [ "$(cat $SCX/state)" = disabled ]; else [ "$(cat $SCX/state)" = enabled ]; fi
}

for ((r = FIRST; r < FIRST + ROUNDS; r++)); do
  for s in $SCHEDS; do
    start_sched "$s" || { result $r "$s" failed 1; continue; }
    # hackbench: completion time (s).
    t=$(hackbench -g 4 -l $HB_LOOPS 2>/dev/null | sed -n 's/^Time: //p')
    [ -n "$t" ] && result $r "$s" hackbench_s "$t"
    # stress-ng CPU: bogo-ops per second (real time).
    v=$(stress-ng --cpu "$N" --timeout "$SECS" --metrics-brief 2>&1 | awk '$4 == "cpu" {print $9}' | tail -1)
    [ -n "$v" ] && result $r "$s" stress_cpu_bogo_ops_s "$v"
    # cyclictest wake-up latency under a CPU load (us): p50 and p99 from
    # its histogram (1 us buckets up to 100 ms).
    stress-ng --cpu "$N" --timeout $((SECS + 2)) > /dev/null 2>&1 &
    bg=$!
    sleep 1
    cyclictest -q -m -t 4 -i 1000 -D "$SECS" -h 100000 > /tmp/cyc.txt 2>/dev/null
    wait $bg
    awk '/^[0-9]/ { b = $1 + 0; n = 0; for (i = 2; i <= NF; i++) n += $i; h[b] = n; tot += n; if (b > mx) mx = b }
      /^# Histogram Overflows/ { for (i = 4; i <= NF; i++) ov += $i }
      END { tot += ov; c = 0; p50 = -1; p99 = -1
            for (b = 0; b <= mx; b++) { c += h[b]; if (p50 < 0 && c >= tot * 0.5) p50 = b; if (p99 < 0 && c >= tot * 0.99) p99 = b }
            if (p99 < 0) p99 = 100000; print p50, p99 }' /tmp/cyc.txt > /tmp/cyc.pct
    read -r p50 p99 < /tmp/cyc.pct
    [ -n "${p50:-}" ] && [ "$p50" != -1 ] && result $r "$s" cyclictest_p50_us "$p50" && result $r "$s" cyclictest_p99_us "$p99"
    # make -j of zlib's static library at -O0 (s): 15 compiles and an ar;
    # at -O2 one run takes ~90 s under TCG.
    (cd /tmp/src && make clean > /dev/null 2>&1)
    t0=$(date +%s.%N)
    if (cd /tmp/src && make -j"$N" CFLAGS=-O0 libz.a > /dev/null 2>&1); then
      result $r "$s" make_j_s "$(echo "$(date +%s.%N) - $t0" | bc)"
    fi
    still_on "$s" || result $r "$s" ejected 1
    stop_sched
  done
done
echo "bench-guest: done"

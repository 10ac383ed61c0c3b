#!/bin/bash
# vm: -s 1:4:1 -n 1
# timeout: 1800
# Experiment: storm (storm.cc: sleepers that burn CPU after each sleep, CPU-bound
# victims whose per-burst queue wait is read from schedstat, hog threads) under the kernel's
# scheduler and scx_atlas builds/flags, in an order that rotates each round.
# CONFIGS: "label|BIN-or-cfs|args" separated by ";". STORM: storm's arguments. HOGS: extra
# bash hogs. ROUNDS. STORM_BIN: the storm binary (default: beside this script; build it with
#   g++ -O2 -pthread -o storm storm.cc).
HERE=$(cd "$(dirname "$0")" && pwd) # lib.sh changes to /tmp
. "$HERE/../../tests/vm/lib.sh"
ROUNDS=${ROUNDS:-1}
HOGS=${HOGS:-0}
STORM=${STORM:-1000 1000 2000 2 30 20 30 4}
IFS=';' read -ra CF <<< "${CONFIGS:?}"
one() {
  local label=$1 bin=$2 args=$3 hogs=()
  if [ "$bin" != cfs ]; then ATLAS_BIN=$bin; start_atlas $args > /dev/null; fi
  for ((h = 0; h < HOGS; h++)); do bash -c 'while :; do :; done' & hogs+=($!); done
  sleep 1
  local a b out; read -r _ a < /proc/stat
  out=$("${STORM_BIN:-$HERE/storm}" $STORM)
  read -r _ b < /proc/stat
  out+=" $(awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, x, " "); split(b, y, " "); t = 0; for (i = 1; i <= n; i++) { d[i] = y[i] - x[i]; t += d[i] } printf "cpu%%: user %.1f sys %.1f idle %.1f irq+softirq %.1f", 100*(d[1]+d[2])/t, 100*d[3]/t, 100*(d[4]+d[5])/t, 100*(d[6]+d[7])/t }')"
  if [ ${#hogs[@]} -gt 0 ]; then kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null; fi
  [ "$bin" != cfs ] && stop_atlas INT > /dev/null
  if [ "$bin" != cfs ]; then
    # The scheduler's own counters over its run (its final stats line).
    out+=" counters:$(grep -o 'final stats:.*' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(enq_preempt|tick_preempt|stop_expired|enq_last|lag_capped|lag_recapped|enq_domain|sel_[a-z_]*|dispatch_domain|dispatch_none)=' | tr '\n' ' ')"
  fi
  echo "$label $out"
  sleep 1
}
for ((i = 1; i <= ROUNDS; i++)); do
  n=${#CF[@]}
  for ((k = 0; k < n; k++)); do
    j=$(( (k + i - 1) % n ))
    IFS='|' read -r l b a <<< "${CF[$j]}"
    one "$l" "$b" "$a"
  done
done
pass "done"

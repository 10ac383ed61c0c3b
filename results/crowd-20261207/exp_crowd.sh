#!/bin/bash
# vm: -s 2:2:2 -n 1
# timeout: 1500
# Experiment: crowd_threads.py 1000 1 30 (1000 Python threads) beside 8 unpinned hogs,
# the default scheduler (cfs) against two scx_atlas binaries, ATLAS_BIN_DIR/scx_atlas.old and
# .new, interleaved (run.sh --env ATLAS_BIN_DIR=DIR; ROUNDS=N, default 2; ATLAS_ARGS; SKIP_CFS=1: no default-scheduler leg).
# Per run: crowd wall time (30 s of its own + start), probe latency of fork+exec /bin/true,
# runnable tasks (loadavg field 4).
HERE=$(cd "$(dirname "$0")" && pwd) # lib.sh changes to /tmp
. "$HERE/../../tests/vm/lib.sh"
ROUNDS=${ROUNDS:-2}
ARGS=${ATLAS_ARGS:-}
one() {
  local mode=$1 hogs=() t0 lat=() run=() s e c r
  if [ "$mode" != cfs ]; then ATLAS_BIN=${ATLAS_BIN_DIR:?}/scx_atlas.$mode; start_atlas $ARGS > /dev/null; fi
  for _ in 1 2 3 4 5 6 7 8; do bash -c 'while :; do :; done' & hogs+=($!); done
  sleep 1
  t0=$EPOCHREALTIME
  python3 "$HERE/crowd_threads.py" 1000 1 30 &
  c=$!
  while kill -0 $c 2>/dev/null; do
    s=${EPOCHREALTIME/./}; /bin/true; e=${EPOCHREALTIME/./}
    lat+=($(( (e - s) / 1000 )))
    r=$(cut -d' ' -f4 /proc/loadavg); run+=(${r%/*})
    if (( ${EPOCHREALTIME%.*} - ${t0%.*} > 240 )); then kill -9 $c; echo "$mode: crowd killed at 240 s"; fi
    sleep 0.5
  done
  wait $c 2>/dev/null
  local wall; wall=$(bc <<< "$EPOCHREALTIME - $t0")
  kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
  [ "$mode" != cfs ] && stop_atlas INT > /dev/null
  local sorted; sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
  local n=${#lat[@]}
  printf '%s wall %.1f s probes %d lat_ms p50 %s p90 %s max %s runnable max %s mean %s\n' "$mode" "$wall" "$n" \
    "$(sed -n "$(( (n + 1) / 2 ))p" <<< "$sorted")" "$(sed -n "$(( (n * 9 + 9) / 10 ))p" <<< "$sorted")" "$(tail -1 <<< "$sorted")" \
    "$(printf '%s\n' "${run[@]}" | sort -n | tail -1)" "$(printf '%s\n' "${run[@]}" | awk '{s+=$1} END {printf "%.0f", s/NR}')"
  sleep 2
}
for ((i = 1; i <= ROUNDS; i++)); do [ -n "${SKIP_CFS:-}" ] || one cfs; if ((i % 2)); then one old; one new; else one new; one old; fi; done
pass "done"

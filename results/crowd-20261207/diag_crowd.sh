#!/bin/bash
# vm: -s 2:2:2 -n 1
# timeout: 1500
# Diagnosis: where a probe's time goes beside the crowd. One atlas run per
# `one diag` line, of the binary /var/cache/scx-atlas/ab/scx_atlas.diag
# built with diag-waits.diff (bpf_printk of every queue wait over 700 ms,
# and over 30 ms of a task not named python3, with its kind: 0 back after a run (slice
# end), 1 woken, 2 new; the queue's depth and the deadline's lead over the
# domain's clock at enqueue; how long the task ran before, whether it was
# a hog, and sleeps over 300 ms of the shell and its children). The
# probes alternate fork+exec of /bin/true and a bare fork (`( : )`).
# Run: tests/vm/run.sh --bin ... with ATLAS_KEEP_STAGE=DIR to keep the log.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../tests/vm/lib.sh"
ARGS=${ATLAS_ARGS:-}
one() {
  local mode=$1 hogs=() t0 s e c k=0 what
  echo 65536 > /sys/kernel/tracing/buffer_size_kb; echo > /sys/kernel/tracing/trace
  ATLAS_BIN=/var/cache/scx-atlas/ab/scx_atlas.$mode; echo "=== run $ARGS"; start_atlas $ARGS > /dev/null
  for _ in 1 2 3 4 5 6 7 8; do bash -c 'while :; do :; done' & hogs+=($!); done
  sleep 1
  t0=$EPOCHREALTIME
  python3 "$HERE/crowd_threads.py" 1000 1 30 &
  c=$!
  while kill -0 $c 2>/dev/null; do
    read -r up0 _ < /proc/uptime
    k=$((k + 1))
    if ((k % 2)); then what=exec; s=${EPOCHREALTIME/./}; /bin/true; e=${EPOCHREALTIME/./}
    else what=fork; s=${EPOCHREALTIME/./}; ( : ); e=${EPOCHREALTIME/./}; fi
    read -r up _ < /proc/uptime
    echo "probe $(( (e - s) / 1000 )) ms $what uptime $up0 $up shell $$"
    sleep 0.5
  done
  wait $c 2>/dev/null
  echo "$mode wall $(bc <<< "$EPOCHREALTIME - $t0")"
  kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
  stop_atlas INT > /dev/null
  grep 'final stats' "$ATLAS_LOG" | tail -1
  echo "--- DIAG (time-ordered) ---"
  grep DIAG /sys/kernel/tracing/trace
}
one diag
one diag
pass done

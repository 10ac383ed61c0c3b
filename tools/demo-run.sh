#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The part of tools/demo that runs on a sched_ext kernel (the host itself, or
# the qemu guest): show the domains, start scx_atlas, put a workload under
# it for DEMO_SECS seconds (default 30), show the kernel's view, stop it.
#   tools/demo-run.sh SCX_ATLAS_BINARY
set -u
BIN=$1
SECS=${DEMO_SECS:-30}
SCX=/sys/kernel/sched_ext
cd /tmp
say() { echo "demo: $*"; }
say "kernel $(uname -r), $(nproc) CPUs; sched_ext state: $(cat $SCX/state)"
"$BIN" --show_topology
"$BIN" --stats=10 &
pid=$!
for _ in $(seq 100); do [ "$(cat $SCX/state)" = enabled ] && break; sleep 0.1; done
say "sched_ext state: $(cat $SCX/state), root/ops: $(cat $SCX/root/ops 2>/dev/null)"
say "running stress-ng --cpu $(nproc) and hackbench for ${SECS}s under scx_atlas"
stress-ng --cpu "$(nproc)" --timeout "$SECS" --metrics-brief 2>&1 | grep -E ' cpu ' | sed 's/^/demo: stress-ng: /' &
sp=$!
start=$SECONDS
while [ $((SECONDS - start)) -lt "$SECS" ]; do
  hackbench -g 2 -l 100 2>&1 | sed -n 's/^Time: /demo: hackbench -g 2 -l 100: /p'
  sleep 4
done
wait $sp
say "after the load: state $(cat $SCX/state), root/ops $(cat $SCX/root/ops 2>/dev/null), nr_rejected $(cat $SCX/nr_rejected 2>/dev/null)"
kill -INT $pid
wait $pid
rc=$?
say "scx_atlas exited with status $rc; sched_ext state: $(cat $SCX/state)"
dmesg | grep -E "sched_ext" | tail -4 | sed "s/^/demo: kernel log: /"
exit $rc

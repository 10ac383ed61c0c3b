#!/bin/bash
# vm: -s 2:2:1
# scx_atlas on 4 vCPUs, 2 sockets, 2 NUMA nodes: becomes the kernel's
# scheduler, survives stress-ng + hackbench, keeps its counters moving in
# every path that must run, and detaches cleanly on SIGINT.
. "$(dirname "$0")/lib.sh"

start_atlas --stats_interval=2s
grep -q 'enabled: 4 CPUs in 2 domains' "$ATLAS_LOG" || fail "expected 4 CPUs in 2 domains: $(head -1 $ATLAS_LOG)"
workload 12
[ "$(state)" = enabled ] || fail "kicked out during the load: state=$(state)"
kill -0 "$ATLAS_PID" || fail "scx_atlas died during the load"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC after SIGINT, want 0"
wait_state disabled 50 || fail "state '$(state)' 5 s after SIGINT, want disabled"
grep -q 'exited: unregistered from user space' "$ATLAS_LOG" || fail "no clean exit report"
for s in enq_domain dispatch_domain sel_prev_idle stop_expired; do
  v=$(stat_value $s)
  [ -n "$v" ] && [ "$v" -gt 0 ] || fail "counter $s is '${v}', want > 0"
  echo "counter $s=$v"
done
# The same under --fifo and --kthreads_local: loads, runs, detaches.
start_atlas --fifo --kthreads_local
workload 4
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "--fifo --kthreads_local: exit status $ATLAS_RC"
for s in enq_domain dispatch_domain enq_kthread_local; do
  v=$(stat_value $s)
  [ -n "$v" ] && [ "$v" -gt 0 ] || fail "--fifo: counter $s is '${v}', want > 0"
done
pass "enabled as atlas, survived the load, SIGINT -> exit 0, state disabled (vtime and --fifo)"

#!/bin/bash
# vm: -s 2:2:2
# Every decision path of the BPF fast path, exercised on purpose and read
# back from scx_atlas's counters, on 8 vCPUs (2 nodes x 2 cores x 2 threads).
# Run 1, default layout (one domain per node, 2 SMT cores each), with
# cross-node stealing and fork balancing on and the BPF idle picker
# (--kernel_idle_pick=false, what kernels before 6.16 run): idle-CPU
# selection, wake-sync, pinned tasks on their CPU's queue, cross-node
# steals, slice expiry, guests kept at slice end. Run 2, --cache_level=2 (4 domains, one per core, two per
# node), the kernel's idle picker: same-node steals and direct greedy, an
# affinity change that moves a task's domain, a migration applied and read
# back, a migration to a domain the task's cpumask excludes rejected, and
# the lag cap of a nice-19 task among hogs.
. "$(dirname "$0")/lib.sh"

kill_hogs() { kill "${HOGS[@]}" 2>/dev/null; wait "${HOGS[@]}" 2>/dev/null; HOGS=(); }
HOGS=()

# ---- run 1 ----------------------------------------------------------------
for c in 0-3 0-3 0-3 0-3 0-3; do hog "$c"; HOGS+=("$HOG_PID"); done  # node 0 overloaded
start_atlas --greedy_threshold_x_numa=1 --kernel_idle_pick=false --fork_balance=tasks
for p in "${HOGS[@]}"; do taskset -pc 0-7 "$p" > /dev/null; done    # may run anywhere; stay in domain 0
sleep 2
kill_hogs
sleeper 1 50 0.005; sleeper 6 50 0.005                              # pinned wake-ups
hog 1; PINNED_HOG=$HOG_PID; hog 1; HOGS+=("$PINNED_HOG" "$HOG_PID")     # pinned, queued on CPU 1
for ((i = 0; i < 3; i++)); do hackbench -p -g 2 -l 200 > /dev/null 2>&1; done  # pipes: wake-sync
stress-ng --cpu 5 --cpu-load 70 --timeout 5 > /dev/null 2>&1        # partial load: idle picks
stress-ng --cpu 10 --timeout 2 > /dev/null 2>&1                      # overload: no idle CPU
wait "${SLEEPERS[@]}"
kill_hogs
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "run 1: exit status $ATLAS_RC"
grep 'final stats:' "$ATLAS_LOG"
expect_positive enq_pinned enq_pinned_idle sel_fork_balance sel_sync sel_prev_core sel_dom_core sel_prev_idle sel_dom_idle sel_busy \
  enq_domain enq_kthread_local enq_kick_domain enq_kick_greedy dispatch_domain dispatch_cpu dispatch_steal_xnuma \
  enq_last enq_last_guest stop_expired
expect_zero task_ctx_missing dispatch_steal sel_greedy   # one domain per node: nothing to steal in-node
cp "$ATLAS_LOG" /tmp/run1.log

# ---- run 2 ----------------------------------------------------------------
hog 0; AFFINITY_PID=$HOG_PID; HOGS+=("$HOG_PID")   # domain 0; then moved to CPU 6 (domain 3)
hog 2; MIGRATE_PID=$HOG_PID; HOGS+=("$HOG_PID")    # domain 1; widened, then migrated to domain 3
hog 4; PINNED_PID=$HOG_PID; HOGS+=("$HOG_PID")     # domain 2, pinned: a move to domain 0 is rejected
for c in 0-1 0-1 0-1; do hog "$c"; HOGS+=("$HOG_PID"); done   # domain 0 overloaded
start_atlas --cache_level=2 --stats_interval=1s --debug_migrate="$MIGRATE_PID:3,$PINNED_PID:0"
grep -q 'enabled: 8 CPUs in 4 domains' "$ATLAS_LOG" || fail "run 2: expected 4 domains"
taskset -pc 0-7 "$MIGRATE_PID" > /dev/null
taskset -pc 6 "$AFFINITY_PID" > /dev/null
for p in "${HOGS[@]:3}"; do taskset -pc 0-3 "$p" > /dev/null; done  # node 0: domain 1 may steal
kill -USR1 "$ATLAS_PID"                                              # send the migrations now
for ((i = 0; i < 3; i++)); do hackbench -p -g 1 -l 200 > /dev/null 2>&1; done
# A nice-19 task among pinned hogs on CPU 7: its deadline is capped.
for ((i = 0; i < 6; i++)); do hog 7; HOGS+=("$HOG_PID"); done
taskset -c 7 nice -n 19 bash -c 'while :; do :; done' & HOGS+=($!)
sleep 2
grep 'debug:' "$ATLAS_LOG" | sort | uniq -c | head
if ! grep -q "debug: pid $MIGRATE_PID is in domain 3 " "$ATLAS_LOG"; then
  bpftool map dump name migrations; bpftool map dump name atlas_bp.bss | grep migrations_pending
  fail "pid $MIGRATE_PID was not read back in domain 3"
fi
kill_hogs
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "run 2: exit status $ATLAS_RC"
grep 'final stats:' "$ATLAS_LOG"
expect_positive dispatch_steal sel_greedy affinity_change migrate_applied migrate_rejected sel_dom_idle lag_capped
expect_zero task_ctx_missing migrate_stale dispatch_steal_xnuma sel_greedy_xnuma
pass "each decision path counted; migration applied and read back; excluded target rejected"

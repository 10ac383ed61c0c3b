#!/bin/bash
# vm: -s 2:2:2 -n 2
# --mode=user on 8 vCPUs: every task decided by the C++ vtime policy. It
# loads as atlas, survives 60 s of stress-ng (CPU + fork + affinity) and
# hackbench with a clean kernel log, answers most tasks from userspace, and
# after warm-up its scheduling thread takes no page fault and allocates
# nothing from the ordinary heap (counted at operator new: with every page
# locked, a heap allocation takes no page fault, so page_faults alone
# cannot see one).
# Compaction runs twice during the load, written to compact_memory by an
# ordinary (sched_ext) task: locked pages are not in place unless
# vm.compact_unevictable_allowed is 0, and a page of the scheduler under
# migration, with the migrating task held by the scheduler, stalled it into
# an ejection (usersched/arena.h). User mode keeps the sysctl at 0 while it
# runs and puts 1 back at exit.
. "$(dirname "$0")/lib.sh"
STATS=${ATLAS_STATS_BIN:?}
SECS=${USER_TEST_SECS:-60}
COMPACT=/proc/sys/vm/compact_unevictable_allowed
[ -f $COMPACT ] || fail "no $COMPACT in this kernel"
echo 1 > $COMPACT  # the kernel's default, which user mode must change

start_atlas --mode=user ${USER_TEST_ARGS:-}
grep -q 'enabled: 8 CPUs, user mode' "$ATLAS_LOG" || fail "not in user mode: $(head -2 $ATLAS_LOG)"
stress-ng -c 8 -f 8 --affinity 8 --timeout "$SECS" --metrics-brief > /tmp/stress.log 2>&1 &
sp=$!
start=$SECONDS rounds=0
while [ $((SECONDS - start)) -lt "$SECS" ]; do
  hackbench -g 4 -l 50 > /tmp/hackbench.log 2>&1 || fail "hackbench failed: $(tail -2 /tmp/hackbench.log)"
  rounds=$((rounds + 1))
  case $rounds in 1|2) echo 1 > /proc/sys/vm/compact_memory; compacted=$((${compacted:-0} + 1)) ;; esac
  [ "$(state)" = enabled ] || fail_ejected "ejected during the load: state $(state)"
done
wait $sp || fail "stress-ng failed: $(tail -3 /tmp/stress.log)"
echo "load: ${SECS}s stress-ng -c 8 -f 8 --affinity 8 + $rounds hackbench -g 4 -l 50 rounds, ${compacted:-0} compactions ($(grep -E '^(compact_migrate_scanned|pgmigrate_success) ' /proc/vmstat | tr '\n' ' ')); $(grep -E ' (cpu|fork|affinity) ' /tmp/stress.log | sed 's/  */ /g' | tr '\n' ';')"
[ "$(state)" = enabled ] && [ "$(ops)" = atlas ] || fail "state $(state), ops $(ops) after the load"
"$STATS" --json > /tmp/stats.json || fail "atlas_stats failed"
jq -c '{mode, page_faults, heap_allocs, user_running, user_scheduled, queued: .events.user_queued, dispatched: .events.user_dispatch, kernel: .events.user_kernel_dispatch, congested: .events.user_congested}' /tmp/stats.json
jq -e '.mode == "user" and .page_faults == 0' /tmp/stats.json > /dev/null || fail "page faults after warm-up: $(jq .page_faults /tmp/stats.json)"
jq -e '.heap_allocs == 0' /tmp/stats.json > /dev/null || fail "heap allocations after warm-up: $(jq .heap_allocs /tmp/stats.json)"
[ "${compacted:-0}" -ge 1 ] || fail "no compaction ran during the load ($rounds rounds)"
[ "$(cat $COMPACT)" = 0 ] || fail "vm.compact_unevictable_allowed is $(cat $COMPACT) while user mode runs, want 0"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC after SIGINT"
wait_state disabled 50 || fail "state $(state) after SIGINT"
[ "$(cat $COMPACT)" = 1 ] || fail "vm.compact_unevictable_allowed is $(cat $COMPACT) after exit, want 1 back"
line=$(grep 'final stats:' "$ATLAS_LOG")
echo "$line"
expect_positive user_queued user_dispatch user_self
queued=$(stat_value user_queued) dispatched=$(stat_value user_dispatch) congested=$(stat_value user_congested) pinned=$(stat_value user_migration_disabled)
[ "$dispatched" -ge $((queued * 9 / 10)) ] || fail "only $dispatched of $queued queued tasks dispatched as userspace decided"
pf=$(echo "$line" | sed -n 's/.*page_faults=\([-0-9]*\).*/\1/p')
[ "$pf" = 0 ] || fail "page_faults=$pf at exit, want 0"
ha=$(echo "$line" | sed -n 's/.*heap_allocs=\([-0-9]*\).*/\1/p')
[ "$ha" = 0 ] || fail "heap_allocs=$ha at exit, want 0"
pass "user mode (${USER_TEST_ARGS:-vtime}): ${SECS}s of stress, $queued tasks queued, $dispatched dispatched by the policy, $congested congested, $pinned kept on their CPU (migrate_disable), ${compacted:-0} compactions, 0 page faults, 0 heap allocations, vm.compact_unevictable_allowed 0 while running and 1 after"

#!/bin/bash
# vm: -s 2:2:1
# Wake-up preemption: with every CPU busy with CPU hogs, a task that sleeps
# and wakes (cyclictest) takes a CPU from a hog running a later deadline
# instead of waiting for the hog's slice to end. Run 1 with
# --wakeup_preempt=false: no preemption counted. Run 2 with the default
# (--wakeup_preempt): counted, the hogs keep running; the wake-up latencies
# and the hogs' involuntary context switches (/proc) of both runs are
# printed (not asserted: under TCG they are for the benchmark, tools/bench).
# Run 3: hackbench alone, whose tasks
# block on their own: they are not hogs, so nobody is preempted. Run 4: a
# sleeper pinned to a CPU with two pinned hogs: the wake-ups that wake-up
# preemption misses (the hog had run less than --preempt_min_run) end the
# hog's slice at the next tick (tick_preempt) instead of its end.
. "$(dirname "$0")/lib.sh"

run() {  # LABEL ARGS...: hogs + cyclictest under scx_atlas ARGS
  local label=$1 hogs=() i
  shift
  start_atlas "$@"
  for ((i = 0; i < 8; i++)); do hog 0-3; hogs+=("$HOG_PID"); done
  cyclictest -q -m -t 2 -i 2000 -D 4 > /tmp/cyc.txt 2>&1 || fail "$label: cyclictest failed: $(tail -2 /tmp/cyc.txt)"
  NVCSW=0  # the hogs' involuntary context switches: slice ends + preemptions
  for p in "${hogs[@]}"; do
    kill -0 "$p" 2>/dev/null || fail "$label: hog $p died"
    NVCSW=$((NVCSW + $(sed -n 's/^nonvoluntary_ctxt_switches:[[:space:]]*//p' "/proc/$p/status")))
  done
  kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "$label: exit status $ATLAS_RC"
  grep 'final stats:' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(enq_preempt|enq_domain|sel_busy)='
  echo "$label: cyclictest (us): $(grep -o 'Avg: *[0-9]* Max: *[0-9]*' /tmp/cyc.txt | tr -s ' ' | paste -sd ';'); hogs switched out involuntarily $NVCSW times"
  grep -q 'Avg:' /tmp/cyc.txt || fail "$label: no cyclictest summary"
}

run "no preemption" --wakeup_preempt=false
NV_OFF=$NVCSW
# The flag reaches BPF: with it ignored (tried: the check removed from
# atlas_queue.bpf.h) this run counts thousands of preemptions.
expect_zero enq_preempt tick_preempt task_ctx_missing
expect_positive enq_domain
run "wake-up preemption"
NV_ON=$NVCSW
expect_positive enq_preempt enq_domain stop_expired
expect_zero task_ctx_missing
# The effect: every preemption switches a hog out before its slice ends,
# on top of the slice ends both runs have.
PREEMPTS=$(($(stat_value enq_preempt) + $(stat_value tick_preempt)))
echo "hogs' involuntary switches: $NV_OFF without, $NV_ON with wake-up preemption ($PREEMPTS preemptions counted)"
# Printed, not asserted: under TCG the hogs' slice ends, which both runs
# have, vary too much between runs (without preemption 1485, 1519, 1645
# and 2465 switches in four runs of the same binary; with it 3059-4243 for
# 3386-5026 preemptions): a bound at a quarter of the preemptions failed
# once in CI.
start_atlas
hackbench -g 4 -l 100 > /tmp/hb.txt 2>&1 || fail "hackbench failed: $(tail -2 /tmp/hb.txt)"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "hackbench run: exit status $ATLAS_RC"
grep 'final stats:' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(enq_preempt|tick_preempt|enq_domain|stop_expired)='
expect_positive enq_domain
start_atlas
hog 1; h1=$HOG_PID; hog 1; h2=$HOG_PID
taskset -c 1 perl -e 'use Time::HiRes qw(sleep); for (1..100) { sleep(0.002) }'
kill "$h1" "$h2"; wait "$h1" "$h2" 2>/dev/null
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "pinned run: exit status $ATLAS_RC"
grep 'final stats:' "$ATLAS_LOG" | tr ' ' '\n' | grep -E '^(enq_preempt|tick_preempt|enq_pinned)='
expect_positive enq_pinned tick_preempt
# Run 5: a hog on CPU 2 (domain 1) reniced every millisecond from CPU 0
# (domain 0). A property change of a running task calls ops.stopping and
# ops.running on the changing CPU: what they charge and record belongs to
# the task's CPU. Charged to the calling CPU (tried: the binary of d4c1115,
# bpf_get_smp_processor_id in stopping), domain 0 read 34 % busy and domain
# 1 28 %; charged to the task's CPU, 12 % (the renicing perl) and 48 %
# (the hog's CPU busy, its sibling idle; each atlas_stats run reads from
# the start). ops.running's cpu_run slot follows the same CPU, which no
# figure outside shows.
start_atlas
hog 2; h1=$HOG_PID
sleep 1
taskset -c 0 perl -e 'use Time::HiRes qw(sleep time); my ($pid, $n, $end) = ($ARGV[0], 0, time + 3);
  while (time < $end) { setpriority(0, $pid, $n ^= 1) or die "setpriority: $!"; sleep(0.001) }' "$h1" ||
  fail "renicing the hog failed"
stats_json > /tmp/renice.json || fail "atlas_stats --json failed"
kill "$h1"; wait "$h1" 2>/dev/null
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "renice run: exit status $ATLAS_RC"
U0=$(jq '.domains["0"].util_pct' /tmp/renice.json) U1=$(jq '.domains["1"].util_pct' /tmp/renice.json)
echo "reniced hog on CPU 2: domain 0 (CPUs 0-1) ${U0} % busy, domain 1 (CPUs 2-3) ${U1} % busy"
awk -v a="$U0" -v b="$U1" 'BEGIN { exit !(b >= 38 && b > a) }' ||
  fail "the reniced hog's time is not charged to its own CPU's domain: domain 0 $U0 %, domain 1 $U1 %"
pass "waking tasks preempt CPU hogs at wake-up or the next tick (default on; off with --wakeup_preempt=false), and never hackbench's tasks; a running task's property change charges its own CPU"

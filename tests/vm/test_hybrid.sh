#!/bin/bash
# vm: -s 2:4:1
# Hybrid placement and capacity-weighted balancing in the real kernel. qemu
# has no hybrid CPU model, so the guest's 8 CPUs are given a hybrid layout
# (--hwloc_xml=tests/vm/testdata/hybrid8.xml: CPUs 0-3 performance cores in
# one domain, capacity 1024 each; CPUs 4-7 efficiency cores in another,
# 512 each); its CPUs being the online ones, scx_atlas schedules with it.
# 1. Placement: two busy tasks (20 ms of work, then a 1 ms sleep) start on
#    the efficiency CPUs; once they may run anywhere, with the performance
#    CPUs idle, they run there (/proc/PID/stat's CPU, sampled) and the
#    sel_perf_core counter counts the wake-ups placed so.
# 2. Balance: 12 CPU-bound tasks start on the efficiency CPUs, then may run
#    anywhere; the planner's balanced state puts twice the load per CPU on
#    the performance domain (load per capacity alike: 8 tasks against 4).
XML=$(cd "$(dirname "$0")" && pwd)/testdata/hybrid8.xml
. "$(dirname "$0")/lib.sh"
[ "$(nproc --all)" = 8 ] || fail "the guest has $(nproc --all) CPUs, the layout 8"

start_atlas --hwloc_xml="$XML" --interval=1s --load_half_life=500ms
grep '^scx_atlas: enabled' "$ATLAS_LOG"
kinds=$(stats_json | jq -c '[.domains[] | {cpus, capacity}]')
echo "domains: $kinds"
[ "$kinds" = '[{"cpus":[0,1,2,3],"capacity":4},{"cpus":[4,5,6,7],"capacity":2}]' ] ||
  fail "the running layout is not the file's"

# --- 1. a busy task on an efficiency CPU takes an idle performance CPU
busy_sleeper() {
  taskset -c 4-7 python3 -c '
import time
while True:
    t = time.monotonic()
    while time.monotonic() - t < 0.02:
        pass
    time.sleep(0.001)' &
  BS_PID=$!
}
busy_sleeper; bs1=$BS_PID
busy_sleeper; bs2=$BS_PID
sleep 3   # their duty cycle rises above one half
perf0=$(stats_json | jq '.events.sel_perf_core')
taskset -pc 0-7 "$bs1" > /dev/null
taskset -pc 0-7 "$bs2" > /dev/null
sleep 0.5
on_perf=0 samples=0
for ((i = 0; i < 30; i++)); do
  for p in $bs1 $bs2; do
    cpu=$(awk '{print $39}' /proc/$p/stat)
    samples=$((samples + 1))
    [ "$cpu" -lt 4 ] && on_perf=$((on_perf + 1))
  done
  sleep 0.1
done
perf1=$(stats_json | jq '.events.sel_perf_core')
kill "$bs1" "$bs2"; wait "$bs1" "$bs2" 2>/dev/null
echo "busy tasks allowed everywhere: on a performance CPU in $on_perf of $samples samples; sel_perf_core $perf0 -> $perf1"
[ $((on_perf * 100)) -ge $((samples * 80)) ] ||
  fail "busy tasks ran on performance CPUs in $on_perf of $samples samples, want at least 80 %"
[ "$perf1" -gt "$perf0" ] || fail "sel_perf_core did not move ($perf0 -> $perf1)"

# --- 2. the planner weighs the domains by capacity
hogs=()
for ((i = 0; i < 12; i++)); do hog 4-7; hogs+=("$HOG_PID"); done
sleep 1
for p in "${hogs[@]}"; do taskset -pc 0-7 "$p" > /dev/null; done
best=
for ((i = 0; i < 30; i++)); do
  sleep 1
  r=$(stats_json)
  line=$(jq -r '[.domains[] | "\(.nr_tasks) tasks load \(.load * 100 | round / 100) (\(.load_norm * 100 | round / 100)/cpu)"] | join(", ")' <<< "$r")
  echo "  +${i}s: $line"
  # Settled: the performance domain holds 8 +- 1 of the hogs' load, and the
  # loads per capacity are within 15 % of each other.
  if jq -e '.domains["0"].load as $p | .domains["1"].load as $e
      | .domains["0"].load_norm as $np | .domains["1"].load_norm as $ne
      | $p > 7 and $p < 9 and $e > 3 and $e < 5
        and (($np - $ne) | fabs) <= 0.15 * (($np + $ne) / 2)' <<< "$r" > /dev/null; then
    best=$r
    break
  fi
done
kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null
migrations=$(jq '.migrations_applied' <<< "$(stats_json)")
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
[ -n "$best" ] || fail "30 s on: the loads never settled at 8 : 4 by capacity"
per_cpu=$(jq -r '(.domains["0"].load / 4) / (.domains["1"].load / 4) * 100 | round / 100' <<< "$best")
echo "settled: load per CPU performance / efficiency = $per_cpu (capacity per CPU 1024 / 512)"
pass "hybrid layout: busy tasks took idle performance CPUs ($on_perf of $samples samples, sel_perf_core +$((perf1 - perf0))); 12 hogs balanced by capacity, load per CPU on performance CPUs x$per_cpu that of efficiency CPUs"

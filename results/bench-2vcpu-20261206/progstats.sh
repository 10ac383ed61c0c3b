#!/bin/bash
# vm: -s 1:2:1
# timeout: 1200
# Throw-away: BPF time per wake-up under wakebench for atlas flag variants.
. "$(dirname "$0")/lib.sh"
C=/var/cache/scx-atlas/cmp
sysctl -qw kernel.bpf_stats_enabled=1
N=$(nproc)
wb() {
  "$C/wakebench" --json --message_threads=$(( (N + 1) / 2 )) --workers=4 --duration=8s --warmup=2s > /tmp/wb.json 2>/dev/null
  jq -c '{p50: .wakeup_us.p50, p99: .wakeup_us.p99, rps}' /tmp/wb.json
}
snap() { bpftool -j prog show | jq -c '[.[] | select(.type == "struct_ops") | {name, run_cnt: (.run_cnt // 0), ns: (.run_time_ns // 0)}]'; }
delta() {  # BEFORE AFTER LABEL: per prog ns/call, and the total
  jq -rn --argjson a "$1" --argjson b "$2" --arg l "$3" '
    ($a | map({(.name): .}) | add // {}) as $A |
    [$b[] | . as $x | ($A[$x.name] // {run_cnt: 0, ns: 0}) as $y |
     {n: $x.name, c: ($x.run_cnt - $y.run_cnt), ns: ($x.ns - $y.ns)} | select(.c > 100)] as $d |
    ($d | map(select(.n | test("select_cpu"))) | .[0].c) as $wakes |
    "\($l) wakes \($wakes) bpf_ns_per_wake \((($d | map(.ns) | add) / $wakes) | floor) " +
    ($d | map("\(.n | sub("^[a-z]*_"; "")):\(.ns / .c | floor)") | join(" "))'
}
for round in 1 2 3; do
  for v in base nogreedy nopre noload all; do
    case $v in
      base) f=() ;;
      nogreedy) f=(--greedy_threshold=0) ;;
      nopre) f=(--wakeup_preempt=false) ;;
      noload) f=(--debug_no_load_tracking) ;;
      all) f=(--greedy_threshold=0 --wakeup_preempt=false --debug_no_load_tracking) ;;
    esac
    start_atlas "${f[@]}" > /dev/null
    a=$(snap); r=$(wb); b=$(snap)
    echo "R $round $v $r $(delta "$a" "$b" "$v")"
    stop_atlas INT > /dev/null
    sleep 1
  done
  "$C/scx_simple" > /tmp/simple.log 2>&1 & SP=$!; sleep 3
  a=$(snap); r=$(wb); b=$(snap)
  echo "R $round simple $r $(delta "$a" "$b" simple)"
  kill -INT $SP; wait $SP; sleep 1
done
pass "printed"

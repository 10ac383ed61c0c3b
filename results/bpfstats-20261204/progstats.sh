#!/bin/bash
# vm: -s 2:2:1
# timeout: 900
# Throw-away: the BPF time per struct_ops callback (kernel.bpf_stats_enabled)
# under wakebench and hackbench, scx_atlas against scx_simple.
. "$(dirname "$0")/lib.sh"
C=/var/cache/scx-atlas/cmp
sysctl -qw kernel.bpf_stats_enabled=1
N=$(nproc)
wb() {
  "$C/wakebench" --json --message_threads=$(( (N + 1) / 2 )) --workers=4 --duration=8s --warmup=2s > /tmp/wb.json 2>/dev/null
  jq -c '{p50: .wakeup_us.p50, p99: .wakeup_us.p99, rps}' /tmp/wb.json
}
hb() { hackbench -g 4 -l 200 2>/dev/null | sed -n 's/^Time: //p'; }
progs() {
  bpftool -j prog show | jq -r --arg t "$1" '.[] | select(.type == "struct_ops" and (.run_cnt // 0) > 0) | "\($t) \(.name) cnt \(.run_cnt) ns/call \(.run_time_ns / .run_cnt | floor) total_ms \(.run_time_ns / 1e6 | floor)"'
}
snap() { bpftool -j prog show | jq -c '[.[] | select(.type == "struct_ops") | {id, run_cnt: (.run_cnt // 0), ns: (.run_time_ns // 0)}]'; }
delta() {  # delta BEFORE AFTER LABEL: per-prog calls and ns/call between two snaps
  jq -rn --argjson a "$1" --argjson b "$2" --arg l "$3" '
    ($a | map({(.id|tostring): .}) | add // {}) as $A |
    $b[] | . as $x | ($A[($x.id|tostring)] // {run_cnt: 0, ns: 0}) as $y |
    ($x.run_cnt - $y.run_cnt) as $c | select($c > 0) |
    "\($l) id \($x.id) calls \($c) ns/call \((($x.ns - $y.ns) / $c) | floor) total_ms \((($x.ns - $y.ns) / 1e6) | floor)"'
}
names() { bpftool -j prog show | jq -r '.[] | select(.type == "struct_ops") | "id \(.id) \(.name)"'; }
for round in 1 2; do
  echo "round $round default wakebench $(wb) hackbench $(hb)"
  for s in atlas simple; do
    if [ $s = atlas ]; then start_atlas; else "$C/scx_simple" > /tmp/simple.log 2>&1 & SP=$!; sleep 3; fi
    echo "round $round $s state $(state) ops $(ops)"
    names | sed "s/^/$s /"
    a=$(snap); r=$(wb); b=$(snap)
    echo "round $round $s wakebench $r"; delta "$a" "$b" "$s wakebench"
    a=$(snap); t0=$(date +%s.%N); r=$(hb); b=$(snap)
    echo "round $round $s hackbench $r s"; delta "$a" "$b" "$s hackbench"
    if [ $s = atlas ]; then stop_atlas INT; else kill -INT $SP; wait $SP; fi
    sleep 1
  done
done
pass "printed"

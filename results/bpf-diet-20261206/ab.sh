#!/bin/bash
# vm: -s 1:2:1
# timeout: 2400
# Throw-away (run as tests/vm/test_zz_ab.sh, not committed there): BPF time
# per wake-up under wakebench for two atlas binaries, $C/<variant>/scx_atlas
# (with tools/atlas_stats beside it), alternated in one guest, the order
# swapped every round. AB_VARIANTS="A C", AB_ROUNDS, AB_FLAGS from --env.
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
ROUNDS=${AB_ROUNDS:-8}
for ((round = 1; round <= ROUNDS; round++)); do
  set -- ${AB_VARIANTS:-A B}
  if ((round % 2)); then order="$1 $2"; else order="$2 $1"; fi
  for v in $order; do
    ATLAS_BIN=$C/$v/scx_atlas
    start_atlas ${AB_FLAGS:-} > /dev/null
    a=$(snap); r=$(wb); b=$(snap)
    echo "R $round $v $r $(delta "$a" "$b" "$v")"
    stop_atlas INT > /dev/null
    sleep 1
  done
done
pass "printed"

#!/bin/bash
# vm: -s 2:2:2
# tcg: single
# On 8 vCPUs (2 sockets x 2 cores x 2 threads, 2 NUMA nodes):
# --show_topology --json agrees with the guest's sysfs (node cpulists, L3
# shared_cpu_list), and the cpumasks the BPF side builds in ops.init match
# the layout for the default, --cache_level=2 and --cpumasks domains.
# Single-threaded TCG: the test checks layouts, not concurrency, and its
# three enables and disables under multi-threaded TCG were where a CI guest
# died of a stale jump label and its rerun stuck in 'enabling' (run.sh).
. "$(dirname "$0")/lib.sh"

expand() {  # "0-2,5" -> "0,1,2,5"
  local out=() part lo hi
  IFS=, read -ra parts <<< "$1"
  for part in "${parts[@]}"; do
    lo=${part%-*} hi=${part#*-}
    for ((c = lo; c <= hi; c++)); do out+=("$c"); done
  done
  (IFS=,; echo "${out[*]}")
}

json=$("$ATLAS_BIN" --show_topology --json) || fail "--show_topology --json failed"
echo "$json"
[ "$(jq .nr_cpus <<< "$json")" = 8 ] || fail "nr_cpus is not 8"
for n in /sys/devices/system/node/node[0-9]*; do
  id=${n##*node}
  want=$(expand "$(cat "$n/cpulist")")
  got=$(jq -r ".nodes[] | select(.id == $id) | [.cpus[] | tostring] | join(\",\")" <<< "$json")
  [ "$got" = "$want" ] || fail "node $id: JSON has '$got', sysfs '$want'"
  echo "node $id: $got (matches sysfs)"
done
want=$(for c in /sys/devices/system/cpu/cpu[0-9]*; do expand "$(cat "$c/cache/index3/shared_cpu_list")"; done | sort -u)
got=$(jq -r '.domains[] | [.cpus[] | tostring] | join(",")' <<< "$json" | sort -u)
[ "$got" = "$want" ] || fail "domains '$got' differ from the L3 groups '$want'"
echo "domains = L3 groups: $(echo $got)"
[ "$(jq -r '[.domains[].node] | map(tostring) | join(",")' <<< "$json")" = "0,1" ] || fail "domain nodes are not 0,1"

check_bpf() {  # EXPECTED_SUMMARY ARGS...
  local want=$1; shift
  start_atlas "$@"
  grep 'BPF topology verified' "$ATLAS_LOG"
  grep -q "BPF topology verified: $want\$" "$ATLAS_LOG" || fail "want 'BPF topology verified: $want'"
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
  wait_state disabled 50 || fail "not disabled after SIGINT"
}
check_bpf "8 CPUs, domains 4+4, nodes 4+4, 4 SMT cores"
check_bpf "8 CPUs, domains 2+2+2+2, nodes 4+4, 4 SMT cores" --cache_level=2
check_bpf "8 CPUs, domains 2+2+4, nodes 4+4, 4 SMT cores" --cpumasks=0-1,2-3,4-7
pass "the layout matches sysfs, and BPF built the same masks"

#!/bin/bash
# vm: -s 2:2:1
# How hard the BPF programs are for this kernel's verifier: both modes are
# loaded, and each program's verified instruction count (what the kernel
# reports in bpf_prog_info, served by atlas_stats as verified_insns) is
# compared with the committed baseline for this kernel series, e.g. 6.12
# (results/verifier/baseline.tsv: kernel, mode, program, instructions). A
# program more than VERIFIER_TOLERANCE_PCT (default 20) % and more than
# VERIFIER_SLACK (default 100) instructions above its baseline, a program
# the baseline lacks, or a kernel series it has no line for, fails with a
# line naming the program and both counts. Every count is printed as a
# "baseline:" line; after an intended change, regenerate the lines of each
# kernel (tools/test boots two: the cached Debian one, and 6.12 with
# -k "$(tools/vm/build-kernel-6.12.sh)"):
#   tests/vm/run.sh -v [-k VMLINUX] tests/vm/test_verifier.sh |
#     sed -n 's/^    | baseline: //p' | tr -d '\r'
BASELINE=${VERIFIER_BASELINE:-$(cd "$(dirname "$0")/../.." && pwd)/results/verifier/baseline.tsv}
. "$(dirname "$0")/lib.sh"

TOL=${VERIFIER_TOLERANCE_PCT:-20} SLACK=${VERIFIER_SLACK:-100}
kernel=$(uname -r | cut -d. -f1,2)   # the series: a stable update keeps its line
[ -r "$BASELINE" ] || fail "no baseline file $BASELINE"
errors=()

# check MODE: the loaded scheduler's counts against the baseline.
check() {
  local mode=$1 prog insns base n=0
  while read -r prog insns; do
    n=$((n + 1))
    printf 'baseline: %s\t%s\t%s\t%s\n' "$kernel" "$mode" "$prog" "$insns"
    [ "$insns" -gt 0 ] || errors+=("$mode $prog: the kernel reported 0 verified instructions")
    base=$(awk -F'\t' -v k="$kernel" -v m="$mode" -v p="$prog" \
      '$1 == k && $2 == m && $3 == p { print $4 }' "$BASELINE")
    if [ -z "$base" ]; then
      errors+=("$mode $prog: $insns verified instructions on $kernel, and no baseline for it")
    elif ! [[ "$base" =~ ^[0-9]+$ ]]; then
      errors+=("$mode $prog: the baseline's count '$base' is not a number")
    elif [ $((insns * 100)) -gt $((base * (100 + TOL))) ] && [ "$insns" -gt $((base + SLACK)) ]; then
      errors+=("$mode $prog: $insns verified instructions on $kernel, baseline $base (more than +$TOL %)")
    fi
  done <<< "$(stats_json | jq -r '.verified_insns | to_entries[] | "\(.key) \(.value)"')"
  echo "$mode: $n programs, $(stats_json | jq '[.verified_insns[]] | add') verified instructions in all"
  [ "$n" -gt 0 ] || errors+=("$mode: no programs in the stats")
}

start_atlas
check balanced
stop_atlas INT
start_atlas --mode=user
check user
stop_atlas INT
grep -q "^$kernel	" "$BASELINE" || errors+=("the baseline has no line for kernel $kernel")
if [ "${#errors[@]}" -gt 0 ]; then
  printf 'verifier: %s\n' "${errors[@]}"
  fail "${#errors[@]} verifier cost check(s) failed: ${errors[0]}"
fi
pass "every BPF program of both modes within +$TOL % of its verified-instruction baseline on $kernel"

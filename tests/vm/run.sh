#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/vm/run.sh [--bin PATH] [--counts FILE] [TEST...]
# Runs each VM test (tests/vm/test_*.sh, or the ones named) in its own fresh
# guest through tools/vm/vm-run. A test's "# vm: ARGS" line gives the guest
# topology; its "# allow: REGEX" line names kernel log lines it provokes on
# purpose; a "# tcg: single" test runs under single-threaded TCG (as every
# rerun does, below); a "# host: true" test runs on the host (it drives
# vm-run itself).
# A test passes when it exits 0 and the guest kernel log is clean.
# -v: print every test's output. -k FILE: boot that kernel instead of the
# cached Debian one (e.g. tools/vm/build-kernel-6.12.sh's). --bin: the scx_atlas binary (default: bazel-bin/scx_atlas, built first);
# it is copied where the guest can see it, with atlas_stats (--stats-bin,
# default: tools/atlas_stats next to it) and the BPF probe
# tests/bpf/ravg_probe and tests/vm/crowd next to it (ATLAS_RAVG_PROBE_BIN,
# ATLAS_CROWD_BIN in the guest). --timeout SECS: per guest (300; a test's "# timeout: SECS" line may ask for more).
# --env VAR=VAL: exported in every guest. --counts: write "PASSED FAILED".
# --reasons FILE: append one line per failed test (its name, how it failed,
# and why: the test's FAIL line, the hang's vCPUs, the kernel's first
# report), which tools/test prints last, where a truncated log still shows it.
set -u -o pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
CACHE=${SCX_ATLAS_CACHE:-/var/cache/scx-atlas}
BIN= STATS_BIN= COUNTS= REASONS= VERBOSE=0 KERNEL= TESTS=() TIMEOUT=300 ENVS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --stats-bin) STATS_BIN=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --env) ENVS+=(-e "$2"); shift 2 ;;
    --counts) COUNTS=$2; shift 2 ;;
    --reasons) REASONS=$2; shift 2 ;;
    -v|--verbose) VERBOSE=1; shift ;;
    -k|--kernel) KERNEL=$2; shift 2 ;;
    -*) echo "tests/vm/run.sh: unknown option $1" >&2; exit 2 ;;
    *) TESTS+=("$1"); shift ;;
  esac
done
cd "$ROOT"
if [ -z "$BIN" ]; then
  bazel build //:scx_atlas //tools:atlas_stats //tests/bpf:ravg_probe //tests/vm:crowd >/dev/null 2>&1 ||
    { bazel build //:scx_atlas //tools:atlas_stats //tests/bpf:ravg_probe //tests/vm:crowd; exit 1; }
  BIN=$(bazel info bazel-bin 2>/dev/null)/scx_atlas
fi
# atlas_stats: given, or where Bazel puts it next to scx_atlas.
[ -n "$STATS_BIN" ] || STATS_BIN=$(dirname "$BIN")/tools/atlas_stats
[ -x "$BIN" ] || { echo "tests/vm/run.sh: $BIN is not executable" >&2; exit 2; }
[ ${#TESTS[@]} -gt 0 ] || TESTS=(tests/vm/test_*.sh)

# The guest sees the host's root read-only, but not /root or /tmp, where
# Bazel's outputs may live: stage the binary in the cache.
STAGE=$(mkdir -p "$CACHE/stage" && mktemp -d "$CACHE/stage/XXXXXX") || exit 2
# ATLAS_KEEP_STAGE=DIR: copy every test's log and kernel log (and a first
# run's, .first) to DIR before the stage goes.
trap '[ -n "${ATLAS_KEEP_STAGE:-}" ] && mkdir -p "$ATLAS_KEEP_STAGE" && cp "$STAGE"/*.log* "$ATLAS_KEEP_STAGE"/ 2>/dev/null; rm -rf "$STAGE"' EXIT
install -m 755 "$BIN" "$STAGE/scx_atlas"
[ -x "$STATS_BIN" ] && install -m 755 "$STATS_BIN" "$STAGE/atlas_stats"
PROBE_BIN=$(dirname "$BIN")/tests/bpf/ravg_probe
[ -x "$PROBE_BIN" ] && install -m 755 "$PROBE_BIN" "$STAGE/ravg_probe"
CROWD_BIN=$(dirname "$BIN")/tests/vm/crowd
[ -x "$CROWD_BIN" ] && install -m 755 "$CROWD_BIN" "$STAGE/crowd"
install -m 644 tools/systemd/scx_atlas.service "$STAGE/scx_atlas.service"

passed=0 failed=0 failures=() hung=() died=() reasons=()
# The lines of a guest kernel that crashed (one pattern for the retry, the
# first run's report and the reason line).
KCRASH='Oops|BUG:|general protection|Unable to handle'
# True if the kernel log reports a lost timer ("timer wakeup didn't happen",
# RCU's stall report) before its first 'sched_ext: BPF scheduler "..."
# enabled', or with no BPF scheduler enabled at all.
timer_lost_before_scx() {
  awk '/timer wakeup didn.t happen/ { print (seen ? "after" : "before"); exit }
       /sched_ext: BPF scheduler ".*" enabled/ { seen = 1 }' "$1" 2>/dev/null | grep -q before
}
# why NAME KIND: one line on why a test failed, from its output and its
# guest's kernel log: the test's own FAIL line, the checker's verdict on the
# kernel log, or for a hang and a dead guest where the vCPUs were and the
# kernel's first report.
why() {
  local log=$STAGE/$1.log klog=$STAGE/$1.kernel.log r
  r=$(grep -m1 -E '^FAIL:' "$log")
  [ -n "$r" ] || r=$(grep -m1 -E '^vm-run: (FAIL: the guest kernel log|timed out|the guest ended|qemu crashed)' "$log" | sed 's/ (a hang.*//; s/:$//' | cut -c1-160)
  # The kernel log line the checker objected to.
  local k p
  p=$(sed -n 's/^vm-run: the first problem line: //p' "$log" | head -1)
  [ -n "$p" ] && r="$r: $p"
  # The kernel's first report; a scheduler stopped by its own process
  # ("unregistered from user space") is not one.
  k=$(grep -v 'unregistered from user space' "$klog" 2>/dev/null | grep -m1 -E "$KCRASH"'|Kernel panic|WARNING:|soft lockup|hard LOCKUP|rcu: INFO:|blocked for more than|task stall|disabled \(' | sed 's/^\[ *[0-9.]*\] //' | cut -c1-160)
  [ -n "$k" ] && [ "$k" != "$p" ] && r="$r; kernel: $k"
  if [ "$2" = HANG ]; then
    local rips
    rips=$(grep -E '^  CPU#[0-9]+ RIP=' "$log" | sed 's/^  //; s/ RIP=[0-9a-f]*//' | tr '\n' ' ')
    [ -n "$rips" ] && r="$r; vCPUs: $rips"
  fi
  # Else the output's last line.
  [ -n "$r" ] || r="last line: $(grep -v '^[[:space:]]*$' "$log" | tail -1 | cut -c1-160)"
  echo "$1 ($2): $r" | tr -d '\r'
}
for t in "${TESTS[@]}"; do
  name=$(basename "$t" .sh)
  vm_args=$(sed -n 's/^# vm: //p' "$t" | head -1)
  allow=$(sed -n 's/^# allow: //p' "$t" | head -1)
  # A test that needs longer than --timeout says so ("# timeout: SECS").
  t_timeout=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$t" | head -1)
  [ -n "$t_timeout" ] && [ "$t_timeout" -gt "$TIMEOUT" ] || t_timeout=$TIMEOUT
  log=$STAGE/$name.log
  start=$(date +%s%N)
  if grep -q '^# host: true' "$t"; then   # tests of the harness itself
    ATLAS_BIN="$STAGE/scx_atlas" ATLAS_STATS_BIN="$STAGE/atlas_stats" bash "$t" > "$log" 2>&1
    rc=$?
  else
    # A guest that died before the test finished (qemu 10.0 TCG aborts and
    # rare guest crashes were seen under emulation), or hung after its
    # kernel failed, gets one more run; the retry is reported with the
    # first run's tail. A test that fails, hangs with a sound kernel, or
    # dies twice, counts as failed.
    # The rerun uses single-threaded TCG (SCX_VM_TCG_THREAD=single): the
    # deaths seen so far were an int3 trap on a jump label the kernel had
    # just rewritten as sched_ext enabled or disabled (README: "guest
    # deaths"), a vCPU running stale code while another rewrote it, which
    # cannot happen when one host thread runs every vCPU in turn. (A CI
    # rerun under multi-threaded TCG failed too: sched_ext stuck in
    # 'enabling' for 60 s.)
    tcg=$(sed -n 's/^# tcg: \(single\)$/\1/p' "$t" | head -1)
    tcg=${tcg:-multi}
    for try in 1 2; do
      # shellcheck disable=SC2086
      SCX_VM_TCG_THREAD=$tcg tools/vm/vm-run $vm_args ${KERNEL:+-k "$KERNEL"} ${allow:+-A "$allow"} -l "$STAGE/$name.kernel.log" -t "$t_timeout" "${ENVS[@]+"${ENVS[@]}"}" \
        -e ATLAS_BIN="$STAGE/scx_atlas" -e ATLAS_STATS_BIN="$STAGE/atlas_stats" \
        -e ATLAS_RAVG_PROBE_BIN="$STAGE/ravg_probe" -e ATLAS_CROWD_BIN="$STAGE/crowd" \
        -e ATLAS_UNIT="$STAGE/scx_atlas.service" "$t" > "$log" 2>&1
      rc=$?
      klog=$STAGE/$name.kernel.log
      [ $try = 1 ] || break
      # A hang counts as the scheduler's unless the guest kernel itself
      # failed first: it crashed (an Oops or BUG: TCG's code patching was
      # seen to trip an int3 Oops while sched_ext enabled), or it reports a
      # timer that never fired (a CI guest hung with every vCPU halted from
      # 2 s after boot, before the test ran: "rcu_preempt kthread timer
      # wakeup didn't happen"). Such a hang gets the same one more run as
      # a dead guest.
      emu="$KCRASH|timer wakeup didn.t happen"
      if [ $rc = 124 ] && grep -q -E "$emu" "$klog" 2>/dev/null; then
        echo "note: $name: the guest hung after its kernel failed (exit 124, $(grep -m1 -o -E "($emu)[^]]*" "$klog" | cut -c1-80)); running it once more (single-threaded TCG). First run's tail:"
      elif [ $rc = 125 ]; then
        echo "note: $name: the guest died before the test finished (exit 125); running it once more (single-threaded TCG). First run's tail:"
      elif [ $rc != 0 ] && timer_lost_before_scx "$klog"; then
        # A test that failed in a guest whose kernel had lost a vCPU's timer
        # before any BPF scheduler was enabled (a CI test_soak guest: "timer
        # wakeup didn't happen" on an idle CPU under the default scheduler,
        # then the lost CPU's tasks stalled past the watchdog): the guest
        # was broken before the test's scheduler ran.
        echo "note: $name: failed (exit $rc) in a guest that lost a timer before sched_ext was enabled ($(grep -m1 -o -E "timer wakeup didn.t happen[^]]*" "$klog" | cut -c1-80)); running it once more (single-threaded TCG). First run's tail:"
      else
        break
      fi
      tail -5 "$log" | sed 's/^/    ! /'
      # A guest kernel that oopsed: its whole report (from the first BUG /
      # Oops / fault line), so that one death is enough to name its cause.
      first=$(grep -n -m1 -E "$KCRASH|Kernel panic|WARNING:" "$klog" 2>/dev/null | cut -d: -f1)
      if [ -n "$first" ]; then
        echo "    ! the first run's kernel report:"
        tail -n +$((first > 5 ? first - 5 : 1)) "$klog" | head -120 | sed 's/^/    ! /'
      fi
      cp "$log" "$log.first"
      cp "$klog" "$klog.first" 2>/dev/null
      # One host thread runs every vCPU: twice the time (test_steal_limits'
      # rerun, 4 vCPUs, passed every check it reached in 300 s, then hung
      # out of time).
      [ "$tcg" = single ] || t_timeout=$((t_timeout * 2))
      tcg=single
    done
  fi
  secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
  if [ $rc = 0 ]; then
    passed=$((passed + 1)); printf 'PASS %-28s %6ss  %s\n' "$name" "$secs" "$(grep '^PASS:' "$log" | tail -1 | cut -c7-)"
    [ $VERBOSE = 1 ] && sed 's/^/    | /' "$log"
  else
    # 124: the guest did not finish in time (a hang, diagnosed by vm-run);
    # 125: the guest died twice; anything else: the test failed.
    failed=$((failed + 1))
    case $rc in
      124) hung+=("$name"); kind=HANG ;;
      125) died+=("$name"); kind=DIED ;;
      *) failures+=("$name"); kind=FAIL ;;
    esac
    printf '%s %-28s %6ss  (exit %s)\n' "$kind" "$name" "$secs" "$rc"
    sed 's/^/    | /' "$log"
    reasons+=("$(why "$name" "$kind")")
  fi
done
echo "vm tests: $passed passed, $failed failed: ${#failures[@]} test failures${failures[*]:+ (${failures[*]})}, ${#hung[@]} hung guests${hung[*]:+ (${hung[*]})}, ${#died[@]} dead guests${died[*]:+ (${died[*]})}"
for r in "${reasons[@]+"${reasons[@]}"}"; do echo "  $r"; done
[ -n "$REASONS" ] && [ ${#reasons[@]} -gt 0 ] && printf '%s\n' "${reasons[@]}" >> "$REASONS"
[ -n "$COUNTS" ] && echo "$passed $failed" > "$COUNTS"
[ $failed = 0 ]

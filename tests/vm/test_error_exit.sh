#!/bin/bash
# vm: -s 2:2:1
# allow: sched_ext: BPF scheduler "atlas" errored|injected error|scx_bpf_error|atlas_tick
# An error raised inside the BPF scheduler ends it: the kernel falls back to
# its default scheduler and scx_atlas reports the error, with the kernel's
# debug dump (its state when the scheduler failed), and exits non-zero.
# Then the same ejection, over and over, under the unit's restart policy.
. "$(dirname "$0")/lib.sh"

start_atlas --debug_inject_error_after=2s
wait_atlas_exit 100
wait "$ATLAS_PID"
rc=$?
echo "scx_atlas exit status: $rc"
err_rc=$rc
[ "$rc" != 0 ] || fail "exit status 0 after a BPF error, want non-zero"
wait_state disabled 50 || fail "state '$(state)' after the error, want disabled"
grep -q 'injected error after 2000 ms' "$ATLAS_LOG" || fail "the error message was not reported"
grep 'exited:' "$ATLAS_LOG"
grep -q "^scx_atlas: the kernel's debug dump:" "$ATLAS_LOG" || fail "no debug dump reported"
# The kernel's dump starts "<comm>[<pid>] triggered exit kind 1025" (a BPF
# error) and goes on with the backtrace and every CPU's runqueue.
grep -A3 "the kernel's debug dump:" "$ATLAS_LOG"
grep -q 'triggered exit kind 1025' "$ATLAS_LOG" || fail "the dump reported is not the kernel's"
grep -q 'Backtrace:' "$ATLAS_LOG" || fail "the dump has no backtrace"
echo "PASS: BPF error -> exit status $rc, message and the kernel's dump reported, state disabled"

# An ejection loop under the unit's own restart policy. The guest's PID 1 is
# not systemd, so this loop does what systemd does with the [Unit] and
# [Service] values the unit file states: Restart=on-failure restarts after
# a non-zero exit that RestartPreventExitStatus= does not name, RestartSec=
# later, and a start beyond StartLimitBurst= starts within
# StartLimitIntervalSec= is refused (the unit fails and stays down). A
# scheduler the kernel ejects every 2 s must end there, with the machine on
# the kernel's own scheduler, after exactly StartLimitBurst runs, each
# ended by the kernel (exit status 1); a bad command line (exit status 2)
# is not restarted at all.
UNIT=${ATLAS_UNIT:?ATLAS_UNIT not set}
unit() { sed -n "s/^$1=//p" "$UNIT"; }
secs() { case $1 in *ms) echo "0.${1%ms}" ;; *min) echo $((${1%min} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac; }
restart=$(unit Restart) prevent=$(unit RestartPreventExitStatus)
restart_sec=$(secs "$(unit RestartSec)") burst=$(unit StartLimitBurst)
interval=$(secs "$(unit StartLimitIntervalSec)")
echo "unit: Restart=$restart RestartSec=${restart_sec}s RestartPreventExitStatus=$prevent StartLimitBurst=$burst StartLimitIntervalSec=${interval}s"
[ "$restart" = on-failure ] && [ -n "$burst" ] && [ -n "$interval" ] && [ -n "$restart_sec" ] ||
  fail "the unit's restart policy is not one this test knows how to apply"
# supervise ARGS...: runs scx_atlas under that policy; sets STARTS and
# STATUSES (one exit status per run), and REFUSED=1 if the start limit hit.
supervise() {
  local starts=() now rc s
  STATUSES=() REFUSED=0
  while :; do
    now=$(date +%s)
    for s in "${starts[@]}"; do [ $((now - s)) -lt "$interval" ] && echo "$s"; done > /tmp/starts
    mapfile -t starts < /tmp/starts
    if [ "${#starts[@]}" -ge "$burst" ]; then REFUSED=1; break; fi
    starts+=("$now")
    "$ATLAS_BIN" "$@" >> /tmp/supervised.log 2>&1
    rc=$?
    STATUSES+=("$rc")
    [ "$rc" != 0 ] && [[ " $prevent " != *" $rc "* ]] || break
    sleep "$restart_sec"
  done
  STARTS=${#STATUSES[@]}
}
: > /tmp/supervised.log
t0=$(date +%s)
supervise --debug_inject_error_after=2s
echo "ejected every 2 s: $STARTS runs in $(($(date +%s) - t0)) s, exit statuses ${STATUSES[*]}, start refused: $REFUSED"
[ "$REFUSED" = 1 ] || fail "the start limit never stopped the loop (statuses ${STATUSES[*]})"
[ "$STARTS" = "$burst" ] || fail "$STARTS runs, want $burst"
for rc in "${STATUSES[@]}"; do [ "$rc" = 1 ] || fail "an ejection exited with status $rc, want 1"; done
ended=$(grep -c '^scx_atlas: exited: .*injected error after 2000 ms' /tmp/supervised.log)
[ "$ended" = "$burst" ] || fail "$ended of $burst runs were ended by the kernel's injected error"
wait_state disabled 50 || fail "state '$(state)' after the loop, want disabled"
hog 0
sleep 1
ticks=$(awk '{print $14}' /proc/$HOG_PID/stat)
kill "$HOG_PID"
[ "$ticks" -gt 30 ] || fail "a hog ran $ticks ticks in 1 s on the default scheduler"
supervise --interval=-1s
echo "a bad command line: $STARTS run, exit status ${STATUSES[*]}"
[ "$STARTS" = 1 ] && [ "${STATUSES[0]}" = 2 ] || fail "a bad command line: $STARTS runs, statuses ${STATUSES[*]}"
pass "BPF error -> exit status $err_rc, message and the kernel's dump reported, state disabled; under the unit's policy an ejection every 2 s stops after $burst starts on the default scheduler, a bad command line after 1"

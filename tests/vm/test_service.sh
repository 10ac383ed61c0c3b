#!/bin/bash
# vm: -s 2:2:1 -a nohz_full=3
# The systemd unit's hardening, applied by hand (the guest's PID 1 is not
# systemd) exactly as the unit states it: a private mount namespace with
# /usr, /boot, /etc read-only (ProtectSystem=full), /home and /root empty
# and read-only (ProtectHome=yes), /tmp and /var/tmp private (PrivateTmp=yes),
# /sys, /proc/sys and /sys/fs/cgroup read-only (ProtectKernelTunables=yes,
# ProtectControlGroups=yes), then no_new_privs and the unit's capability
# bounding set (setpriv). Both modes load, schedule, serve their stats and
# detach cleanly under it; without CAP_BPF and CAP_SYS_ADMIN the load fails
# with an error (so the bounding set is really applied). A hardening setting
# this test does not know how to apply fails it. The guest boots with
# nohz_full=3 (a tickless CPU, which sched_ext supports, unlike isolcpus=).
. "$(dirname "$0")/lib.sh"

UNIT=${ATLAS_UNIT:?ATLAS_UNIT not set}
known=" CapabilityBoundingSet NoNewPrivileges ProtectSystem ProtectHome PrivateTmp ProtectKernelTunables ProtectControlGroups "
for key in $(grep -oE '^(Protect|Private|Restrict|NoNew|Capability|MemoryDeny|SystemCall|Lock|ReadOnly|Inaccessible|ReadWrite)[A-Za-z]*' "$UNIT"); do
  [[ "$known" == *" $key "* ]] || fail "the unit sets $key=, which this test does not apply"
done
setting() { sed -n "s/^$1=//p" "$UNIT"; }
[ "$(setting NoNewPrivileges)" = yes ] && [ "$(setting ProtectSystem)" = full ] &&
  [ "$(setting ProtectHome)" = yes ] && [ "$(setting PrivateTmp)" = yes ] &&
  [ "$(setting ProtectKernelTunables)" = yes ] && [ "$(setting ProtectControlGroups)" = yes ] ||
  fail "the unit's hardening values differ from what this test applies: $(grep -E '^(Protect|Private|NoNew)' "$UNIT" | tr '\n' ' ')"
caps=$(setting CapabilityBoundingSet)
bounding="-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)"
echo "unit: $(grep -E '^(Capability|NoNew|Protect|Private)' "$UNIT" | tr '\n' ' ')"

REAL_BIN=$ATLAS_BIN
# hardened BOUNDING: make start_atlas run scx_atlas under the restrictions.
hardened() {
  ATLAS_BIN=unshare
  HARDEN=(-m --propagation private sh -c '
    set -e
    for d in /usr /boot /etc; do [ -d $d ] && mount --bind $d $d && mount -o remount,bind,ro $d $d; done
    for d in /home /root; do mount -t tmpfs -o ro,mode=755 tmpfs $d; done
    for d in /tmp /var/tmp; do mount -t tmpfs tmpfs $d; done
    mount --rbind /sys /sys && mount -o remount,bind,ro /sys /sys
    mount -o remount,bind,ro /sys/fs/cgroup /sys/fs/cgroup
    mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys /proc/sys
    exec setpriv --no-new-privs --bounding-set "$0" "$@"' "$1" "$REAL_BIN")
}

echo "nohz_full CPUs: $(cat /sys/devices/system/cpu/nohz_full)"
[ "$(cat /sys/devices/system/cpu/nohz_full)" = 3 ] || fail "the guest did not boot with nohz_full=3"
echo 1 > /proc/sys/vm/compact_unevictable_allowed  # the kernel's default
for mode in balanced user; do
  hardened "$bounding"
  start_atlas "${HARDEN[@]}" --mode=$mode
  st=/proc/$ATLAS_PID/status
  echo "$mode: $(grep -E '^(NoNewPrivs|CapBnd|CapEff)' $st | tr -s '\t\n' '  ')"
  grep -q '^NoNewPrivs:\s*1' $st || fail "no_new_privs not set on scx_atlas"
  [ "$(awk '/^CapBnd/{print $2}' $st)" != "$(awk '/^CapBnd/{print $2}' /proc/1/status)" ] || fail "the bounding set is not narrowed"
  grep -q ' /sys sysfs ro' /proc/$ATLAS_PID/mounts || fail "/sys is not read-only for scx_atlas"
  hackbench -g 2 -l 200 > /dev/null || fail "hackbench failed under the hardened scx_atlas"
  stats_json | jq -e '.domains | length > 0' > /dev/null || fail "no stats from the hardened scx_atlas"
  [ "$(state)" = enabled ] && [ "$(ops)" = atlas ] || fail "state $(state), ops $(ops)"
  # /proc/sys is read-only here: user mode cannot keep compaction off its
  # locked pages (usersched/arena.h) and says so, once, and runs on.
  if [ $mode = user ]; then
    warn=$(grep -c 'warning: cannot set /proc/sys/vm/compact_unevictable_allowed to 0' "$ATLAS_LOG")
    echo "user: $(grep -m1 'warning:' "$ATLAS_LOG" | cut -c1-120)"
    [ "$warn" = 1 ] || fail "user mode under a read-only /proc/sys printed $warn warnings about compact_unevictable_allowed, want 1"
  fi
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "$mode: exit status $ATLAS_RC"
  echo "PASS: $mode mode under the unit's hardening"
done

# The same without CAP_BPF (and CAP_SYS_ADMIN, which implies it): the load
# fails, with an error and a non-zero exit.
nobpf=${bounding/,+sys_admin/}
hardened "${nobpf/,+bpf/}"
timeout 120 "$ATLAS_BIN" "${HARDEN[@]}" > /tmp/nobpf.log 2>&1
rc=$?
echo "without CAP_BPF: exit $rc: $(grep -v '^libbpf' /tmp/nobpf.log | head -3)"
[ "$rc" = 1 ] || fail "exit status $rc without CAP_BPF, want 1"
[ "$(state)" = disabled ] || fail "state $(state)"
pass "balanced and user mode run under the unit's hardening ($caps, NoNewPrivileges, ProtectSystem=full, ProtectHome, PrivateTmp, ProtectKernelTunables, ProtectControlGroups); without CAP_BPF the load fails"

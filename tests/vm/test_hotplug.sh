#!/bin/bash
# vm: -s 2:2:1
# CPU hotplug: the kernel ends the scheduler with a restart request; scx_atlas
# re-reads the topology, reloads and re-attaches by itself, both when a CPU
# goes offline and when it comes back.
. "$(dirname "$0")/lib.sh"

online() { echo "$2" > /sys/devices/system/cpu/cpu$1/online; }
wait_log() {  # PATTERN: wait up to 20 s for scx_atlas to print it
  for ((i = 0; i < 200; i++)); do grep -q "$1" "$ATLAS_LOG" && return 0; sleep 0.1; done
  fail "scx_atlas did not print '$1'"
}

start_atlas
online 3 0
echo "cpu3 offline: online CPUs $(cat /sys/devices/system/cpu/online)"
wait_log 'enabled: 3 CPUs in 2 domains'
wait_state enabled 100 || fail "not enabled again after the CPU went offline"
grep 'restarting' "$ATLAS_LOG" | head -1
online 3 1
echo "cpu3 online: online CPUs $(cat /sys/devices/system/cpu/online)"
wait_log 'enabled: 4 CPUs in 2 domains'
wait_state enabled 100 || fail "not enabled again after the CPU came back"
[ "$(ops)" = atlas ] || fail "ops is '$(ops)'"
kill -0 "$ATLAS_PID" || fail "scx_atlas exited"
hackbench -g 2 -l 100 > /dev/null || fail "hackbench failed after the restarts"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
[ "$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")" -ge 2 ] || fail "expected two restarts"
pass "offline and online CPU -> restarted and enabled again both times"

#!/bin/bash
# vm: -s 2:2:1 -a isolcpus=3
# isolcpus= (domain isolation): the kernel does not run a sched_ext
# scheduler then. scx_atlas says why in one line that names the isolated
# CPUs, exits 1, and leaves the kernel's scheduler in charge (the machine
# keeps working). (nohz_full= alone is supported: test_service boots with
# it.)
. "$(dirname "$0")/lib.sh"

echo "isolated CPUs: $(cat /sys/devices/system/cpu/isolated)"
timeout 120 "$ATLAS_BIN" > "$ATLAS_LOG" 2>&1
rc=$?
cat "$ATLAS_LOG"
[ "$rc" = 1 ] || fail "exit status $rc, want 1"
grep -q '^scx_atlas: .*CPUs 3 are isolated (isolcpus=)' "$ATLAS_LOG" || fail "no line naming the isolated CPUs"
[ "$(grep -vc '^scx_atlas: stats on' "$ATLAS_LOG")" = 1 ] || fail "more than the one line of error"
[ "$(state)" = disabled ] || fail "state $(state)"
hackbench -g 2 -l 100 > /dev/null || fail "hackbench failed afterwards"
pass "isolcpus=3: refused by the kernel, explained in one line, exit 1, default scheduler in charge"

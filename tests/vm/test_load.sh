#!/bin/bash
# vm: -s 2:2:1
# Load tracking in the real kernel: two CPU hogs in domain 0 and one task
# runnable about half the time in domain 1; with a 500 ms half-life, after
# 4 s the domains' loads (sum of duty cycle x weight, read by scx_atlas from
# the mmap'ed dom_loads array) must be about 2 and about 0.5.
. "$(dirname "$0")/lib.sh"

start_atlas --stats_interval=1s --load_half_life=500ms
hog 0; HOGS=("$HOG_PID"); hog 1; HOGS+=("$HOG_PID")
taskset -c 2 stress-ng --cpu 1 --cpu-load 50 --timeout 5 > /dev/null 2>&1 &
HALF=$!
sleep 4.5
line=$(grep '^scx_atlas: loads' "$ATLAS_LOG" | tail -1)
echo "$line"
kill "${HOGS[@]}"; wait "$HALF" "${HOGS[@]}" 2>/dev/null
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
d0=$(sed -n 's/.* 0:\([0-9.]*\)\/.*/\1/p' <<< "$line")
d1=$(sed -n 's/.* 1:\([0-9.]*\)\/.*/\1/p' <<< "$line")
awk -v a="$d0" 'BEGIN { exit !(a >= 1.6 && a <= 2.6) }' || fail "domain 0 load $d0, want about 2 (1.6-2.6)"
awk -v b="$d1" 'BEGIN { exit !(b >= 0.25 && b <= 0.9) }' || fail "domain 1 load $d1, want about 0.5 (0.25-0.9)"
pass "domain loads track duty cycle x weight: domain 0 $d0 (2 hogs), domain 1 $d1 (50% task)"

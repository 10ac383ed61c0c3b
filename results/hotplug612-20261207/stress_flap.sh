#!/bin/bash
# vm: -s 2:2:2 -n 2
# timeout: 900
# Stress (not part of the suite): scx_atlas restarting on hotplug while the
# last CPU flaps, 20 rounds of 10 flips 300 ms apart and 3 s of flips back
# to back, under a loop of hackbench; stops at the first "not properly
# vacated" WARNING and prints the kernel's report (vm-run then fails it).
#   tests/vm/run.sh -k VMLINUX --bin bazel-bin/scx_atlas results/hotplug612-20261207/stress_flap.sh
source "$(dirname "$0")/../../tests/vm/lib.sh"
N=$(nproc)
start_atlas
cpu=$((N - 1))
(while :; do hackbench -g 2 -l 300 > /dev/null 2>&1; done) &
flaps=0
for ((round = 0; round < 20; round++)); do
  for ((k = 0; k < 10; k++)); do echo $((k % 2)) > /sys/devices/system/cpu/cpu$cpu/online; sleep 0.3; done
  for ((end = SECONDS + 3; SECONDS < end; flaps++)); do
    echo $((flaps % 2)) 2>/dev/null > /sys/devices/system/cpu/cpu$cpu/online
  done
  echo 1 > /sys/devices/system/cpu/cpu$cpu/online
  dmesg | grep -q "not properly vacated" && break
  sleep 2
done
echo "rounds=$round flaps=$flaps restarts=$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")"
dmesg | grep -A60 "not properly vacated" | head -80
pass "flapped $flaps times back to back"

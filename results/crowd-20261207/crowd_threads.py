#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# crowd.py N PERIOD SECS: N threads that each sleep PERIOD seconds in a loop
# for SECS seconds (a machine's worth of mostly idle tasks, for the VM tests
# that look at what the planner's pass costs with many tasks).
import sys, threading, time
n, period, secs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + secs
def run():
    while time.monotonic() < end:
        time.sleep(period)
for _ in range(n):
    threading.Thread(target=run, daemon=True).start()
time.sleep(secs)

#!/bin/bash
# vm: -s 2:2:2 -n 2
# The soak and fault suite (tests/vm/soak.sh), short form, balanced mode:
# 60 s of mixed load, then hotplug, SIGSTOP and SIGKILL. tools/soak runs
# the 10-minute form.
SOAK_MODE=balanced SOAK_SECS=${SOAK_SECS:-60} exec bash "$(dirname "$0")/soak.sh"

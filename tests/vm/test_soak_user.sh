#!/bin/bash
# vm: -s 2:2:2 -n 2
# allow: runnable task stall|sched_ext: BPF scheduler "atlas" disabled|watchdog failed to check in|atlas.*stall
# The soak and fault suite (tests/vm/soak.sh), short form, user mode.
SOAK_MODE=user SOAK_SECS=${SOAK_SECS:-60} exec bash "$(dirname "$0")/soak.sh"

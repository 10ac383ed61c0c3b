#!/bin/bash
# vm: -s 1:2:1
# Clear one-line errors and non-zero exits: not root, another sched_ext
# scheduler active, bad flags.
. "$(dirname "$0")/lib.sh"

one_line_error 1 'must run as root' setpriv --reuid=65534 --regid=65534 --clear-groups "$ATLAS_BIN"
one_line_error 2 'slice_underutil' "$ATLAS_BIN" --slice_underutil=0
one_line_error 2 'must be between 0 and 100' "$ATLAS_BIN" --node_imbalance_pct=150
one_line_error 2 'at least 10ms' "$ATLAS_BIN" --interval=0s
one_line_error 2 'preempt_min_run' "$ATLAS_BIN" --preempt_min_run=2s
one_line_error 1 'Illegal value' "$ATLAS_BIN" --interval=banana
one_line_error 2 'overlap' "$ATLAS_BIN" --cpumasks=0-1,1
one_line_error 2 'in no domain' "$ATLAS_BIN" --cpumasks=0
one_line_error 2 'not present' "$ATLAS_BIN" --cpumasks=0-1,7
one_line_error 1 'Unknown command line flag' "$ATLAS_BIN" --no_such_flag
[ "$(state)" = disabled ] || fail "a failed start changed the state to $(state)"

start_atlas
one_line_error 1 "another sched_ext scheduler ('atlas') is already active" "$ATLAS_BIN"
[ "$(ops)" = atlas ] || fail "the second instance disturbed the first: ops=$(ops)"
stop_atlas TERM
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC after SIGTERM, want 0"
wait_state disabled 50 || fail "state '$(state)' after SIGTERM"
pass "not root, already active and bad flags give one clear line and a non-zero exit"

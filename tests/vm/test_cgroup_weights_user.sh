#!/bin/bash
# vm: -s 2:2:1 -n 1
# timeout: 900
# test_cgroup_weights.sh in user mode (--mode=user --cgroup_weights), in a
# guest of its own: the same phases, the default scheduler measured beside
# it again; the bounds and why they differ are in that file's header.
CG_MODES=${CG_MODES:-user}
# shellcheck source=tests/vm/test_cgroup_weights.sh
. "$(dirname "$0")/test_cgroup_weights.sh"

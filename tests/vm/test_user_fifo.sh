#!/bin/bash
# vm: -s 2:2:2 -n 2
# The FIFO example policy (usersched/fifo_policy.cc) under the same stress
# as test_user_mode.sh.
USER_TEST_ARGS=--user_policy=fifo exec bash "$(dirname "$0")/test_user_mode.sh"

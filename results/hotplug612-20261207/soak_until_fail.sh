#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs test_soak on a 6.12 guest kernel again and again until it first
# fails, keeping every round's output and kernel log in $OUT/<round>/.
#   DBG_VMLINUX=/path/to/vmlinux N=30 OUT=/tmp/soak612 \
#     results/hotplug612-20261207/soak_until_fail.sh
# (after `bazel build //:scx_atlas //tools:atlas_stats`).
set -u
cd "$(dirname "$0")/../.." || exit 1
vmlinux=${DBG_VMLINUX:?set DBG_VMLINUX to the guest kernel}
out=${OUT:-/tmp/soak612}
for ((i = 1; i <= ${N:-30}; i++)); do
  mkdir -p "$out/$i"
  echo "== round $i $(date +%T)"
  if ! ATLAS_KEEP_STAGE="$out/$i" tests/vm/run.sh -k "$vmlinux" \
    --bin bazel-bin/scx_atlas --stats-bin bazel-bin/tools/atlas_stats \
    tests/vm/test_soak.sh > "$out/$i/out.txt" 2>&1; then
    echo "round $i failed"
    tail -3 "$out/$i/out.txt"
    break
  fi
  tail -1 "$out/$i/out.txt"
done
echo "== end $(date +%T)"

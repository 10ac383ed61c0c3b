#!/bin/bash
# vm: -s 2:2:2 -n 1
for r in 1 2 3 4 5 6; do
  CONVERGE_BENCH=/var/cache/scx-atlas/diag_converge_fb ROUNDS=1 bash /work/main/tests/vm/test_converge.sh
  sed 's/^/  R'$r' /' /tmp/run.log
  grep -E "DIAG|balance:" /tmp/atlas.log | sed 's/^/  R'$r' /' | tail -40
done
echo "PASS: done"

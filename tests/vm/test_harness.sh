#!/bin/bash
# host: true
# The harness itself (tools/vm/vm-run), run on the host: exit status passes
# through, output streams back, the guest topology follows --smp/--numa, a
# WARNING in the guest kernel log fails a command that otherwise passed, a
# qemu that dies before the command starts is booted again, and a guest that
# hangs is diagnosed (and one that hangs before the command starts is
# booted again, twice at most); tests/vm/run.sh names why a test failed in its
# --reasons file (which tools/test prints last), and runs a failed test once
# more if its guest lost a timer before any BPF scheduler was enabled.
set -u
VM=tools/vm/vm-run
fail() { echo "FAIL: $*"; exit 1; }

out=$($VM -s 2:2:2 'echo cpus=$(nproc) nodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l) smt=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list) sched_ext=$(cat /sys/kernel/sched_ext/state); exit 3')
rc=$?
echo "guest said: $out (exit $rc)"
[ $rc = 3 ] || fail "exit status $rc, want the command's 3"
[[ "$out" == *"cpus=8 nodes=2 smt=0-1 sched_ext=disabled"* ]] || fail "unexpected guest topology: $out"

# A WARNING in the guest kernel log fails the command (123), and the log is
# quoted from it on, not cut after a few lines: what the kernel prints after
# a call trace (a dying CPU's task list, 40 lines on) names the cause.
err=$($VM -s 1:1:1 'echo "<4>WARNING: CPU: 0 PID: 1 at fake/test.c:1 injected" > /dev/kmsg; for i in $(seq 40); do echo "<4>report line $i" > /dev/kmsg; done' 2>&1 > /dev/null)
rc=$?
echo "kernel WARNING in the guest log -> exit $rc, $(grep -c 'report line' <<< "$err") of its 40 report lines quoted"
[ $rc = 123 ] || fail "a kernel WARNING gave exit $rc, want 123"
grep -q 'report line 40' <<< "$err" || fail "the kernel's report was cut: $(grep 'report line' <<< "$err" | tail -1)"

$VM -s 1:1:1 -A 'fake/test.c' 'echo "<4>WARNING: CPU: 0 PID: 1 at fake/test.c:1 injected" > /dev/kmsg' > /dev/null 2>&1
rc=$?
echo "same WARNING, allowed with -A -> exit $rc"
[ $rc = 0 ] || fail "an allowed WARNING gave exit $rc, want 0"
# A qemu that dies before the guest starts the command is booted again.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
cat > "$fake/qemu" <<'QEMU'
#!/bin/bash
n=$(cat "${0%/*}/count" 2>/dev/null || echo 0); echo $((n + 1)) > "${0%/*}/count"
[ "$n" = 0 ] && { echo "fake abort before boot" >&2; exit 134; }
exec qemu-system-x86_64 "$@"
QEMU
chmod +x "$fake/qemu"
out=$(QEMU=$fake/qemu $VM -s 1:1:1 'echo ran' 2>"$fake/err")
rc=$?
echo "qemu dying at the first boot -> exit $rc, output '$out', $(grep -c 'booting again' "$fake/err") retry"
[ $rc = 0 ] && [[ "$out" == ran* ]] || fail "no retry after a qemu abort before the command: $(cat "$fake/err")"
[ "$(cat "$fake/count")" = 2 ] || fail "qemu ran $(cat "$fake/count") times, want 2"
# A guest that does not finish in time is a hang (exit 124), reported with
# what the host sees (qemu's vCPUs and where they are) and what the guest's
# diagnostic agent said (task states, the tails of the logs in /tmp, sysrq
# dumps).
out=$($VM -s 1:1:1 -t 45 'echo "last words of the test" > /tmp/hang.log; sleep 1000' 2>&1)
rc=$?
echo "a command that never ends, -t 45 -> exit $rc; report:"
echo "$out" | grep -E 'timed out|vm status|RIP=|diag: ====|diag:   last words|sysrq' | head -12 | sed 's/^/    /'
[ $rc = 124 ] || fail "a hang gave exit $rc, want 124"
grep -q 'timed out after 45s (a hang' <<< "$out" || fail "no hang report"
grep -qE 'CPU#0 RIP=[0-9a-f]+ [a-z_]+' <<< "$out" || fail "no vCPU instruction pointer with its kernel function: $(grep RIP= <<< "$out")"
grep -q 'diag: ==== the command is still running' <<< "$out" || fail "the guest's diagnostic agent did not report"
grep -q 'diag:   last words of the test' <<< "$out" || fail "the agent did not show the tail of /tmp/hang.log"
grep -qE 'diag:   [0-9]+/task/[0-9]+ sleep S' <<< "$out" || fail "the agent did not list the sleeping command"
# A guest that has not started the command SCX_VM_BOOT_TIMEOUT seconds after
# boot (CI lost two runs to such hangs) is diagnosed, ended and booted
# again, at most twice. Here every boot hangs: init=/usr/bin/tail waits on
# its input and never starts the command.
out=$(SCX_VM_BOOT_TIMEOUT=12 $VM -s 1:1:1 -t 200 -a init=/usr/bin/tail 'echo the command ran' 2>&1)
rc=$?
hangs=$(grep -c 'had not started the command 12s after boot' <<< "$out")
echo "every boot hangs, a 12 s boot limit -> exit $rc, $hangs boot hangs reported, $(grep -c 'booting again' <<< "$out") boots again"
[ $rc = 124 ] || fail "boot hangs gave exit $rc, want 124"
[ "$hangs" = 3 ] || fail "$hangs boot hangs reported, want 3: $(grep 'vm-run:' <<< "$out" | head -5)"
[ "$(grep -c 'booting again' <<< "$out")" = 2 ] || fail "want 2 boots again after the first two hangs"
grep -q 'the last of three boots hung before the command started' <<< "$out" || fail "no final boot hang report"
! grep -q 'the command ran' <<< "$out" || fail "the command ran in a guest whose init cannot start it"
# run.sh: a failed test's reason, one line, at the end of the output and in
# --reasons. The test lives where the guest can see it (not /tmp).
stage=$(mkdir -p /var/cache/scx-atlas/stage && mktemp -d /var/cache/scx-atlas/stage/harness.XXXXXX)
trap 'rm -rf "$fake" "$stage"' EXIT
printf '#!/bin/bash\n# vm: -s 1:1:1\necho "FAIL: injected reason"; exit 1\n' > "$stage/test_injected.sh"
chmod +x "$stage/test_injected.sh"
tests/vm/run.sh --bin "${ATLAS_BIN:?}" --reasons "$stage/why" "$stage/test_injected.sh" > "$stage/out" 2>&1
rc=$?
echo "run.sh on a failing test -> exit $rc; reasons file: $(cat "$stage/why" 2>/dev/null)"
[ $rc != 0 ] || fail "run.sh passed a failing test"
[ "$(cat "$stage/why" 2>/dev/null)" = "test_injected (FAIL): FAIL: injected reason" ] || fail "reasons file: $(cat "$stage/why" 2>/dev/null)"
tail -1 "$stage/out" | grep -q '^  test_injected (FAIL): FAIL: injected reason$' || fail "the reason is not printed last: $(tail -3 "$stage/out")"
# A test that passes in a guest whose kernel logs a problem: the reason
# names the line the checker objected to, not a scheduler's normal stop.
printf '#!/bin/bash\n# vm: -s 1:1:1\necho "sched_ext: BPF scheduler \\"atlas\\" disabled (unregistered from user space)" > /dev/kmsg\necho "WARNING: injected problem" > /dev/kmsg\nexit 0\n' > "$stage/test_klog.sh"
chmod +x "$stage/test_klog.sh"
rm -f "$stage/why"
tests/vm/run.sh --bin "$ATLAS_BIN" --reasons "$stage/why" "$stage/test_klog.sh" > "$stage/out" 2>&1
rc=$?
echo "run.sh on a test whose guest kernel logged a WARNING -> exit $rc; reasons file: $(cat "$stage/why" 2>/dev/null)"
[ $rc != 0 ] || fail "run.sh passed a test whose guest kernel logged a WARNING"
grep -q '^test_klog (FAIL): vm-run: FAIL: the guest kernel log reports a problem: WARNING: injected problem$' "$stage/why" ||
  fail "reasons file: $(cat "$stage/why" 2>/dev/null)"
# A test that fails in a guest whose kernel lost a timer before any BPF
# scheduler was enabled is run once more; one whose timer was lost after
# is not (the lost timer may then be the scheduler's doing).
for when in before after; do
  {
    printf '#!/bin/bash\n# vm: -s 1:1:1\n'
    [ $when = after ] && echo "echo '<6>sched_ext: BPF scheduler \"atlas\" enabled' > /dev/kmsg"
    echo "echo \"<4>rcu: rcu_preempt kthread timer wakeup didn't happen for 14990 jiffies (injected)\" > /dev/kmsg"
    echo 'echo "FAIL: injected after a lost timer"; exit 1'
  } > "$stage/test_timer_$when.sh"
done
chmod +x "$stage"/test_timer_*.sh
tests/vm/run.sh --bin "$ATLAS_BIN" "$stage/test_timer_before.sh" "$stage/test_timer_after.sh" > "$stage/out" 2>&1
rc=$?
again=$(grep -c 'lost a timer before sched_ext was enabled' "$stage/out")
echo "run.sh on two failing tests, a timer lost before / after 'enabled' -> exit $rc, $again rerun(s): $(grep -o 'note: test_timer_[a-z]*' "$stage/out" | tr '\n' ' ')"
[ $rc != 0 ] || fail "run.sh passed two failing tests"
grep -q 'note: test_timer_before: failed (exit [0-9]*) in a guest that lost a timer before sched_ext was enabled' "$stage/out" ||
  fail "no rerun of the test whose guest lost a timer before sched_ext: $(grep -A3 test_timer_before "$stage/out" | head -5)"
[ "$again" = 1 ] || fail "$again reruns, want 1 (none for a timer lost after sched_ext was enabled)"
grep -q '^FAIL test_timer_before' "$stage/out" || fail "a test that failed twice did not count as failed"
echo "PASS: exit status, output, topology, kernel-log checks, boot retries, hang diagnostics, failure reasons and reruns after a lost timer work"

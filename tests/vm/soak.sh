#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The soak and fault suite's guest side (run by tests/vm/test_soak*.sh and
# tools/soak inside tools/vm/vm-run, 8 vCPUs). SOAK_MODE=balanced|user,
# SOAK_SECS (default 600):
#   1. SOAK_SECS of mixed load: stress-ng CPU + fork + exec + affinity
#      stressors, hackbench in a loop, 4 busy tasks moved between two
#      cgroups every 200 ms, and one task changing its own affinity ~1000
#      times a second. Checked every 2 s: still enabled (0 ejections). The
#      scheduler's peak RSS during the load (VmHWM, reset at the start, so
#      growth freed again before the end counts too) must stay near its
#      RSS at the start.
#   2. A CPU offline and back: the scheduler restarts itself both times.
#   3. kill -STOP: user mode is ejected by the watchdog and the guest runs
#      on; balanced mode keeps scheduling (BPF needs no userspace).
#   4. kill -9: the kernel falls back to its default scheduler.
# Prints "SOAK key=value" lines for the report; fails on any problem.
. "$(dirname "$0")/lib.sh"
MODE=${SOAK_MODE:-balanced}
SECS=${SOAK_SECS:-600}
case "$MODE" in
  # Balanced mode keeps the kernel's 30 s watchdog: with 5 s, a nice-19
  # kthread (khugepaged) starved for 6.4 s under this TCG load once.
  balanced) ARGS=() ;;
  # User mode runs with its default 5 s watchdog. (With 3 s, a CI run's
  # re-enable under the hotplug flapping took 3.0 s in the kernel, and its
  # first tick reported the watchdog's check-in 3.0 s old: ejected.)
  user) ARGS=(--mode=user) ;;
  *) fail "SOAK_MODE=$MODE" ;;
esac
N=$(nproc)
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$ATLAS_PID"/status; }
peak_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$ATLAS_PID"/status; }

# --- 1. mixed load ---------------------------------------------------------
start_atlas "${ARGS[@]}"
sleep 3
rss0=$(rss_kb)
echo 5 > /proc/"$ATLAS_PID"/clear_refs   # VmHWM := VmRSS
stress-ng --cpu "$N" --fork 4 --affinity 4 --timeout "$SECS" --metrics-brief > /tmp/stress.log 2>&1 &
STRESS=$!
# stress-ng's exec stressor refuses to run as root.
setpriv --reuid=65534 --regid=65534 --clear-groups \
  stress-ng --exec 2 --timeout "$SECS" --metrics-brief > /tmp/exec.log 2>&1 &
EXEC=$!
CG=/sys/fs/cgroup
echo +cpu > $CG/cgroup.subtree_control 2>/dev/null
mkdir -p $CG/soak_a $CG/soak_b
MOVERS=()
for i in 1 2 3 4; do bash -c 'while :; do :; done' & MOVERS+=($!); done
(
  moves=0 end=$((SECONDS + SECS))
  while [ $SECONDS -lt $end ]; do
    for p in "${MOVERS[@]}"; do
      echo "$p" > $CG/soak_$([ $((moves % 2)) = 0 ] && echo a || echo b)/cgroup.procs 2>/dev/null && moves=$((moves + 1))
    done
    sleep 0.2
  done
  echo "SOAK cgroup_moves=$moves"
) > /tmp/cg.log 2>&1 &
CGMOVER=$!
python3 - "$SECS" > /tmp/aff.log 2>&1 <<'PY' &
import os, sys, time
secs = float(sys.argv[1])
cpus = sorted(os.sched_getaffinity(0))
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < secs:
    os.sched_setaffinity(0, {cpus[n % len(cpus)]})
    n += 1
    if n % 4 == 0:
        time.sleep(0.002)
dt = time.monotonic() - t0
print(f"SOAK affinity_changes={n} affinity_rate={n / dt:.0f}")
PY
AFF=$!
t0=$SECONDS hb=0 checks=0
while [ $((SECONDS - t0)) -lt "$SECS" ]; do
  hackbench -g 2 -l 50 > /tmp/hackbench.log 2>&1 || fail "hackbench failed: $(tail -2 /tmp/hackbench.log)"
  hb=$((hb + 1))
  checks=$((checks + 1))
  [ "$(state)" = enabled ] || fail_ejected "ejected after $((SECONDS - t0)) s: state $(state)"
  kill -0 "$ATLAS_PID" 2>/dev/null || fail "scx_atlas died after $((SECONDS - t0)) s"
  sleep 1
done
wait $STRESS || fail "stress-ng failed: $(tail -3 /tmp/stress.log)"
wait $EXEC || fail "stress-ng --exec failed: $(tail -3 /tmp/exec.log)"
wait $AFF; wait $CGMOVER
kill "${MOVERS[@]}" 2>/dev/null; wait "${MOVERS[@]}" 2>/dev/null
rss1=$(rss_kb) peak=$(peak_kb)
cat /tmp/aff.log /tmp/cg.log
echo "SOAK mode=$MODE secs=$SECS hackbench_rounds=$hb state_checks=$checks ejections=0 rss_start_kb=$rss0 rss_end_kb=$rss1 rss_peak_kb=$peak"
grep -hE ' (cpu|fork|exec|affinity) ' /tmp/stress.log /tmp/exec.log | sed 's/  */ /g'
grep -q ' exec ' /tmp/exec.log || fail "no exec stressor figures: $(tail -3 /tmp/exec.log)"
[ "$peak" -le $((rss0 + rss0 / 5 + 4096)) ] || fail "RSS grew from $rss0 kB to a peak of $peak kB (end: $rss1 kB)"
[ "$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")" = 0 ] || fail "unexpected restarts during the soak"

# --- 2. CPU hotplug ---------------------------------------------------------
cpu=$((N - 1))
echo 0 > /sys/devices/system/cpu/cpu$cpu/online
for ((i = 0; i < 200; i++)); do [ "$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")" -ge 1 ] && break; sleep 0.1; done
wait_state enabled 200 || fail "not enabled again after cpu$cpu went offline"
echo 1 > /sys/devices/system/cpu/cpu$cpu/online
for ((i = 0; i < 200; i++)); do [ "$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")" -ge 2 ] && break; sleep 0.1; done
wait_state enabled 200 || fail "not enabled again after cpu$cpu came back"
[ "$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")" -ge 2 ] || fail "expected 2 restarts: $(grep restarting $ATLAS_LOG)"
[ "$(ops)" = atlas ] && kill -0 "$ATLAS_PID" || fail "not running as atlas after hotplug"
hackbench -g 2 -l 50 > /dev/null || fail "hackbench failed after hotplug"
# Flapping: 10 flips 300 ms apart under hackbench, then 3 s of flips back
# to back (every reading of the topology overlaps a change: waited out,
# not a reason to exit); afterwards the layout is the N online CPUs again
# and no file descriptor or thread was left behind.
fds0=$(ls /proc/$ATLAS_PID/fd | wc -l) thr0=$(ls /proc/$ATLAS_PID/task | wc -l)
hackbench -g 2 -l 1000 > /dev/null 2>&1 &
HB=$!
for ((k = 0; k < 10; k++)); do echo $((k % 2)) > /sys/devices/system/cpu/cpu$cpu/online; sleep 0.3; done
flaps=0 flap_fails=0
for ((end = SECONDS + 3; SECONDS < end; flaps++)); do
  echo $((flaps % 2)) 2>/dev/null > /sys/devices/system/cpu/cpu$cpu/online || flap_fails=$((flap_fails + 1))
done
echo 1 > /sys/devices/system/cpu/cpu$cpu/online
wait $HB || fail "hackbench failed during the flapping"
# Settled: enabled on the N CPUs, and still so 2 s later with no restart
# meanwhile (a flip's hotplug event can end the scheduler just after it
# attached, and it restarts: in a CI run on 6.12, "expected hotplug seq 17
# did not match actual 18" came right after "enabled: 8 CPUs", and the
# check below read it disabled).
on_n_cpus() { [ "$(state)" = enabled ] && grep '^scx_atlas: enabled' "$ATLAS_LOG" | tail -1 | grep -q "enabled: $N CPUs"; }
for ((end = SECONDS + 30; SECONDS < end; )); do
  restarts=$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")
  if on_n_cpus; then
    sleep 2
    on_n_cpus && [ "$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG")" = "$restarts" ] && break
  fi
  sleep 0.1
done
kill -0 "$ATLAS_PID" 2>/dev/null || fail "exited after the flapping"
on_n_cpus || fail "not enabled on $N CPUs 30 s after the flapping: state $(state); $(grep '^scx_atlas: enabled' "$ATLAS_LOG" | tail -1)"
fds1=$(ls /proc/$ATLAS_PID/fd | wc -l) thr1=$(ls /proc/$ATLAS_PID/task | wc -l)
[ "$fds1" = "$fds0" ] && [ "$thr1" = "$thr0" ] || fail "after the flapping: fds $fds0 -> $fds1, threads $thr0 -> $thr1"
echo "SOAK hotplug_restarts=$(grep -c '^scx_atlas: restarting' "$ATLAS_LOG") (2 + the flapping's) back_to_back_flips=$flaps (failed $flap_fails) unsettled_readings=$(grep -o 'during [0-9]* readings' "$ATLAS_LOG" | awk '{n += $2} END {print n + 0}') fds=$fds1 threads=$thr1"

# --- 3. kill -STOP ------------------------------------------------------------
stress-ng --cpu "$N" --timeout 12 > /dev/null 2>&1 &
STRESS=$!
sleep 1
kill -STOP "$ATLAS_PID"
if [ "$MODE" = user ]; then
  t0=$SECONDS
  wait_state disabled 150 || fail "user mode: state $(state) 15 s after SIGSTOP (watchdog 5 s)"
  echo "SOAK stop_fallback_s=$((SECONDS - t0))"
  hackbench -g 2 -l 50 > /dev/null || fail "hackbench failed after the fallback"
  kill -CONT "$ATLAS_PID"
  wait_atlas_exit 100
  wait "$ATLAS_PID"
  echo "SOAK stop_exit_status=$?"
else
  hackbench -g 2 -l 50 > /dev/null || fail "hackbench failed while scx_atlas was stopped"
  [ "$(state)" = enabled ] || fail "balanced mode ejected while its process was stopped: $(state)"
  echo "SOAK stop_still_enabled=1"
  kill -CONT "$ATLAS_PID"
  stop_atlas INT
  [ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC after SIGSTOP/SIGCONT/SIGINT"
fi
wait $STRESS

# --- 4. kill -9 ---------------------------------------------------------------
start_atlas "${ARGS[@]}"
stress-ng --cpu "$N" --timeout 6 > /dev/null 2>&1 &
STRESS=$!
sleep 2
kill -9 "$ATLAS_PID"
wait "$ATLAS_PID" 2>/dev/null
t0=$SECONDS
wait_state disabled 100 || fail "state $(state) 10 s after SIGKILL"
wait $STRESS || fail "stress-ng failed after SIGKILL"
echo "SOAK kill9_fallback_s=$((SECONDS - t0))"
pass "$MODE mode: ${SECS}s mixed load with 0 ejections, RSS ${rss0}->${rss1} kB (peak $peak); hotplug restarts and flapping; SIGSTOP; SIGKILL fallback"

#!/bin/bash
# vm: -s 2:2:1
# Started confined, scx_atlas still schedules the whole machine: run from a
# cpuset of CPUs 0-1 (a service with AllowedCPUs=, a container), its domains
# cover every online CPU (hwloc alone reports only the process's cpuset),
# hogs pinned to the CPUs outside that cpuset run, and the kernel does not
# end it. Environment overrides that would replace the machine hwloc reads
# (HWLOC_XMLFILE, HWLOC_SYNTHETIC, HWLOC_FSROOT) are refused with one line,
# before anything is loaded.
. "$(dirname "$0")/lib.sh"

nr_online=$(nproc --all)
online=$(cat /sys/devices/system/cpu/online)

for var in HWLOC_XMLFILE=/tmp/x.xml HWLOC_SYNTHETIC=pu:2 HWLOC_FSROOT=/tmp; do
  one_line_error 2 "${var%%=*}" env "$var" "$ATLAS_BIN"
  [ "$(state)" = disabled ] || fail "state $(state) after a refused start"
done

CG=/sys/fs/cgroup/atlas-confined
mkdir -p $CG
echo +cpuset > /sys/fs/cgroup/cgroup.subtree_control
echo 0-1 > $CG/cpuset.cpus
echo $$ > $CG/cgroup.procs
start_atlas --interval=500ms
echo $$ > /sys/fs/cgroup/cgroup.procs
echo "scx_atlas runs on CPUs $(sed -n 's/^Cpus_allowed_list:\s*//p' /proc/$ATLAS_PID/status) of $online"
grep '^scx_atlas: enabled' "$ATLAS_LOG"
grep -q "^scx_atlas: enabled: $nr_online CPUs" "$ATLAS_LOG" ||
  fail "the layout is not the $nr_online online CPUs"
cap=$(stats_json | jq '[.domains[] | .capacity] | add')
echo "domains' capacity: $cap CPUs"
[ "$(jq -n "$cap >= $nr_online")" = true ] || fail "domains cover $cap CPUs of $nr_online"

# Hogs on every CPU outside the cpuset: each gets CPU time.
pids=()
for ((c = 2; c < nr_online; c++)); do hog $c; pids+=($HOG_PID); done
sleep 4
for p in "${pids[@]}"; do
  t=$(awk '{print $14}' /proc/$p/stat)
  echo "hog $p on CPU $(awk '{print $39}' /proc/$p/stat): utime $t ticks"
  [ "$t" -gt 100 ] || fail "hog $p ran $t ticks in 4 s"
done
kill "${pids[@]}"
[ "$(state)" = enabled ] && [ "$(ops)" = atlas ] || fail "state $(state), ops $(ops)"
stop_atlas INT
[ "$ATLAS_RC" = 0 ] || fail "exit status $ATLAS_RC"
expect_zero enq_no_domain
rmdir $CG
pass "confined to CPUs 0-1, scx_atlas laid out all $nr_online CPUs and hogs on CPUs 2-$((nr_online - 1)) ran; HWLOC overrides refused"

#!/bin/bash
# host: true
# tools/install stages the binaries, the unit (in systemd's vendor
# directory) and its config; the unit passes `systemd-analyze verify`; the
# config's flags are accepted by the installed scx_atlas; a re-install and
# --uninstall keep the administrator's config, drop-in and /etc unit;
# --uninstall removes what install put there.
set -u
fail() { echo "FAIL: $*"; exit 1; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
tools/install --destdir="$D" --prefix=/opt/atlas --bin="$ATLAS_BIN" --stats-bin="$ATLAS_STATS_BIN" || fail "install failed"
for f in opt/atlas/bin/scx_atlas opt/atlas/bin/atlas_stats usr/local/lib/systemd/system/scx_atlas.service etc/default/scx_atlas; do
  [ -e "$D/$f" ] || fail "$f not installed"
done
grep -q '^ExecStart=/opt/atlas/bin/scx_atlas \$SCX_ATLAS_FLAGS$' "$D/usr/local/lib/systemd/system/scx_atlas.service" ||
  fail "ExecStart not rewritten for the prefix: $(grep ExecStart "$D/usr/local/lib/systemd/system/scx_atlas.service")"
# systemd checks the unit with ExecStart pointing at the staged binary.
sed "s@/opt/atlas/bin@$D/opt/atlas/bin@; s@^EnvironmentFile=.*@EnvironmentFile=-$D/etc/default/scx_atlas@" \
  "$D/usr/local/lib/systemd/system/scx_atlas.service" > "$D/scx_atlas.service"
out=$(systemd-analyze verify "$D/scx_atlas.service" 2>&1 | grep -v -e 'Cannot add dependency job' -e 'multi-user.target' -e '^$')
[ -z "$out" ] || fail "systemd-analyze verify: $out"
echo "systemd-analyze verify: clean"
# The shipped flags parse (--show_topology needs neither root nor sched_ext).
. "$D/etc/default/scx_atlas"
# shellcheck disable=SC2086
"$D/opt/atlas/bin/scx_atlas" $SCX_ATLAS_FLAGS --show_topology > /dev/null || fail "the default flags '$SCX_ATLAS_FLAGS' are rejected"
echo "default flags accepted: $SCX_ATLAS_FLAGS"
echo 'SCX_ATLAS_FLAGS="--interval=5s"' > "$D/etc/default/scx_atlas"
# The administrator's changes: a drop-in and a whole unit in /etc.
mkdir -p "$D/etc/systemd/system/scx_atlas.service.d"
printf '[Service]\nCPUWeight=500\n' > "$D/etc/systemd/system/scx_atlas.service.d/local.conf"
printf '# mine\n' > "$D/etc/systemd/system/scx_atlas.service"
out=$(tools/install --destdir="$D" --prefix=/opt/atlas --bin="$ATLAS_BIN" --stats-bin="$ATLAS_STATS_BIN") || fail "re-install failed"
grep -q 'interval=5s' "$D/etc/default/scx_atlas" || fail "re-install overwrote the user's config"
grep -q 'CPUWeight=500' "$D/etc/systemd/system/scx_atlas.service.d/local.conf" || fail "re-install changed the drop-in"
[ "$(cat "$D/etc/systemd/system/scx_atlas.service")" = '# mine' ] || fail "re-install overwrote the /etc unit"
grep -q 'overrides the installed unit' <<< "$out" || fail "re-install did not say that the /etc unit overrides it: $out"
tools/install --destdir="$D" --prefix=/opt/atlas --uninstall > /dev/null || fail "uninstall failed"
[ ! -e "$D/opt/atlas/bin/scx_atlas" ] && [ ! -e "$D/usr/local/lib/systemd/system/scx_atlas.service" ] || fail "uninstall left files"
[ -e "$D/etc/systemd/system/scx_atlas.service.d/local.conf" ] && [ -e "$D/etc/systemd/system/scx_atlas.service" ] &&
  [ -e "$D/etc/default/scx_atlas" ] || fail "uninstall removed the administrator's files"
# --prefix=/usr installs into /usr/lib/systemd/system.
tools/install --destdir="$D" --prefix=/usr --bin="$ATLAS_BIN" --stats-bin="$ATLAS_STATS_BIN" > /dev/null || fail "install --prefix=/usr failed"
[ -e "$D/usr/lib/systemd/system/scx_atlas.service" ] || fail "--prefix=/usr: unit not in /usr/lib/systemd/system"
echo "PASS: install/uninstall staged under a destdir; unit in the vendor directory verifies; config, drop-in and /etc unit kept across re-install and uninstall"

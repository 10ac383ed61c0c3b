#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/setup.sh: install everything scx_atlas needs on a Debian 12 (bookworm)
# machine, as root, from Debian's archive only. Idempotent; a re-run on a
# machine that is already set up takes a few seconds.
#
#   apt sources   bookworm-backports (qemu 10, bpftool 7.5), trixie deb-src
#                 (abseil 20240722 and libbpf 1.5 source packages) and
#                 trixie-backports (the guest kernel, downloaded only). trixie-
#                 backports is pinned to -1 so nothing is ever installed from it.
#   packages      toolchain, libraries, qemu, workloads (see PACKAGES below)
#   /opt/scx-atlas/abseil-cpp   abseil 20240722 source, built by Bazel
#   /opt/scx-atlas/libbpf       libbpf 1.5 (static), built here from source
#   $SCX_ATLAS_CACHE            guest kernel (vmlinux), virtiofsd, vmlinux.h,
#                               the kernel's sched_ext BPF headers (include/scx)
#                               (default /var/cache/scx-atlas)
#
# Environment: SCX_ATLAS_CACHE, SCX_VM_KPKG (pin the guest kernel package,
# default: the newest linux-binary-*+deb13-cloud-amd64).
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
export DEBIAN_FRONTEND=noninteractive
OPT=/opt/scx-atlas
CACHE=${SCX_ATLAS_CACHE:-/var/cache/scx-atlas}
APT_GET=(apt-get -o DPkg::Lock::Timeout=300 -q -y --no-install-recommends)
t0=$(date +%s)

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (it installs Debian packages)"
[ -r /etc/debian_version ] || die "this script supports Debian 12 (bookworm) only"

# --- 1. apt sources --------------------------------------------------------
SRC=/etc/apt/sources.list.d/scx-atlas.sources
PIN=/etc/apt/preferences.d/scx-atlas
URI=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1 || true)
[ -n "$URI" ] || URI=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$URI" ] || die "cannot find the Debian archive URI in /etc/apt/sources.list*"
want_src=$(cat <<SRC_EOF
# Written by scx_atlas tools/setup.sh.
# bookworm-backports: qemu-system-x86 10 and bpftool 7.5.
Types: deb
URIs: $URI
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# trixie source packages: abseil 20240722 and libbpf 1.5, built from source.
Types: deb-src
URIs: $URI
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# trixie-backports: only 'apt-get download' of the sched_ext guest kernel.
Types: deb
URIs: $URI
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC_EOF
)
want_pin=$(cat <<'PIN_EOF'
# Written by scx_atlas tools/setup.sh: never install or upgrade anything on
# this host from trixie-backports (it is here to download the guest kernel).
Package: *
Pin: release n=trixie-backports
Pin-Priority: -1
PIN_EOF
)
changed=0
if [ "$(cat "$SRC" 2>/dev/null)" != "$want_src" ]; then echo "$want_src" > "$SRC"; changed=1; fi
if [ "$(cat "$PIN" 2>/dev/null)" != "$want_pin" ]; then echo "$want_pin" > "$PIN"; changed=1; fi
lists_ok() {
  ls /var/lib/apt/lists/ 2>/dev/null | grep -q 'bookworm-backports_main_binary-amd64_Packages' &&
    ls /var/lib/apt/lists/ 2>/dev/null | grep -q 'trixie-backports_main_binary-amd64_Packages' &&
    ls /var/lib/apt/lists/ 2>/dev/null | grep -q 'trixie_main_source_Sources'
}
if [ $changed = 1 ] || ! lists_ok; then
  say "apt-get update"
  apt-get -o DPkg::Lock::Timeout=300 -q update >/dev/null || die "apt-get update failed"
fi

# --- 2. packages -----------------------------------------------------------
PACKAGES=(
  bazel-bootstrap bazel-platforms bazel-skylib           # build
  clang-19 llvm-19 clang-format-19 make gcc g++ dpkg-dev # compilers, apt-get source
  git ca-certificates                                     # tools/check-format.sh, clones
  libelf-dev zlib1g-dev pkg-config zstd                  # libbpf, kernel unpack
  libhwloc-dev hwloc libeigen3-dev                       # topology, planner math
  nlohmann-json3-dev                                      # stats protocol (JSON)
  libgtest-dev libgmock-dev libbenchmark-dev             # tests, benchmarks
  stress-ng rt-tests iproute2 procps util-linux jq       # VM workloads, guest tools
  systemd                                                 # tests/vm/test_install.sh (systemd-analyze)
  python3 gnuplot-nox bc                                  # tools/bench report and chart
  flex bison dwarves libssl-dev                           # the 6.12 guest kernel (tools/vm/build-kernel-6.12.sh)
)
BACKPORTS=(qemu-system-x86 bpftool)                       # bookworm-backports
missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}
miss=$(missing "${PACKAGES[@]}")
if [ -n "$miss" ]; then
  say "installing: $(echo $miss)"
  "${APT_GET[@]}" install $miss >/dev/null || die "apt-get install failed"
fi
# qemu >= 8 (bookworm's 7.2 oopses under multi-threaded TCG when sched_ext
# flips static keys); bpftool 7.5 writes skeletons for libbpf 1.5.
qemu_ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
bpftool_ver=$(dpkg-query -W -f='${Version}' bpftool 2>/dev/null || true)
if ! dpkg --compare-versions "${qemu_ver:-0}" ge 1:8 || ! dpkg --compare-versions "${bpftool_ver:-0}" ge 7.5; then
  say "installing from bookworm-backports: ${BACKPORTS[*]}"
  "${APT_GET[@]}" install -t bookworm-backports "${BACKPORTS[@]}" >/dev/null || die "apt-get install -t bookworm-backports failed"
fi

# --- 3. source packages: abseil 20240722 and libbpf 1.5 (trixie) -----------
mkdir -p "$OPT"
if [ ! -f "$OPT/abseil-cpp/absl/log/BUILD.bazel" ]; then
  say "unpacking abseil (trixie source package) into $OPT/abseil-cpp"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source -q --download-only abseil/trixie >/dev/null) || die "apt-get source abseil/trixie failed"
  rm -rf "$OPT/abseil-cpp" && mkdir -p "$OPT/abseil-cpp"
  tar -xzf "$tmp"/abseil_*.orig.tar.gz -C "$OPT/abseil-cpp" --strip-components=1
  rm -rf "$tmp"
fi
if [ ! -f "$OPT/libbpf/lib/libbpf.a" ] || [ ! -f "$OPT/libbpf/include/bpf/bpf_helpers.h" ]; then
  say "building libbpf 1.5 (trixie source package) into $OPT/libbpf"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source -q libbpf/trixie >/dev/null 2>&1) || die "apt-get source libbpf/trixie failed"
  src=$(find "$tmp" -maxdepth 1 -type d -name 'libbpf-1.*' | head -1)
  [ -n "$src" ] || die "libbpf source tree not found after apt-get source"
  rm -rf "$OPT/libbpf"
  make -s -C "$src/src" -j"$(nproc)" BUILD_STATIC_ONLY=1 OBJDIR="$tmp/obj" \
    PREFIX=/ LIBDIR=/lib DESTDIR="$OPT/libbpf" install >/dev/null || die "libbpf build failed"
  make -s -C "$src/src" PREFIX=/ DESTDIR="$OPT/libbpf" install_uapi_headers >/dev/null || die "libbpf uapi headers install failed"
  rm -rf "$tmp"
fi

# --- 4. guest kernel, virtiofsd, vmlinux.h ---------------------------------
SCX_ATLAS_CACHE=$CACHE "$HERE/vm/vm-run" --fetch >/dev/null || die "tools/vm/vm-run --fetch failed"
kernel=$(readlink -f "$CACHE/kernel")
if [ ! -s "$CACHE/include/vmlinux.h" ] || [ "$CACHE/include/vmlinux.h" -ot "$kernel" ]; then
  say "generating vmlinux.h from $(basename "$(dirname "$kernel")")"
  "$HERE/gen-vmlinux-h.sh" "$kernel" "$CACHE/include/vmlinux.h" || die "vmlinux.h generation failed"
fi
# --- 5. the kernel's sched_ext BPF headers ---------------------------------
# tools/sched_ext/include/scx of the guest kernel's own source (linux-source-
# X.Y of trixie-backports, downloaded only, 167 MB; only that directory is
# kept): common.bpf.h, compat.bpf.h (the fallbacks down to 6.12) and friends,
# which the BPF programs include as <scx/common.bpf.h>, beside vmlinux.h.
kminor=$(basename "$(dirname "$kernel")" | sed -n 's/^linux-binary-\([0-9]*\.[0-9]*\)\..*/\1/p')
[ -n "$kminor" ] || die "cannot tell the guest kernel's version from $kernel"
SCXINC=$CACHE/include/scx
if [ ! -s "$SCXINC/common.bpf.h" ] || [ "$(cat "$SCXINC/.source" 2>/dev/null)" != "linux-source-$kminor" ]; then
  ver=$(apt-cache madison "linux-source-$kminor" 2>/dev/null | awk -F'|' 'NR==1{gsub(/ /,"",$2); print $2}')
  [ -n "$ver" ] || die "apt knows no linux-source-$kminor (the guest kernel's sources)"
  say "unpacking tools/sched_ext/include of linux-source-$kminor $ver into $SCXINC"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download "linux-source-$kminor=$ver" >/dev/null 2>&1) ||
    die "apt-get download linux-source-$kminor=$ver failed"
  dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb |
    tar -xO --wildcards './usr/src/linux-source-*.tar.*' |
    tar -xJ -C "$tmp" --wildcards "linux-source-$kminor/tools/sched_ext/include/*" ||
    die "cannot unpack tools/sched_ext/include from linux-source-$kminor"
  [ -s "$tmp/linux-source-$kminor/tools/sched_ext/include/scx/common.bpf.h" ] ||
    die "linux-source-$kminor has no tools/sched_ext/include/scx/common.bpf.h"
  rm -rf "$SCXINC.new" && cp -r "$tmp/linux-source-$kminor/tools/sched_ext/include/scx" "$SCXINC.new"
  echo "linux-source-$kminor" > "$SCXINC.new/.source"
  rm -rf "$SCXINC" && mv "$SCXINC.new" "$SCXINC"
  rm -rf "$tmp"
fi
say "done in $(( $(date +%s) - t0 )) s (guest kernel: $(basename "$(dirname "$kernel")"))"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/build-scx-simple.sh: builds the kernel's sample scheduler scx_simple
# (tools/sched_ext/ of Debian's linux-source package for the guest kernel's
# version) with the project's toolchain: clang-19 for BPF, bpftool 7.5,
# libbpf 1.5 (/opt/scx-atlas/libbpf) and the guest kernel's vmlinux.h.
# Cached; prints the binary's path.
set -euo pipefail
CACHE=${SCX_ATLAS_CACHE:-/var/cache/scx-atlas}
LIBBPF=/opt/scx-atlas/libbpf
die() { echo "build-scx-simple: $*" >&2; exit 1; }
kdir=$(dirname "$(readlink -f "$CACHE/kernel")")
# linux-binary-7.3.4+deb13-cloud-amd64 -> linux-source-7.3
ver=$(basename "$kdir" | sed -n 's/^linux-binary-\([0-9]*\.[0-9]*\)\..*/\1/p')
[ -n "$ver" ] || die "cannot tell the guest kernel's version from $kdir"
OUT=$CACHE/scx_simple-$ver
if [ -x "$OUT/scx_simple" ]; then echo "$OUT/scx_simple"; exit 0; fi
SRC=$CACHE/src
mkdir -p "$SRC" "$OUT"
deb=$(ls "$SRC"/linux-source-"$ver"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
  # trixie-backports is pinned to -1 (never installed from): download only.
  pkgver=$(apt-cache madison "linux-source-$ver" | awk '{print $3}' | head -1)
  [ -n "$pkgver" ] || die "no linux-source-$ver package in the apt lists (run tools/setup.sh)"
  (cd "$SRC" && apt-get download -q "linux-source-$ver=$pkgver" > /dev/null 2>&1) || die "apt-get download linux-source-$ver failed"
  deb=$(ls "$SRC"/linux-source-"$ver"_*.deb | head -1)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "build-scx-simple: extracting tools/sched_ext from $(basename "$deb")" >&2
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./usr/src/linux-source-$ver.tar.xz"
tar -xJf "$tmp/usr/src/linux-source-$ver.tar.xz" -C "$tmp" "linux-source-$ver/tools/sched_ext"
S=$tmp/linux-source-$ver/tools/sched_ext
[ -f "$S/scx_simple.bpf.c" ] || die "no scx_simple in linux-source-$ver"
INC=(-I"$S/include" -I"$S/include/bpf-compat" -I"$CACHE/include" -I"$LIBBPF/include")
clang-19 -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -fms-extensions \
  -Wno-microsoft-anon-tag -Wno-compare-distinct-pointer-types "${INC[@]}" \
  -c "$S/scx_simple.bpf.c" -o "$tmp/scx_simple.bpf.unlinked.o" || die "BPF compile failed"
bpftool gen object "$tmp/scx_simple.bpf.o" "$tmp/scx_simple.bpf.unlinked.o" || die "bpftool gen object failed"
bpftool gen skeleton "$tmp/scx_simple.bpf.o" name scx_simple > "$tmp/scx_simple.bpf.skel.h" || die "bpftool gen skeleton failed"
gcc -O2 -I"$tmp" "${INC[@]}" "$S/scx_simple.c" -o "$OUT/scx_simple" \
  "$LIBBPF/lib/libbpf.a" -lelf -lz || die "scx_simple compile failed"
echo "$OUT/scx_simple"

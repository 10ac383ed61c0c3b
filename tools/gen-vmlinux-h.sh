#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Writes vmlinux.h (every kernel type, from BTF) for the BPF side.
#   tools/gen-vmlinux-h.sh [KERNEL_ELF_OR_BTF] [OUT]
# Default input: the cached guest kernel (tools/setup.sh); a host kernel with
# sched_ext can use /sys/kernel/btf/vmlinux. Default output: the cache's
# include/vmlinux.h, which //bpf builds against (WORKSPACE @vmlinux_h).
set -euo pipefail
CACHE=${SCX_ATLAS_CACHE:-/var/cache/scx-atlas}
in=${1:-$(readlink -f "$CACHE/kernel")}
out=${2:-$CACHE/include/vmlinux.h}
mkdir -p "$(dirname "$out")"
BPFTOOL=${BPFTOOL:-/usr/sbin/bpftool}
[ -r "$in" ] || { echo "gen-vmlinux-h: $in not readable" >&2; exit 1; }
"$BPFTOOL" btf dump file "$in" format c > "$out.tmp"
grep -q 'struct sched_ext_ops {' "$out.tmp" ||
  { rm -f "$out.tmp"; echo "gen-vmlinux-h: $in has no sched_ext types (CONFIG_SCHED_CLASS_EXT unset)" >&2; exit 1; }
mv "$out.tmp" "$out"

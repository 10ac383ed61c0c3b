#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/vm/build-kernel-6.12.sh: build a small 6.12 LTS guest kernel with
# sched_ext, to check scx_atlas on the older kfunc names (Debian's 6.12
# kernels do not enable CONFIG_SCHED_CLASS_EXT). Slim (what the guest
# uses: virtiofs root, UNIX and IPv4 sockets, cgroups, BPF/BTF), to keep a
# cold-cache CI within its time; the result is cached. Prints the path of the stripped vmlinux, for
#   tools/vm/vm-run -k "$(tools/vm/build-kernel-6.12.sh)" CMD
# Source: Debian's linux-source-6.12 (bookworm-security, newest, or
# LINUX_SOURCE_VERSION=...). Config: x86_64_defconfig + kvm_guest.config +
# BPF/BTF/sched_ext + virtiofs + NUMA + PVH, no modules, minus the drivers,
# file systems and subsystems listed below.
set -euo pipefail
CACHE=${SCX_ATLAS_CACHE:-/var/cache/scx-atlas}
VER=${LINUX_SOURCE_VERSION:-$(apt-cache madison linux-source-6.12 | awk '$1 == "linux-source-6.12" && $NF == "Packages" {print $3}' | sort -V | tail -1)}
[ -n "$VER" ] || { echo "build-kernel-6.12: linux-source-6.12 unknown to apt (run tools/setup.sh)" >&2; exit 1; }
UP=${VER%%-*}
# -slim: the config below (no disks, no netfilter/IPv6, no firmware-level
# extras); a cached build of another config is not reused.
OUT=$CACHE/kernels/custom-$UP-scx-slim
[ -f "$OUT/vmlinux" ] && { echo "$OUT/vmlinux"; exit 0; }
need=()
for p in flex bison dwarves bc libssl-dev libelf-dev gcc make; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "build-kernel-6.12: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends install "${need[@]}" >/dev/null
fi

W=$CACHE/build-6.12
rm -rf "$W"; mkdir -p "$W/obj"
(cd "$W" && apt-get download "linux-source-6.12=$VER" >/dev/null 2>&1) ||
  { echo "build-kernel-6.12: apt-get download linux-source-6.12=$VER failed" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$W"/linux-source-6.12_*.deb | tar -xO --wildcards './usr/src/linux-source-*.tar.*' | tar -xJ -C "$W"
SRC=$W/linux-source-6.12
make -C "$SRC" O="$W/obj" x86_64_defconfig >/dev/null
make -C "$SRC" O="$W/obj" kvm_guest.config >/dev/null
"$SRC/scripts/config" --file "$W/obj/.config" \
  -e BPF -e BPF_SYSCALL -e BPF_JIT -e BPF_JIT_ALWAYS_ON -e DEBUG_INFO -d DEBUG_INFO_NONE \
  -e DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO_BTF -d DEBUG_INFO_REDUCED \
  -e SCHED_CLASS_EXT -e CGROUPS -e CGROUP_SCHED -e FAIR_GROUP_SCHED \
  -e FUSE_FS -e VIRTIO_FS -e VIRTIO_PCI -e VIRTIO_CONSOLE -e NUMA -e X86_64_ACPI_NUMA -e PVH \
  -e SCHED_MC -e SCHED_SMT -e DEBUG_FS -e FTRACE -e BPF_EVENTS -e MAGIC_SYSRQ -e IKCONFIG \
  -d DRM -d SOUND -d WLAN -d WIRELESS -d CFG80211 -d USB_SUPPORT -d MODULES -d RANDOMIZE_BASE -d HID -d ETHERNET \
  -d NETFILTER -d IPV6 -d NETWORK_FILESYSTEMS -d NFS_FS -d BT -d RFKILL -d NET_SCHED -d WAN \
  -d SCSI -d ATA -d MD -d FB -d AGP -d INPUT_JOYSTICK -d INPUT_TABLET -d INPUT_TOUCHSCREEN \
  -d INPUT_MISC -d INPUT_MOUSE -d HIBERNATION -d SUSPEND -d KEXEC -d CRASH_DUMP -d CPU_FREQ \
  -d SECURITY_SELINUX -d AUDIT -d PROFILING -d HWMON -d WATCHDOG -d I2C -d EFI -d MACINTOSH_DRIVERS \
  -d PCCARD -d AUXDISPLAY -d MEDIA_SUPPORT -d XFS_FS -d BTRFS_FS -d EXT4_FS -d QUOTA -d AUTOFS_FS \
  -d ISO9660_FS -d MSDOS_FS -d VFAT_FS -d LOGO -d KVM -d HYPERV -d XEN
make -C "$SRC" O="$W/obj" olddefconfig >/dev/null
grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$W/obj/.config" || { echo "build-kernel-6.12: CONFIG_SCHED_CLASS_EXT did not stick" >&2; exit 1; }
make -C "$SRC" O="$W/obj" -j"$(nproc)" vmlinux > "$W/build.log" 2>&1 || { tail -30 "$W/build.log" >&2; exit 1; }
mkdir -p "$OUT"
objcopy --strip-debug "$W/obj/vmlinux" "$OUT/vmlinux"   # keeps .BTF
cp "$W/obj/.config" "$OUT/config"
rm -rf "$W"
echo "$OUT/vmlinux"

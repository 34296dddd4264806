#!/usr/bin/env bash
# Builds the arm64 test guest for the arm64 guest suite (`npm run test:guest:arm64`): a Debian 13
# ("trixie") arm64 cloud guest made with debootstrap from Debian's packages on this (amd64)
# machine, packaged the way Ubuntu publishes its arm64 cloud image: one qcow2 file
# (noble-server-cloudimg-arm64.img, compressed clusters) with a SHA256SUMS beside it, so kubelab's
# real qcow2 import path runs.
#
# Foreign-architecture debootstrap: the first stage downloads and unpacks here, the second stage
# runs arm64 binaries under qemu-user-static through binfmt_misc. Emulation is slow, so everything
# that need not run as arm64 code runs natively: the Packages index is cut down before the second
# stage, and the kernel is not installed by it (its postinst would build an initramfs under
# emulation): its files are unpacked natively and a small initramfs is made here (busybox, the
# disk and ext4 drivers). The root file system fills the whole disk (no partition table, no boot
# loader): the stand-in gives the kernel and that initramfs, saved beside the image, to Debian's
# UEFI firmware (qemu-efi-aarch64), which boots the kernel's EFI stub.
#
# Usage: build-image-arm64.sh <cache root>   prints the folder holding the result.
# The folder is named after a hash of this file and build-image-lib.sh, so a changed recipe builds
# anew and an unchanged one is reused. Needs root, debootstrap, qemu-user-static, binfmt-support,
# qemu-img.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=build-image-lib.sh
. "$(dirname "$0")/build-image-lib.sh"

cache_root=${1:?usage: build-image-arm64.sh <cache root>}
out="$cache_root/arm64-$(guest_recipe_hash "$0")"
if [ -f "$out/done" ]; then
  echo "$out"
  exit 0
fi

# arm64 executables run here only through binfmt_misc (qemu-user-static's entry, binfmt-support).
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64
fi

guest_private_mounts "$0" "$@"
mirror=$(guest_mirror)
# Fetched by the first stage, unpacked natively below, never installed by the second.
native_only=(linux-image-arm64 busybox-static)
include=$(IFS=,; echo "${native_only[*]},${guest_packages[*]}")
guest_build_dir "$cache_root" build-arm64
started=$SECONDS
phase() { echo "build-image-arm64: $1 ($((SECONDS - started)) s)" >&2; }

phase "debootstrap --foreign arm64 trixie (${mirror:-debootstrap default mirror})"
guest_step "$work/debootstrap.log" debootstrap --arch=arm64 --foreign --variant=minbase --include="$include" trixie "$root" ${mirror:+"$mirror"}

# The second stage looks packages up in the suite's whole Packages index (some 56 MB) with perl,
# which under emulation takes minutes per lookup: keep only the stanzas of the packages the first
# stage fetched (debootstrap/debpaths). Drop the kernel, what only builds an initramfs, and busybox
# from the packages it installs (debootstrap/base).
python3 - "$root/debootstrap" "$root"/var/lib/apt/lists/*_Packages <<'PY'
import os, sys
state, indexes = sys.argv[1], sys.argv[2:]
wanted = {line.split()[0] for line in open(os.path.join(state, 'debpaths')) if line.strip()}
for index in indexes:
    stanzas = open(index, encoding='utf-8').read().split('\n\n')
    kept = [s for s in stanzas if any(l.startswith('Package: ') and l[9:] in wanted for l in s.split('\n'))]
    open(index, 'w', encoding='utf-8').write('\n\n'.join(kept) + '\n')
native = ('linux-image-', 'linux-base', 'initramfs-tools', 'klibc-utils', 'libklibc', 'dracut-install', 'busybox-static')
base_file = os.path.join(state, 'base')
base = open(base_file).read().split()
open(base_file, 'w').write(' '.join(p for p in base if not p.startswith(native)) + '\n')
PY

deb() { awk -v p="$1" '$1 == p { print $2 }' "$root/debootstrap/debpaths"; }
kernel_package=$(deb linux-image-arm64)
kernel_package=$(dpkg-deb -f "$root$kernel_package" Depends | grep -o 'linux-image-[^ ,]*-arm64')
kver=${kernel_package#linux-image-}
unpack() { dpkg-deb --fsys-tarfile "$root$(deb "$1")" | tar -x --keep-directory-symlink -C "$2"; }
unpack "$kernel_package" "$root"
mkdir "$work/initrd"
unpack busybox-static "$work/initrd"

# dpkg without fsync: a crash means a new build anyway. Without py3compile: every Python package's
# postinst byte-compiles that package with it (py3compile -p <package>, an interpreter start and a
# dpkg -L each, emulated), most of the second stage's time; dh_python3's postinsts skip that when
# py3compile is not installed ("if command -v py3compile"), and one interpreter compiles all of
# them afterwards. (The interpreters' own postinsts still compile the standard library.)
printf '%s\n' force-unsafe-io path-exclude=/usr/bin/py3compile path-exclude=/usr/bin/py3clean >"$root/etc/dpkg/dpkg.cfg.d/kubelab-build"
# Their files, put in place after the second stage (which removes /debootstrap and its debpaths).
mkdir "$work/py3compile"
unpack python3-minimal "$work/py3compile"
phase "second stage under qemu-user-static"
guest_step "$work/second-stage.log" chroot "$root" /debootstrap/debootstrap --second-stage
rm "$root/etc/dpkg/dpkg.cfg.d/kubelab-build"
cp -p "$work/py3compile/usr/bin/py3compile" "$work/py3compile/usr/bin/py3clean" "$root/usr/bin/"
phase "byte-compile the Python packages"
guest_step "$work/compileall.log" chroot "$root" python3 -m compileall -q /usr/lib/python3/dist-packages /usr/share/python3
phase "depmod $kver"
guest_step "$work/depmod.log" chroot "$root" depmod "$kver"
phase "cloud guest configuration"
guest_finish_root
# Ubuntu's cloud image has named its NICs before cloud-init's local stage starts: its initramfs
# (initramfs-tools, MODULES=most) holds the NIC drivers (hook-functions auto_add_modules: all of
# kernel/drivers/net; read in initramfs-tools 0.142+deb12u3, Ubuntu's own unverified) and udev with
# 80-net-setup-link.rules and the .link files, triggered and settled before the root file system is
# mounted (udev's initramfs hook and init-top/udev, read in Debian 13's udev 257.13-1~deb13u1).
# This busybox initramfs has neither: the NICs appear and are named by udev in the root file system
# while cloud-init-local (DefaultDependencies=no, ordered only before sysinit.target:
# systemd/cloud-init-local.service.tmpl, cloud-init 25.1.4) already runs. It saw eth0/eth1, udev
# renamed them, and its own rename failed ('ip link set eth0 name enp0s3': Cannot find device
# "eth0"; cloud-init status: done with recoverable errors). Waiting for udev to settle gives
# cloud-init what the real initramfs gives it: NICs that have their names.
mkdir -p "$root/etc/systemd/system/cloud-init-local.service.d"
cat >"$root/etc/systemd/system/cloud-init-local.service.d/kubelab-test-guest.conf" <<'UNIT'
[Unit]
Wants=systemd-udev-settle.service
After=systemd-udev-settle.service
UNIT

# The initramfs: what it takes to mount the root file system (virtio disk, ext4 with its checksum
# drivers: modules.dep and ext4's softdep), and the seed DVD's drive (virtio-scsi CD-ROM), then
# systemd. The DVD is there before systemd starts, as an initramfs that settles udev leaves it:
# loaded later by udev in the root file system, the drive could appear after cloud-init's local
# stage had looked for the NoCloud seed (seen on a 1-CPU guest: sr0 6 s after init-local, so
# cloud-init fell back to DataSourceNone and never made the login user).
phase "initramfs"
modules_dir="$root/usr/lib/modules/$kver"
python3 - "$modules_dir" "$work/initrd" virtio_blk ext4 crc32c_generic sr_mod virtio_scsi <<'PY'
import lzma, os, sys
modules_dir, initrd, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
deps = {}
for line in open(os.path.join(modules_dir, 'modules.dep')):
    module, _, needs = line.partition(':')
    deps[os.path.basename(module).split('.ko')[0].replace('-', '_')] = (module, needs.split())
by_path = {path: name for name, (path, _) in deps.items()}
order = []
def add(name):
    if name in order: return
    for need in deps[name][1]: add(by_path[need])
    order.append(name)
for name in wanted: add(name)
os.makedirs(os.path.join(initrd, 'modules'))
for i, name in enumerate(order):
    with lzma.open(os.path.join(modules_dir, deps[name][0])) as src, open(os.path.join(initrd, 'modules', f'{i:02d}-{name}.ko'), 'wb') as dst:
        dst.write(src.read())
PY
mkdir -p "$work/initrd"/{bin,dev,proc,sys,root}
ln -s ../usr/bin/busybox "$work/initrd/bin/sh"
cat >"$work/initrd/init" <<'INIT'
#!/bin/sh
# busybox by its path: an applet run by name re-executes /proc/self/exe, and /proc is not there
# before the first mount nor at switch_root.
bb=/usr/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
# scsi_mod scans synchronously: each CD-ROM drive has its block device when insmod returns.
for module in /modules/*.ko; do
  case "$module" in *-scsi_mod.ko) $bb insmod "$module" scan=sync ;; *) $bb insmod "$module" ;; esac
done
for type in /sys/bus/scsi/devices/*/type; do
  [ "$($bb cat "$type" 2>/dev/null)" = 5 ] || continue
  tries=0
  until [ -d "${type%/type}/block" ] || [ "$tries" -gt 30 ]; do tries=$((tries + 1)); $bb sleep 1; done
done
label=$($bb sed -n 's/.*root=LABEL=\([^ ]*\).*/\1/p' /proc/cmdline)
tries=0
until device=$($bb findfs "LABEL=$label" 2>/dev/null); do
  tries=$((tries + 1))
  if [ "$tries" -gt 120 ]; then echo "initramfs: no disk labelled $label"; exec $bb sh; fi
  $bb sleep 1
done
$bb mount -o ro "$device" /root
$bb mount -o move /dev /root/dev
$bb umount /proc /sys
exec $bb switch_root /root /sbin/init
INIT
chmod +x "$work/initrd/init"
(cd "$work/initrd" && find . | cpio --quiet -o -H newc | gzip -1 >"$work/initrd.img")
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"

phase "qcow2 disk"
image=noble-server-cloudimg-arm64.img
guest_root_disk "$work/disk.raw"
# Compressed clusters, as in Ubuntu's published cloud images.
qemu-img convert -c -f raw -O qcow2 -o compat=1.1 "$work/disk.raw" "$work/$image"
(cd "$work" && sha256sum --binary "$image" >SHA256SUMS)
phase "done"
guest_publish "$out" "$image" SHA256SUMS vmlinuz initrd.img

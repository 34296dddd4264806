#!/usr/bin/env bash
# Builds the arm64 test guest for the arm64 guest suite (`npm run test:guest:arm64`): a Debian 13
# ("trixie") arm64 cloud guest made with debootstrap from Debian's packages on this (amd64)
# machine, packaged the way Ubuntu publishes its arm64 cloud image: one qcow2 file
# (noble-server-cloudimg-arm64.img) with a SHA256SUMS beside it, so kubelab's real qcow2 import
# path runs. Foreign-architecture debootstrap: the first stage unpacks here, the second stage runs
# arm64 binaries under qemu-user-static through binfmt_misc.
# The root file system fills the whole disk (no partition table, no boot loader): the stand-in
# boots the kernel and initrd saved beside the image with Debian's EFI firmware (qemu-efi-aarch64).
#
# Usage: build-image-arm64.sh <cache root>   prints the folder holding the result.
# The folder is named after a hash of this file, so a changed recipe builds anew and an
# unchanged one is reused. Needs root, debootstrap, qemu-user-static, binfmt-support, qemu-img.
set -euo pipefail

cache_root=${1:?usage: build-image-arm64.sh <cache root>}
recipe_hash=$(sha256sum "$0" | cut -c1-16)
out="$cache_root/arm64-$recipe_hash"
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

# The mirror this machine's apt already uses (deb822 .sources or one-line sources.list);
# without one, debootstrap's own default.
mirror=$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'
  } | grep -v -- '-security' | grep -m1 '/debian/\?$' || true
)

packages=(
  linux-image-arm64 initramfs-tools systemd-sysv udev dbus kmod
  cloud-init netplan.io openssh-server sudo iproute2 procps curl ca-certificates
  # cloud-init does not finish without these on a debootstrapped system
  python3-cffi-backend locales e2fsprogs
)
include=$(IFS=,; echo "${packages[*]}")

work=$(mktemp -d "$cache_root/build-arm64.XXXXXX")
cleanup() {
  for m in dev/pts dev proc sys; do umount "$work/root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
root="$work/root"

echo "build-image-arm64: debootstrap --foreign arm64 trixie (${mirror:-debootstrap default mirror})" >&2
debootstrap --arch=arm64 --foreign --variant=minbase --include="$include" trixie "$root" ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}
# The second stage looks packages up in the suite's whole Packages index (some 56 MB) with
# perl, which under emulation takes minutes per lookup: keep only the stanzas of the
# packages the first stage fetched (debootstrap/debpaths), filtered natively.
python3 - "$root/debootstrap/debpaths" "$root"/var/lib/apt/lists/*_Packages <<'PY'
import sys
wanted = {line.split()[0] for line in open(sys.argv[1]) if line.strip()}
for index in sys.argv[2:]:
    stanzas = open(index, encoding='utf-8').read().split('\n\n')
    kept = [s for s in stanzas if any(l.startswith('Package: ') and l[9:] in wanted for l in s.split('\n'))]
    open(index, 'w', encoding='utf-8').write('\n\n'.join(kept) + '\n')
PY
echo "build-image-arm64: second stage under qemu-user-static" >&2
chroot "$root" /debootstrap/debootstrap --second-stage >"$work/second-stage.log" 2>&1 || {
  tail -n 30 "$work/second-stage.log" "$root/debootstrap/debootstrap.log" >&2 2>/dev/null
  exit 1
}

cat >"$root/etc/fstab" <<'FSTAB'
LABEL=kubelab-root / ext4 defaults,errors=remount-ro 0 1
FSTAB
echo 'en_US.UTF-8 UTF-8' >"$root/etc/locale.gen"
chroot "$root" locale-gen >/dev/null
echo 'LANG=en_US.UTF-8' >"$root/etc/default/locale"
# Only the seed ISO (NoCloud) is looked at; the disk fills the file system already.
cat >"$root/etc/cloud/cloud.cfg.d/90-kubelab-test-guest.cfg" <<'CFG'
datasource_list: [NoCloud, None]
growpart: {mode: "off"}
resize_rootfs: false
CFG
# A fresh identity per clone: cloud-init writes the hostname and new SSH host keys.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
echo localhost >"$root/etc/hostname"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

cp "$(readlink -f "$root/vmlinuz")" "$work/vmlinuz"
cp "$(readlink -f "$root/initrd.img")" "$work/initrd.img"

echo "build-image-arm64: qcow2 disk" >&2
image=noble-server-cloudimg-arm64.img
mkfs.ext4 -q -L kubelab-root -d "$root" "$work/disk.raw" 4G
# Compressed clusters, as in Ubuntu's published cloud images.
qemu-img convert -c -f raw -O qcow2 -o compat=1.1 "$work/disk.raw" "$work/$image"
(cd "$work" && sha256sum --binary "$image" >SHA256SUMS)

mkdir -p "$out"
mv "$work/$image" "$work/SHA256SUMS" "$work/vmlinuz" "$work/initrd.img" "$out/"
touch "$out/done"
echo "$out"

#!/usr/bin/env bash
# Builds the test guest for `npm run test:guest`: a Debian 13 ("trixie") cloud guest made
# with debootstrap from Debian's packages, packaged like the Ubuntu cloud image kubelab
# imports (an OVA: OVF descriptor + streamOptimized VMDK) with a SHA256SUMS beside it.
# The root file system fills the whole disk (no partition table, no boot loader): the
# qemu-backed VBoxManage stand-in boots it with the kernel and initrd saved next to the OVA.
#
# Usage: build-image.sh <cache root>   prints the folder holding the result.
# The folder is named after a hash of this file, so a changed recipe builds anew and an
# unchanged one is reused. Needs root (debootstrap, chroot) and debootstrap + qemu-img.
set -euo pipefail

cache_root=${1:?usage: build-image.sh <cache root>}
recipe_hash=$(sha256sum "$0" | cut -c1-16)
out="$cache_root/$recipe_hash"
if [ -f "$out/done" ]; then
  echo "$out"
  exit 0
fi

# The mirror this machine's apt already uses (deb822 .sources or one-line sources.list);
# without one, debootstrap's own default.
mirror=$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'
  } | grep -v -- '-security' | grep -m1 '/debian/\?$' || true
)

packages=(
  linux-image-amd64 initramfs-tools systemd-sysv udev dbus kmod
  cloud-init netplan.io openssh-server sudo iproute2 procps curl ca-certificates
  # cloud-init does not finish without these on a debootstrapped system
  python3-cffi-backend locales e2fsprogs
)
include=$(IFS=,; echo "${packages[*]}")

work=$(mktemp -d "$cache_root/build.XXXXXX")
cleanup() {
  for m in dev/pts dev proc sys; do umount "$work/root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
root="$work/root"

echo "build-image: debootstrap trixie (${mirror:-debootstrap default mirror})" >&2
debootstrap --variant=minbase --include="$include" trixie "$root" ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
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

echo "build-image: disk and OVA" >&2
mkfs.ext4 -q -L kubelab-root -d "$root" "$work/disk.raw" 4G
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$work/disk.raw" "$work/disk.vmdk"
size=$(stat -c %s "$work/disk.vmdk")
capacity=$(stat -c %s "$work/disk.raw")
ova_name=${KUBELAB_TEST_GUEST_OVA_NAME:-noble-server-cloudimg-amd64.ova}
cat >"$work/guest.ovf" <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="file1" ovf:href="disk.vmdk" ovf:size="$size"/></References>
  <DiskSection><Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="$capacity" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="kubelab-test-guest"><Info>Debian 13 test guest for kubelab</Info>
    <OperatingSystemSection ovf:id="96"><Info>Debian 64-bit</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>Virtual hardware</Info>
      <Item><rasd:ElementName>1 CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>1024 MB</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:ElementName>disk1</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
OVF
tar -C "$work" -cf "$work/$ova_name" guest.ovf disk.vmdk
(cd "$work" && sha256sum --binary "$ova_name" >SHA256SUMS)

mkdir -p "$out"
mv "$work/$ova_name" "$work/SHA256SUMS" "$work/vmlinuz" "$work/initrd.img" "$out/"
touch "$out/done"
echo "$out"

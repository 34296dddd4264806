#!/usr/bin/env bash
# Builds the test guest for `npm run test:guest`: a Debian 13 ("trixie") cloud guest made
# with debootstrap from Debian's packages, packaged like the Ubuntu cloud image kubelab
# imports (an OVA: OVF descriptor + streamOptimized VMDK) with a SHA256SUMS beside it.
# The root file system fills the whole disk (no partition table, no boot loader): the
# qemu-backed VBoxManage stand-in boots it with the kernel and initrd saved next to the OVA.
#
# Usage: build-image.sh <cache root>   prints the folder holding the result.
# The folder is named after a hash of this file and build-image-lib.sh, so a changed recipe builds
# anew and an unchanged one is reused. Needs root (debootstrap, chroot, a mount namespace) and
# debootstrap + qemu-img.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=build-image-lib.sh
. "$(dirname "$0")/build-image-lib.sh"

cache_root=${1:?usage: build-image.sh <cache root>}
out="$cache_root/$(guest_recipe_hash "$0")"
if [ -f "$out/done" ]; then
  echo "$out"
  exit 0
fi
guest_private_mounts "$0" "$@"
mirror=$(guest_mirror)
include=$(IFS=,; echo "linux-image-amd64,initramfs-tools,${guest_packages[*]}")
guest_build_dir "$cache_root" build

echo "build-image: debootstrap trixie (${mirror:-debootstrap default mirror})" >&2
guest_step "$work/debootstrap.log" debootstrap --variant=minbase --include="$include" trixie "$root" ${mirror:+"$mirror"}
guest_finish_root

cp "$(readlink -f "$root/vmlinuz")" "$work/vmlinuz"
cp "$(readlink -f "$root/initrd.img")" "$work/initrd.img"

echo "build-image: disk and OVA" >&2
guest_root_disk "$work/disk.raw"
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

guest_publish "$out" "$ova_name" SHA256SUMS vmlinuz initrd.img

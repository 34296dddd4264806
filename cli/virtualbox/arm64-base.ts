import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { inspectQcow2 } from '../image/qcow2-check';
import { vbox } from './commands';
import { labGroup, labVmsDir, vmFolder } from './lab-vm';
import { VBoxManage } from './vboxmanage';

/** The guest OS type minikube gives its arm64 VM (kubernetes/minikube PR #22861, virtualbox.go CreateVM). */
export const ARM64_OSTYPE = 'Linux_arm64';
/** The base VM's disk controller on arm64 (clones inherit it). */
export const ARM64_DISK_CONTROLLER = 'SATA';

/**
 * The arm64 base VM, built by kubelab around Ubuntu's qcow2 disk (Ubuntu publishes no arm64
 * OVA): an empty arm VM with the armv8virtual chipset, EFI and qemuramfb, and the image
 * turned into a VDI by VirtualBox itself (`clonemedium --format VDI`). VirtualBox's qcow2
 * reader handles the published layout (version 3, zlib-compressed clusters: see
 * cli/image/qcow2-check.ts); what it would refuse or misread is refused here first, before
 * any VM exists. The caller has made sure no VM of that name is registered.
 */
export async function createArm64BaseVm(vb: VBoxManage, name: string, image: string, paths: LabPaths, lab: string, afterCreate: () => Promise<void>): Promise<void> {
  const facts = await inspectQcow2(image);
  if (facts.problems.length > 0) {
    throw new KubelabError(
      `the image ${image} cannot be converted by VirtualBox's qcow2 reader (src/VBox/Storage/QCOW.cpp): ${facts.problems.join('; ')}. ` +
        'Delete the file and run the command again; if this repeats, Ubuntu changed how it publishes the arm64 image: please report it',
    );
  }
  await vb.run(vbox.createVm(name, 'arm', ARM64_OSTYPE, labVmsDir(paths), labGroup(lab)));
  await afterCreate();
  await vb.run(vbox.configureArm64Base(name));
  await vb.run(vbox.addDiskController(name, ARM64_DISK_CONTROLLER));
  const vdi = path.join(vmFolder(paths, lab, name), `${name}.vdi`);
  await vb.run(vbox.cloneDiskToVdi(image, vdi));
  // clonemedium registered the cached image as a medium (VBoxManageDisk.cpp handleCloneMedium,
  // openMedium): forget it again, keeping the file for the next lab.
  await vb.run(vbox.closeDisk(image, false));
  await vb.run(vbox.attachDisk(name, ARM64_DISK_CONTROLLER, 0, 0, vdi));
}

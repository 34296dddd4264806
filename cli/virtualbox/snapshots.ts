import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { vbox } from './commands';
import { powerOff } from './lab-vm';
import { existingNodeVm } from './node-vm';
import { parseMachineReadable, snapshotNames } from './parse';
import { startVm } from './start-vm';
import { VBoxManage } from './vboxmanage';

/** The snapshot `kubelab reset` returns every node to: taken once K3s is bootstrapped. */
export const BOOTSTRAPPED_SNAPSHOT = 'kubelab-bootstrapped';

/**
 * Every snapshot of the VM, nested ones too. Read from showvminfo, which lists none
 * when there are none; `snapshot list` instead fails with a translated sentence.
 */
async function listSnapshots(vb: VBoxManage, vm: string): Promise<string[]> {
  return snapshotNames(parseMachineReadable(await vb.run(vbox.showVmInfo(vm))));
}

/** Takes a snapshot of a node (running or not). An existing one of that name is kept unless replace is set. */
export async function takeSnapshot(
  vb: VBoxManage,
  lab: string,
  nodeName: string,
  snapshot: string,
  paths: LabPaths,
  out: (line: string) => void,
  replace = false,
): Promise<void> {
  const view = await existingNodeVm(vb, lab, nodeName, paths);
  if ((await listSnapshots(vb, view.name)).includes(snapshot)) {
    if (!replace) return out(`kubelab: VM ${view.name} already has snapshot ${snapshot}; nothing to do (--replace takes it again)`);
    await vb.run(vbox.deleteSnapshot(view.name, snapshot));
  }
  await vb.run(vbox.takeSnapshot(view.name, snapshot, `kubelab: taken by npx kubelab snapshot take ${nodeName} ${snapshot}`));
  out(`kubelab: took snapshot ${snapshot} of ${view.name}`);
}

/** Returns a node to a snapshot: power off, restore, start headless. */
export async function restoreSnapshot(vb: VBoxManage, lab: string, nodeName: string, snapshot: string, paths: LabPaths, out: (line: string) => void): Promise<void> {
  const view = await existingNodeVm(vb, lab, nodeName, paths);
  const names = await listSnapshots(vb, view.name);
  if (!names.includes(snapshot)) {
    throw new KubelabError(
      `VM ${view.name} has no snapshot '${snapshot}' (it has: ${names.join(', ') || 'none'}); take one with: npx kubelab snapshot take ${nodeName} ${snapshot}`,
    );
  }
  await powerOff(vb, view);
  await vb.run(vbox.restoreSnapshot(view.name, snapshot));
  await startVm(vb, view.name);
  out(`kubelab: restored ${view.name} to snapshot ${snapshot} and started it`);
}

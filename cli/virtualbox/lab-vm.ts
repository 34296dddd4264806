import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { vbox } from './commands';
import { parseExtraDataList, parseMachineReadable } from './parse';
import { VBoxManage, VBoxManageError, sleep } from './vboxmanage';

/** Extradata that marks a VM as made by a lab: kubelab touches no VM without it. */
export const LAB_MARKER_KEY = 'kubelab/lab';
/** Extradata set as the last step of a create; a VM without it is a create that did not finish. */
export const READY_KEY = 'kubelab/ready';

/** Folder of the lab's VM files (given to import/clonevm as --basefolder), so leftovers of a crash are known to be ours. */
export function labVmsDir(paths: LabPaths): string {
  return path.join(paths.stateDir, 'vms');
}

export interface VmView {
  readonly name: string;
  readonly registered: boolean;
  readonly info: Map<string, string>;
  readonly extraData: Map<string, string>;
  /** Marked as this lab's, or (crash right after clonevm/import) its files lie in the lab's VM folder. */
  readonly ours: boolean;
  readonly ready: boolean;
  /** VMState: poweroff, running, paused, saved, aborted, … ("absent" when not registered). */
  readonly state: string;
}

const ON_STATES = new Set(['running', 'paused', 'stuck', 'starting', 'restoring', 'saving']);

export function isOn(view: Pick<VmView, 'state'>): boolean {
  return ON_STATES.has(view.state);
}

const NOT_FOUND = /Could not find a registered machine|VBOX_E_OBJECT_NOT_FOUND/;

/** showvminfo of a VM, or undefined when no VM of that name is registered. */
export async function vmInfo(vb: VBoxManage, name: string): Promise<Map<string, string> | undefined> {
  try {
    return parseMachineReadable(await vb.run(vbox.showVmInfo(name)));
  } catch (err) {
    if (err instanceof VBoxManageError && NOT_FOUND.test(err.stderr)) return undefined;
    throw err;
  }
}

export async function inspectVm(vb: VBoxManage, name: string, lab: string, paths: LabPaths): Promise<VmView> {
  const info = await vmInfo(vb, name);
  if (!info) return { name, registered: false, info: new Map(), extraData: new Map(), ours: false, ready: false, state: 'absent' };
  const extraData = parseExtraDataList(await vb.run(vbox.enumerateExtraData(name)));
  const marker = extraData.get(LAB_MARKER_KEY);
  const inLabFolder = isInside(info.get('CfgFile') ?? '', labVmsDir(paths));
  return {
    name,
    registered: true,
    info,
    extraData,
    ours: marker === lab || (marker === undefined && inLabFolder),
    ready: extraData.get(READY_KEY) === 'yes',
    state: info.get('VMState') ?? 'unknown',
  };
}

/** Refuses to go on with a VM of that name that this lab did not make. */
export function assertOurs(view: VmView, lab: string): void {
  if (view.registered && !view.ours) {
    throw new KubelabError(
      `a VirtualBox VM named '${view.name}' exists but was not made by lab '${lab}' (no extradata ${LAB_MARKER_KEY}=${lab}); kubelab leaves it alone. Rename or remove it yourself, or give the lab another name.`,
    );
  }
}

/** Powers the VM off (hard) and waits until VirtualBox reports it off. */
export async function powerOff(vb: VBoxManage, view: VmView, pollMs = 500, tries = 60): Promise<void> {
  if (!isOn(view)) return;
  await vb.run(vbox.powerOff(view.name));
  for (let i = 0; i < tries; i++) {
    if (!isOn({ state: (await vmInfo(vb, view.name))?.get('VMState') ?? 'absent' })) return;
    await sleep(pollMs);
  }
  throw new KubelabError(`VM ${view.name} is still on after 'controlvm poweroff'; stop it in the VirtualBox window and retry`);
}

/** Removes a VM of the lab with its disks and folder; a VM folder left by a crash goes too. */
export async function deleteVm(vb: VBoxManage, view: VmView, paths: LabPaths, lab: string): Promise<void> {
  if (view.registered) {
    assertOurs(view, lab);
    await powerOff(vb, view);
    await vb.run(vbox.unregisterAndDelete(view.name));
  }
  fs.rmSync(path.join(labVmsDir(paths), view.name), { recursive: true, force: true });
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file || '/'));
  return file !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

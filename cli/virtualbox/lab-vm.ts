import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { vbox } from './commands';
import { mediaInside, parseExtraDataList, parseMachineReadable } from './parse';
import { VBoxManage, VBoxManageError, sleep } from './vboxmanage';
import { OFF_STATES } from './vm-states';

/** Extradata that marks a VM as made by a lab: kubelab touches no VM without it. */
export const LAB_MARKER_KEY = 'kubelab/lab';
/** Extradata naming the project folder that made the VM: two clones of the project with the same lab name must not share VMs. */
export const PROJECT_KEY = 'kubelab/project';
/** Extradata set as the last step of a create; a VM without it is a create that did not finish. */
export const READY_KEY = 'kubelab/ready';

/** Folder of the lab's VM files (given to import/clonevm as --basefolder), so leftovers of a crash are known to be ours. */
export function labVmsDir(paths: LabPaths): string {
  return path.join(paths.stateDir, 'vms');
}

/** The VirtualBox group of a lab's VMs. */
export function labGroup(lab: string): string {
  return `/${lab}`;
}

/**
 * Where VirtualBox keeps a lab VM's files: `<basefolder><group>/<name>`
 * (VirtualBoxImpl.cpp VirtualBox::composeMachineFilename, used by clonevm and import
 * with the primary group; MachineImpl.cpp i_prepareSaveSettings moves the folder
 * there when the group changes later). Read at VirtualBox/virtualbox commit 4908d8d1.
 */
export function vmFolder(paths: LabPaths, lab: string, vm: string): string {
  return path.join(labVmsDir(paths), ...labGroup(lab).split('/').filter(Boolean), vm);
}

/** This project's identity, as stored in PROJECT_KEY. */
export function projectIdentity(paths: LabPaths): string {
  return path.resolve(paths.projectDir);
}

export interface VmView {
  readonly name: string;
  readonly registered: boolean;
  readonly info: Map<string, string>;
  readonly extraData: Map<string, string>;
  /** Marked as this lab's and this project's, or (crash right after clonevm/import) its files lie in this project's VM folder. */
  readonly ours: boolean;
  /** The project folder of another clone of the project that made this VM under the same lab name. */
  readonly otherProject?: string;
  readonly ready: boolean;
  /** VMState: poweroff, running, paused, saved, aborted, … ("absent" when not registered). */
  readonly state: string;
}

export function isOn(view: Pick<VmView, 'state'>): boolean {
  return view.state !== 'absent' && !OFF_STATES.has(view.state);
}

/** The COM error code VBoxManage prints (untranslated) for an unknown VM. */
const NOT_FOUND = /VBOX_E_OBJECT_NOT_FOUND/;

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
  const project = extraData.get(PROJECT_KEY);
  const mine = projectIdentity(paths);
  const inLabFolder = isInside(info.get('CfgFile') ?? '', labVmsDir(paths));
  return {
    name,
    registered: true,
    info,
    extraData,
    // Marked as this lab's and this project's. A create that crashed before both marks were
    // set left a VM with at most one of them: ours when the other does not contradict it.
    ours: (marker === undefined || marker === lab) && (project === undefined ? inLabFolder : project === mine),
    otherProject: marker === lab && project !== undefined && project !== mine ? project : undefined,
    ready: extraData.get(READY_KEY) === 'yes',
    state: info.get('VMState') ?? 'unknown',
  };
}

/** Refuses to go on with a VM of that name that this lab did not make. */
export function assertOurs(view: VmView, lab: string): void {
  if (view.registered && view.otherProject) {
    throw new KubelabError(
      `the VirtualBox VM '${view.name}' belongs to lab '${lab}' of another kubelab project (${view.otherProject}); kubelab leaves it alone. Give this project another lab name: set name: in its kubelab.config.yaml (for example name: ${lab}2).`,
    );
  }
  if (view.registered && !view.ours) {
    throw new KubelabError(
      `a VirtualBox VM named '${view.name}' exists but was not made by lab '${lab}' (no extradata ${LAB_MARKER_KEY}=${lab}); kubelab leaves it alone. Rename or remove it yourself, or give the lab another name.`,
    );
  }
}

/** The VM's state now ("absent" when it is no longer registered). */
export async function vmState(vb: VBoxManage, name: string): Promise<string> {
  return (await vmInfo(vb, name))?.get('VMState') ?? 'absent';
}

/**
 * `controlvm poweroff`. A VM that finished shutting down between our look and the call
 * makes VBoxManage fail ("not currently running", translated, no error code): when the
 * VM is off afterwards, that is what was wanted.
 */
export async function hardPowerOff(vb: VBoxManage, name: string): Promise<void> {
  try {
    await vb.run(vbox.powerOff(name));
  } catch (err) {
    if (err instanceof VBoxManageError && !isOn({ state: await vmState(vb, name) })) return;
    throw err;
  }
}

/** Powers the VM off (hard) and waits until VirtualBox reports it off. */
export async function powerOff(vb: VBoxManage, view: VmView, pollMs = 500, tries = 60): Promise<void> {
  if (!isOn(view)) return;
  await hardPowerOff(vb, view.name);
  for (let i = 0; i < tries; i++) {
    if (!isOn({ state: await vmState(vb, view.name) })) return;
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
  const folder = vmFolder(paths, lab, view.name);
  if (view.registered || fs.existsSync(folder)) await closeDisksLeftIn(vb, folder);
  fs.rmSync(folder, { recursive: true, force: true });
  // The group folder goes with the lab's last VM.
  if (fs.existsSync(path.dirname(folder)) && fs.readdirSync(path.dirname(folder)).length === 0) fs.rmdirSync(path.dirname(folder));
}

/**
 * Closes the disks still registered inside a deleted VM's folder. `unregistervm --delete`
 * deletes only the disks attached to the VM (VBoxManageMisc.cpp handleUnregisterVM:
 * Unregister(CleanupMode_DetachAllReturnHardDisksOnly) returns them to DeleteConfig). A disk
 * `clonemedium` made and nothing attached yet — an import stopped between clonemedium and
 * storageattach — stays in VirtualBox's global media registry (VirtualBoxImpl.cpp
 * i_registerMedium: a medium in no machine's registry goes there), and the next clonemedium
 * to that path fails (i_checkMediaForConflicts). Every disk kubelab makes for a VM lies in
 * that VM's folder, chosen before the call that makes it: so the folder is what finds them.
 * Read at VirtualBox/virtualbox commit 4908d8d1.
 */
async function closeDisksLeftIn(vb: VBoxManage, folder: string): Promise<void> {
  for (const disk of mediaInside(await vb.run(vbox.listHdds()), folder, isInside)) await vb.run(vbox.closeDisk(disk, false));
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file || '/'));
  return file !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

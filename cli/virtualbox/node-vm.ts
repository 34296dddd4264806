import * as fs from 'fs';
import * as path from 'path';
import { LabConfig, LabNode, vmName } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { seedIsoPath, writeNodeSeedIso } from '../seed/seed-iso';
import { forgetNodeHostKey } from '../ssh/host-keys';
import { BASE_SNAPSHOT, BaseImageDeps, baseVmName, ensureBaseImage } from './base-image';
import { SEED_CONTROLLER, vbox } from './commands';
import { LAB_MARKER_KEY, PROJECT_KEY, READY_KEY, VmView, assertOurs, deleteVm, hardPowerOff, inspectVm, isOn, labGroup, labVmsDir, projectIdentity, vmInfo, vmState } from './lab-vm';
import { networkUp } from './network';
import { startVm } from './start-vm';
import { attachedDisks, listsMediumAt, parseCapacityMb, parseMachineReadable } from './parse';
import { VBoxManage } from './vboxmanage';
import { ensurePrivateDir } from '../state-dir';
import { withWait } from '../wait-progress';

/** Extradata holding the node's host-only address and disk size, to tell whether an existing VM matches the config. */
export const IP_KEY = 'kubelab/ip';
const DISK_KEY = 'kubelab/disk-gb';

/** Waits until the freshly started node is usable (SSH up, cloud-init done). */
export type GuestWait = (vm: { readonly name: string; readonly uuid: string; readonly node: LabNode }) => Promise<void>;

/** What creating a node needs: what the base image needs, with the whole config instead of the lab name. */
export interface NodeVmDeps extends Omit<BaseImageDeps, 'lab'> {
  readonly cfg: LabConfig;
  readonly waitForGuest: GuestWait;
  readonly platform?: NodeJS.Platform;
}

export function serialLogPath(paths: LabPaths, nodeName: string): string {
  return path.join(paths.logsDir, `${nodeName}-serial.log`);
}

/**
 * Creates and boots a node: a linked clone of the base snapshot with the node's
 * hardware, both NICs, a serial log and its cloud-init seed; then waits for it.
 * An existing, finished VM that matches the config is left alone; one left by a
 * crashed create is rebuilt.
 */
export async function createNodeVm(d: NodeVmDeps, node: LabNode): Promise<void> {
  const { vb, cfg, paths, out } = d;
  const name = vmName(cfg, node);
  const network = await networkUp(vb, cfg, paths, out, d.platform);
  await ensureBaseImage({ ...d, lab: cfg.name });

  const view = await inspectVm(vb, name, cfg.name, paths);
  assertOurs(view, cfg.name);
  if (view.registered && view.ready) {
    const mismatch = differences(view, node);
    if (mismatch.length > 0) {
      throw new KubelabError(
        `VM ${name} exists with other settings than the config (${mismatch.join('; ')}); recreate it: npx kubelab vm destroy ${node.name} --lab ${cfg.name}, then npx kubelab vm create ${node.name}`,
      );
    }
    if (isOn(view)) {
      out(`kubelab: VM ${name} already exists and is ${view.state}; nothing to do`);
      return;
    }
    out(`kubelab: VM ${name} already exists but is ${view.state}; starting it`);
    await startVm(vb, name);
    await waitForNode(d, view.info.get('UUID') ?? '', name, node);
    return;
  }
  if (view.registered) out(`kubelab: VM ${name} is left from a create that did not finish; rebuilding it`);
  await destroyNodeVm(vb, cfg.name, node.name, paths, () => undefined, view);

  out(`kubelab: creating VM ${name} as a linked clone of ${baseVmName(cfg.name)}`);
  await vb.run(vbox.linkedClone(baseVmName(cfg.name), BASE_SNAPSHOT, name, labVmsDir(paths), labGroup(cfg.name)));
  await vb.run(vbox.setExtraData(name, PROJECT_KEY, projectIdentity(paths)));
  await vb.run(vbox.setExtraData(name, LAB_MARKER_KEY, cfg.name));
  await vb.run(vbox.setExtraData(name, IP_KEY, node.ip));
  await vb.run(vbox.setExtraData(name, DISK_KEY, String(node.diskGb)));
  ensurePrivateDir(paths.logsDir);
  await vb.run(
    vbox.configureNode(name, {
      cpus: node.cpus,
      memoryMb: node.memoryMb,
      hostOnly: { kind: network.kind, name: network.name },
      serialLog: serialLogPath(paths, node.name),
    }),
  );

  const info = parseMachineReadable(await vb.run(vbox.showVmInfo(name)));
  const macs = { nat: info.get('macaddress1'), hostOnly: info.get('macaddress2') };
  if (!macs.nat || !macs.hostOnly) throw new KubelabError(`VirtualBox reports no MAC address for NIC${macs.nat ? 2 : 1} of ${name}; recreate it: npx kubelab vm destroy ${node.name} --lab ${cfg.name}, then npx kubelab vm create ${node.name}`);
  const disk = attachedDisks(info).find((x) => x.controller !== SEED_CONTROLLER);
  if (!disk) throw new KubelabError(`the clone ${name} has no hard disk; remove the base VM (npx kubelab image remove --lab ${cfg.name}) and run again`);
  const capacity = parseCapacityMb(await vb.run(vbox.showDiskInfo(disk.uuid))) ?? 0;
  // Only grows: cloud-init's growpart then extends the root partition on first boot.
  if (capacity < node.diskGb * 1024) await vb.run(vbox.resizeDisk(disk.uuid, node.diskGb * 1024));

  const iso = writeNodeSeedIso(cfg, node, paths, undefined, { nat: macs.nat, hostOnly: macs.hostOnly });
  await vb.run(vbox.attachSeed(name, iso));
  await startVm(vb, name);
  out(`kubelab: started ${name} (${node.cpus} CPUs, ${node.memoryMb} MB, ${node.diskGb} GB, ${node.ip}); waiting for SSH and cloud-init`);
  await waitForNode(d, info.get('UUID') ?? '', name, node);
  await vb.run(vbox.setExtraData(name, READY_KEY, 'yes'));
  out(`kubelab: VM ${name} is ready at ${node.ip}`);
}

async function waitForNode(d: NodeVmDeps, uuid: string, name: string, node: LabNode): Promise<void> {
  try {
    await d.waitForGuest({ name, uuid, node });
  } catch (err) {
    const state = (await vmInfo(d.vb, name))?.get('VMState') ?? 'not registered';
    const log = serialLogPath(d.paths, node.name);
    const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trimEnd().split(/\r?\n/).slice(-20).join('\n') : '(no serial log was written)';
    throw new KubelabError(`${(err as Error).message}\nVM ${name} is ${state}. Last lines of its serial console (${log}):\n${tail}`);
  }
}

function differences(view: VmView, node: LabNode): string[] {
  const found: string[] = [];
  const cpus = Number(view.info.get('cpus'));
  const memory = Number(view.info.get('memory'));
  if (cpus !== node.cpus) found.push(`cpus ${cpus}, config ${node.cpus}`);
  if (memory !== node.memoryMb) found.push(`memory ${memory} MB, config ${node.memoryMb}`);
  const ip = view.extraData.get(IP_KEY);
  if (ip !== node.ip) found.push(`ip ${ip ?? 'unknown'}, config ${node.ip}`);
  const disk = view.extraData.get(DISK_KEY);
  if (disk !== String(node.diskGb)) found.push(`disk ${disk ?? 'unknown'} GB, config ${node.diskGb} GB`);
  return found;
}

/**
 * Removes a node's VM (powered off, unregistered with its disks), its seed medium and
 * file and its serial log. Needs only the lab and node names, not the config: the
 * node may already be gone from it. A missing VM is fine.
 */
export async function destroyNodeVm(
  vb: VBoxManage,
  lab: string,
  nodeName: string,
  paths: LabPaths,
  out: (line: string) => void,
  known?: VmView,
): Promise<void> {
  const name = vmName({ name: lab }, { name: nodeName });
  const view = known ?? (await inspectVm(vb, name, lab, paths));
  assertOurs(view, lab);
  await deleteVm(vb, view, paths, lab);
  const iso = seedIsoPath(paths, nodeName);
  const hadSeed = fs.existsSync(iso);
  const seedRegistered =
    (view.registered || hadSeed) && listsMediumAt(await vb.run(vbox.listDvds()), iso, (a, b) => path.resolve(a) === path.resolve(b));
  if (seedRegistered) await vb.run(vbox.closeDvd(iso));
  fs.rmSync(iso, { force: true });
  fs.rmSync(serialLogPath(paths, nodeName), { force: true });
  // The next VM at this address is a new machine with a new host key.
  if (forgetNodeHostKey(paths, nodeName)) out(`kubelab: forgot the pinned SSH host key of ${nodeName}`);
  if (view.registered) out(`kubelab: destroyed VM ${name} and its seed`);
  else out(`kubelab: no VM ${name}${hadSeed || seedRegistered ? ' (removed its leftover seed)' : ''}; nothing to do`);
}

/** Starts a node's VM headless (no-op when it runs). */
export async function startNodeVm(vb: VBoxManage, lab: string, nodeName: string, paths: LabPaths, out: (line: string) => void): Promise<void> {
  const view = await existingNodeVm(vb, lab, nodeName, paths);
  if (isOn(view)) return out(`kubelab: VM ${view.name} is already ${view.state}; nothing to do`);
  await startVm(vb, view.name);
  out(`kubelab: started VM ${view.name}`);
}

/** Shuts a node down: ACPI power button first (a clean shutdown), hard power-off after graceMs or with force. */
export async function stopNodeVm(
  vb: VBoxManage,
  lab: string,
  nodeName: string,
  paths: LabPaths,
  out: (line: string) => void,
  opts: { force?: boolean; graceMs?: number; pollMs?: number; progressEveryMs?: number } = {},
): Promise<void> {
  const view = await existingNodeVm(vb, lab, nodeName, paths);
  if (!isOn(view)) return out(`kubelab: VM ${view.name} is already ${view.state}; nothing to do`);
  if (!opts.force && view.state === 'running') {
    await vb.run(vbox.acpiPowerButton(view.name));
    const graceMs = opts.graceMs ?? 90000;
    const shutDown = await withWait(`VM ${view.name} to shut down (ACPI power button)`, { timeoutMs: graceMs, out, everyMs: opts.progressEveryMs }, async (wait) => {
      for (;;) {
        if (wait.expired()) return false;
        const state = await vmState(vb, view.name);
        if (!isOn({ state })) return true;
        wait.seen = state;
        await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 1000, wait.remainingMs())));
      }
    });
    if (shutDown) return out(`kubelab: VM ${view.name} shut down`);
    out(`kubelab: VM ${view.name} did not shut down within ${Math.round(graceMs / 1000)} s; powering it off`);
  }
  await hardPowerOff(vb, view.name);
  out(`kubelab: VM ${view.name} powered off`);
}

/** One line about a node's VM. */
export async function nodeVmStatus(vb: VBoxManage, lab: string, nodeName: string, paths: LabPaths): Promise<string> {
  const name = vmName({ name: lab }, { name: nodeName });
  const view = await inspectVm(vb, name, lab, paths);
  if (!view.registered) return `${name}: not created`;
  if (!view.ours) return `${name}: exists but is not a VM of lab ${lab}`;
  const ip = view.extraData.get(IP_KEY) ?? 'unknown';
  return `${name}: ${view.state}, ip ${ip}, ${view.ready ? 'created' : 'create did not finish (run npx kubelab vm create again)'}`;
}

/** The node's VM, which must exist and be the lab's. */
export async function existingNodeVm(vb: VBoxManage, lab: string, nodeName: string, paths: LabPaths): Promise<VmView> {
  const view = await inspectVm(vb, vmName({ name: lab }, { name: nodeName }), lab, paths);
  if (!view.registered) throw new KubelabError(`VM ${view.name} does not exist; create it with: npx kubelab vm create ${nodeName}`);
  assertOurs(view, lab);
  return view;
}

import * as fs from 'fs';
import * as path from 'path';
import { LabNode } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { writeFileAtomic } from '../state-dir';
import { ExistingLogin } from './uninstall';

/**
 * kubelab's record of an existing machine it put K3s on: how to log in there and the role K3s
 * has. A VM that leaves the config is still found in VirtualBox; an existing machine is found
 * only through this record, so `kubelab prune` can drain it and uninstall K3s there after the
 * node is gone from the config (Terraform runs no destroy step for a removed resource).
 * One file per node (.kubelab/machines/<node>.json), written whole: steps on different
 * nodes run at the same time and never write the same file.
 */
export interface MachineRecord {
  readonly node: string;
  readonly role: 'server' | 'agent';
  readonly address: string;
  readonly login: ExistingLogin;
}

function recordFile(paths: LabPaths, node: string): string {
  return path.join(paths.machinesDir, `${node}.json`);
}

/** Records the machine before K3s goes there, so even a half-done install is found again. */
export function recordMachine(paths: LabPaths, node: LabNode): void {
  const host = node.host;
  if (!host) return;
  const record: MachineRecord = { node: node.name, role: node.role, address: host.address, login: { user: host.user, port: host.port, keyFile: host.keyFile } };
  const file = recordFile(paths, node.name);
  const text = `${JSON.stringify(record, null, 2)}\n`;
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  writeFileAtomic(file, text, 0o600);
}

/** Forgets the machine once K3s is gone from it. */
export function forgetMachine(paths: LabPaths, node: string): void {
  fs.rmSync(recordFile(paths, node), { force: true });
}

/** Every recorded machine, by node name. */
export function recordedMachines(paths: LabPaths): MachineRecord[] {
  if (!fs.existsSync(paths.machinesDir)) return [];
  const files = fs.readdirSync(paths.machinesDir).filter((f) => f.endsWith('.json'));
  // Stryker disable next-line MethodExpression: equivalent where the tests run: Node lists a dir sorted already (libuv src/unix/fs.c sorts scandir's names with strcmp); the sort is for other platforms' file systems
  return files.sort().map((f) => JSON.parse(fs.readFileSync(path.join(paths.machinesDir, f), 'utf8')) as MachineRecord);
}

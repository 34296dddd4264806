import { LabNode } from '../config/lab-config';

/** The machine a node's K3s runs on: a VM of the vms stack (LabVm) or an existing machine. */
export interface NodeMachine {
  readonly labNode: LabNode;
  /** Trigger values that identify the machine; steps on it carry them, so a new machine re-runs them. */
  readonly identity: Readonly<Record<string, string>>;
  /** The VirtualBox VM name; undefined for an existing machine. */
  readonly vmName?: string;
}

/**
 * How kubelab logs in to an existing machine, as one shell-neutral word for a destroy
 * command, which may read only its own triggers: `<user>:<port>:<keyFile in .kubelab/>`.
 */
export function sshWord(host: NonNullable<LabNode['host']>): string {
  return `${host.user}:${host.port}:${host.keyFile}`;
}

/** An existing machine (host: in the config) as a node's machine: nothing creates it, its login identifies it. */
export function existingMachine(node: LabNode): NodeMachine {
  if (!node.host) throw new Error(`node ${node.name} is a VM, not an existing machine`);
  return { labNode: node, identity: { ip: node.host.address, ssh: sshWord(node.host) } };
}

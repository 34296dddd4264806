import { LabConfig, LabConfigInput, LabNode } from './lab-config';
import { ConfigError } from './load';

/**
 * A step's spec: the part of the lab config one Terraform step needs, as config input
 * (laid over the built-in default and validated like kubelab.config.yaml). It travels in
 * the step's triggers and on its command line as one base64url word, which reads the same
 * in cmd, PowerShell and sh, so the command Terraform runs does what the plan showed,
 * whatever kubelab.config.yaml says by then.
 */
export type StepSpec = Partial<LabConfigInput>;

/** The spec as one shell-neutral word (base64url of its JSON; keys in a fixed order, so re-synth changes nothing). */
export function encodeStepSpec(spec: StepSpec): string {
  return Buffer.from(JSON.stringify(spec)).toString('base64url');
}

/** The spec back from its word; the caller validates it (resolveLabConfig). */
export function decodeStepSpec(word: string): unknown {
  const refused = () => new ConfigError('--spec', [`${JSON.stringify(word.slice(0, 40))} is not a step spec: it must be the one base64url word of JSON the deploy wrote into the step's triggers`]);
  if (!/^[A-Za-z0-9_-]+$/.test(word)) throw refused();
  try {
    return JSON.parse(Buffer.from(word, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
}

/** A node as config input, with every size written out. */
export function nodeInput(node: LabNode): NonNullable<StepSpec['nodes']>[number] {
  return { name: node.name, role: node.role, ip: node.ip, cpus: node.cpus, memoryMb: node.memoryMb, diskGb: node.diskGb };
}

/**
 * The nodes a step on `node` needs: the node itself in full, and the server (which every
 * lab must have) by name, role and address only, so that the server's size does not
 * enter the step's spec.
 */
export function nodesFor(cfg: LabConfig, node: LabNode): NonNullable<StepSpec['nodes']> {
  const server = cfg.nodes.find((n) => n.role === 'server')!;
  return node.role === 'server' ? [nodeInput(node)] : [{ name: server.name, role: 'server', ip: server.ip }, nodeInput(node)];
}

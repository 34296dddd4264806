import { LabConfig, LabConfigInput, LabNode, serverNode, serverNodes, vmNodes } from './lab-config';
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

/**
 * The lab's `proxy:` as spec input (none when the lab has no proxy): every step whose verb
 * makes a node reach the internet (its seed: apt and logins; its K3s install) carries it.
 */
export function proxyInput(cfg: LabConfig): Pick<StepSpec, 'proxy'> {
  if (!cfg.proxy) return {};
  // A step's spec holds only the nodes it needs, but NO_PROXY must name every existing machine
  // (vmProxyEnvironment): they travel in noProxy, after the user's entries, as vmProxyEnvironment orders them.
  const machines = cfg.nodes.filter((n) => n.host).map((n) => n.host!.address);
  const noProxy = [...(cfg.proxy.noProxy ?? []), ...machines];
  return { proxy: { ...cfg.proxy, ...(noProxy.length > 0 ? { noProxy } : {}) } };
}

/**
 * The lab's `network:` as spec input: only a lab with VMs has one (the config refuses it in a
 * lab of existing machines only, whose steps then read the same default network).
 */
export function networkInput(cfg: LabConfig): Pick<StepSpec, 'network'> {
  return vmNodes(cfg).length > 0 ? { network: cfg.network } : {};
}

/** A node as config input, with every size written out; an existing machine as its host: (it has no VM sizes). */
export function nodeInput(node: LabNode): NonNullable<StepSpec['nodes']>[number] {
  if (node.host) return { name: node.name, role: node.role, host: { ...node.host } };
  return { name: node.name, role: node.role, ip: node.ip, cpus: node.cpus, memoryMb: node.memoryMb, diskGb: node.diskGb };
}

/**
 * The nodes a node's VM step needs: the node itself in full, and for an agent the first server
 * too (a lab without a server is no valid spec). Never the other servers: adding or removing a
 * server must not change, and so re-create, the VMs that stay (the first server's is the cluster).
 */
export function vmNodesFor(cfg: LabConfig, node: LabNode): NonNullable<StepSpec['nodes']> {
  return node.role === 'server' ? [nodeInput(node)] : nodesFor(cfg, node);
}

/** A node by name, role and where it is reached only (its size stays out of other steps' specs). */
function nodeBrief(node: LabNode): NonNullable<StepSpec['nodes']>[number] {
  return node.host ? { name: node.name, role: node.role, host: { ...node.host } } : { name: node.name, role: node.role, ip: node.ip };
}

/**
 * The nodes a step on `node` needs, the node itself in full and others by name, role and
 * address only (so their size does not enter this step's spec): a server needs every
 * server in config order (whether it starts the cluster or joins the first one depends on
 * them); an agent needs the first server, which it registers through.
 */
export function nodesFor(cfg: LabConfig, node: LabNode): NonNullable<StepSpec['nodes']> {
  if (node.role === 'server') return serverNodes(cfg).map((s) => (s.name === node.name ? nodeInput(s) : nodeBrief(s)));
  return [nodeBrief(serverNode(cfg)), nodeInput(node)];
}

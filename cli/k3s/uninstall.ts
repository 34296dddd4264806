import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { NodeSession, connectToNode } from '../ssh/client';
import { describeTarget, nodeSshTarget } from '../ssh/target';
import { answers } from './ssh-port';
import { UNCHANGED_MARK } from './node-script';
import { SUDO, kubectlCommand, onNode } from './remote';

export interface UninstallRequest {
  nodeName: string;
  ip: string;
  role: 'server' | 'agent';
  lab: string;
  /**
   * The server an agent is drained through: its node name, IP and VM (Terraform passes them
   * from the step's triggers; by hand, the lab config's server). Without it the agent is not drained.
   */
  server?: DrainingServer;
}

/** The server that drains an agent, as its VM: the node name, address, and VirtualBox id when the VM exists. */
export interface DrainingServer {
  readonly name: string;
  readonly ip: string;
  readonly vmId?: string;
}

export interface UninstallTiming {
  /** How long a node's SSH port may stay silent before the VM counts as gone. */
  probeMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_UNINSTALL_TIMING: UninstallTiming = { probeMs: 10_000, connectTimeoutMs: 30_000 };

/** The uninstall script the K3s installer leaves on a node of that role. */
export function uninstallScriptFor(role: 'server' | 'agent'): string {
  return role === 'server' ? '/usr/local/bin/k3s-uninstall.sh' : '/usr/local/bin/k3s-agent-uninstall.sh';
}

/** The bash kubelab runs (with sudo) to remove K3s from a node; safe when K3s is not there. */
export function renderUninstallScript(req: Pick<UninstallRequest, 'nodeName' | 'role'>): string {
  return [
    `set -euo pipefail`,
    `uninstall=${onNode(uninstallScriptFor(req.role))}`,
    `if [ -x "$uninstall" ]; then`,
    `  "$uninstall" </dev/null`,
    `  echo "kubelab: removed K3s (${req.role}) from ${req.nodeName}"`,
    `else`,
    `  echo "${UNCHANGED_MARK} K3s (${req.role}) is not installed on ${req.nodeName}; nothing to uninstall"`,
    `fi`,
    `rm -f ${onNode(`/var/lib/kubelab/k3s-${req.role}.applied`)} ${onNode('/etc/rancher/k3s/kubelab-token')}`,
    ``,
  ].join('\n');
}

/**
 * `kubelab k3s uninstall <node> --ip --role --lab`: runs at `cdktf destroy` and works
 * without the lab config (the node may be gone from it). An agent is first drained and its
 * node object deleted while the server answers (even when the agent's VM is off); then
 * K3s's own uninstall script runs on the node. A VM that is already gone (SSH port silent)
 * ends that part at once with a message.
 */
export async function runK3sUninstall(ctx: CliContext, req: UninstallRequest, timing: UninstallTiming = DEFAULT_UNINSTALL_TIMING): Promise<void> {
  if (req.role === 'agent') await removeFromCluster(ctx, req, timing);
  const target = nodeSshTarget(req.nodeName, req.ip);
  if (!(await answers(target, timing.probeMs))) {
    ctx.out(`kubelab: ${describeTarget(target)} does not answer on SSH port ${target.port} within ${Math.round(timing.probeMs / 1000)} s: the VM is gone or stopped; nothing to uninstall`);
    return;
  }

  const session = await connectToNode({ paths: ctx.paths, target, timeoutMs: timing.connectTimeoutMs, onProgress: ctx.out });
  try {
    const r = await session.run(`${SUDO} bash -s`, { stdin: renderUninstallScript(req), label: `K3s ${req.role} uninstall` });
    ctx.out(r.stdout.trim().split('\n').slice(-1)[0]);
  } finally {
    session.close();
  }
}

/**
 * Drains the agent and deletes its node object through the server; skipped when the server
 * is gone. The server is logged in to as the VM it is (node name and VirtualBox id), so its
 * host key is checked against, and pinned under, that node's own pin.
 */
async function removeFromCluster(ctx: CliContext, req: UninstallRequest, timing: UninstallTiming): Promise<void> {
  const known = req.server;
  if (!known) {
    ctx.out(`kubelab: the server is not known (no --server, and no lab config to read it from), so ${req.nodeName} is not drained`);
    return;
  }
  const server = nodeSshTarget(known.name, known.ip);
  if (!(await answers(server, timing.probeMs))) {
    ctx.out(`kubelab: the server ${describeTarget(server)} does not answer: the cluster is gone, nothing to drain`);
    return;
  }
  let session: NodeSession;
  try {
    session = await connectToNode({ paths: ctx.paths, target: server, vmId: known.vmId, timeoutMs: timing.connectTimeoutMs, onProgress: ctx.out });
  } catch (err) {
    if (!(err instanceof KubelabError)) throw err;
    ctx.out(`kubelab: cannot log in to the server (${err.message}); ${req.nodeName} is not drained`);
    return;
  }
  try {
    const exists = await session.exec(kubectlCommand(`get node ${req.nodeName} -o name`));
    if (exists.code !== 0) {
      ctx.out(`kubelab: node ${req.nodeName} is not in the cluster; nothing to drain`);
      return;
    }
    ctx.out(`kubelab: draining ${req.nodeName}`);
    await session.run(kubectlCommand(`drain ${req.nodeName} --ignore-daemonsets --delete-emptydir-data --force --timeout=120s`), { label: `kubectl drain ${req.nodeName}` });
    await session.run(kubectlCommand(`delete node ${req.nodeName} --ignore-not-found`), { label: `kubectl delete node ${req.nodeName}` });
    ctx.out(`kubelab: drained and deleted node ${req.nodeName}`);
  } finally {
    session.close();
  }
}

import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { CommandOptions, NodeSession, connectToNode } from '../ssh/client';
import { SshTarget, describeTarget, existingHostSshTarget, nodeSshTarget } from '../ssh/target';
import { removeEtcdMember } from './etcd-member';
import { answers } from './ssh-port';
import { UNCHANGED_MARK, appliedMarker } from './node-script';
import { SUDO, kubectlCommand, onNode } from './remote';
import { forgetMachine } from './machine-records';

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
  /** How to log in when the node is an existing machine (host: in the config). @default the lab's VM login */
  ssh?: ExistingLogin;
}

/** An existing machine's login: user, port and key file inside .kubelab/. */
export interface ExistingLogin {
  readonly user: string;
  readonly port: number;
  readonly keyFile: string;
}

/** `<user>:<port>:<keyFile>`, the word the K3s steps' triggers carry (constructs/node-machine.ts). */
export function parseSshWord(word: string): ExistingLogin {
  const m = /^([a-z_][a-z0-9_.-]{0,31}):(\d{1,5}):([A-Za-z0-9._/+=-]+)$/.exec(word);
  if (!m) throw new KubelabError(`--ssh ${JSON.stringify(word)} must be <user>:<port>:<key file in .kubelab/>, like ubuntu:22:ssh/id_ed25519`);
  return { user: m[1], port: Number(m[2]), keyFile: m[3] };
}

/** The login of a node: its VM, or the existing machine at that address. */
function targetOf(nodeName: string, ip: string, ssh?: ExistingLogin): SshTarget {
  return ssh ? existingHostSshTarget(nodeName, { address: ip, ...ssh }) : nodeSshTarget(nodeName, ip);
}

/** The server that drains an agent, as its VM: the node name, address, and VirtualBox id when the VM exists. */
export interface DrainingServer {
  readonly name: string;
  readonly ip: string;
  readonly vmId?: string;
  /** Set when the server is an existing machine. */
  readonly ssh?: ExistingLogin;
}

export interface UninstallTiming {
  /** How long a node's SSH port may stay silent before the VM counts as gone. */
  probeMs: number;
  connectTimeoutMs: number;
  /** How long K3s may take to confirm a server's etcd member removal. @default 120 s */
  etcdRemovalTimeoutMs?: number;
  /**
   * The deadline of each remote command (kubectl on the server, K3s's uninstall script on the node).
   * K3s's uninstall script stops K3s, kills its pods' processes and unmounts their volumes: seconds
   * normally, but a stuck mount would hold it forever. @default 300 s
   */
  commandTimeoutMs?: number;
}

export const DEFAULT_UNINSTALL_TIMING: UninstallTiming = { probeMs: 10_000, connectTimeoutMs: 30_000 };

/** A remote command of the uninstall, with its deadline and progress lines. */
function bounded(ctx: CliContext, timing: UninstallTiming, label: string): CommandOptions {
  return { label, timeoutMs: timing.commandTimeoutMs ?? 300_000, onProgress: ctx.out };
}

/** The uninstall script the K3s installer leaves on a node of that role. */
export function uninstallScriptFor(role: 'server' | 'agent'): string {
  return role === 'server' ? '/usr/local/bin/k3s-uninstall.sh' : '/usr/local/bin/k3s-agent-uninstall.sh';
}

/** The bash kubelab runs (with sudo) to remove K3s from a node; safe when K3s is not there. */
export function renderUninstallScript(req: Pick<UninstallRequest, 'nodeName' | 'role'>): string {
  const other = req.role === 'server' ? 'agent' : 'server';
  return [
    `set -euo pipefail`,
    `uninstall=${onNode(uninstallScriptFor(req.role))}`,
    // A node removed from the config may be named with the wrong role (prune cannot ask the config): use the script that is there.
    `[ -x "$uninstall" ] || uninstall=${onNode(uninstallScriptFor(other))}`,
    `if [ -x "$uninstall" ]; then`,
    `  "$uninstall" </dev/null`,
    // K3s's uninstall script removes /etc/rancher/k3s and /var/lib/rancher/k3s but not the node password K3s keeps in
    // /etc/rancher/node (k3s-io/k3s install.sh create_uninstall; the agent config writes <root>/etc/rancher/node/password),
    // nor the parents: gone too, when nothing else is in them.
    `  rm -rf ${onNode('/etc/rancher/node')}`,
    `  rmdir ${onNode('/etc/rancher')} ${onNode('/var/lib/rancher')} 2>/dev/null || true`,
    `  echo "kubelab: removed K3s (${req.role}) from ${req.nodeName}"`,
    `else`,
    `  echo "${UNCHANGED_MARK} K3s (${req.role}) is not installed on ${req.nodeName}; nothing to uninstall"`,
    `fi`,
    // kubelab's own files: its record of what it installed and started, and the token; then its dir when nothing else is in it.
    `rm -f ${onNode(appliedMarker(req.role))} ${onNode(`/var/lib/kubelab/k3s-${req.role}.started`)} ${onNode('/etc/rancher/k3s/kubelab-token')}`,
    `rmdir ${onNode('/var/lib/kubelab')} 2>/dev/null || true`,
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
  // A node leaves through another server; the server the others go through (the first) goes last, with the cluster.
  if (req.server && req.server.name !== req.nodeName) await removeFromCluster(ctx, req, timing);
  else if (req.role === 'agent') await removeFromCluster(ctx, req, timing);
  const target = targetOf(req.nodeName, req.ip, req.ssh);
  if (!(await answers(target, timing.probeMs))) {
    if (req.ssh) {
      forgetMachine(ctx.paths, req.nodeName);
      ctx.out(
        `kubelab: ${describeTarget(target)} does not answer on SSH port ${target.port} within ${Math.round(timing.probeMs / 1000)} s: the existing machine ${req.nodeName} is off or unreachable, so K3s stays there; ` +
          `remove it there with sudo ${uninstallScriptFor(req.role)}`,
      );
      return;
    }
    ctx.out(`kubelab: ${describeTarget(target)} does not answer on SSH port ${target.port} within ${Math.round(timing.probeMs / 1000)} s: the VM is gone or stopped; nothing to uninstall`);
    return;
  }

  const session = await connectToNode({ paths: ctx.paths, target, timeoutMs: timing.connectTimeoutMs, onProgress: ctx.out });
  try {
    const r = await session.run(`${SUDO} bash -s`, { stdin: renderUninstallScript(req), ...bounded(ctx, timing, `K3s ${req.role} uninstall`) });
    ctx.out(r.stdout.trim().split('\n').slice(-1)[0]);
    if (req.ssh) forgetMachine(ctx.paths, req.nodeName);
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
  const server = targetOf(known.name, known.ip, known.ssh);
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
    const exists = await session.exec(kubectlCommand(`get node ${req.nodeName} -o name`), bounded(ctx, timing, `kubectl get node ${req.nodeName}`));
    if (exists.code !== 0) {
      ctx.out(`kubelab: node ${req.nodeName} is not in the cluster; nothing to drain`);
      return;
    }
    // A server's etcd member leaves before its K3s goes, while the cluster still has its majority.
    const etcdTimeoutMs = timing.etcdRemovalTimeoutMs ?? 120_000;
    await removeEtcdMember(session, req.nodeName, { timeoutMs: etcdTimeoutMs, pollMs: Math.min(2000, etcdTimeoutMs / 10), onProgress: ctx.out });
    ctx.out(`kubelab: draining ${req.nodeName}`);
    await session.run(kubectlCommand(`drain ${req.nodeName} --ignore-daemonsets --delete-emptydir-data --force --timeout=120s`), bounded(ctx, timing, `kubectl drain ${req.nodeName}`));
    await session.run(kubectlCommand(`delete node ${req.nodeName} --ignore-not-found`), bounded(ctx, timing, `kubectl delete node ${req.nodeName}`));
    ctx.out(`kubelab: drained and deleted node ${req.nodeName}`);
  } finally {
    session.close();
  }
}

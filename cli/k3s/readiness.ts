import { LabNode } from '../../config/lab-config';
import { KubelabError } from '../errors';
import { NodeSession, lastLines, sleep } from '../ssh/client';
import { withWait } from '../wait-progress';
import { HOST_ONLY_IFACE } from '../../config/k3s-plan';
import { NodeReturn, NODE_LEASE_NAMESPACE } from '../cluster/node-return';
import { kubectlCommand } from './remote';

export interface ReadinessOptions {
  timeoutMs: number;
  /** Pause between polls. */
  pollMs: number;
  onProgress?: (line: string) => void;
}

/** The address every VirtualBox NAT NIC gets: a node reporting it was registered on the wrong interface. */
const VIRTUALBOX_NAT_ADDRESS = '10.0.2.15';

/** Polls until `check` returns a value (not undefined), with progress lines; on timeout throws with the last thing it saw. */
async function poll<T>(what: string, opts: ReadinessOptions, check: () => Promise<{ done: T } | { seen: string }>): Promise<T> {
  return withWait(what, { timeoutMs: opts.timeoutMs, out: opts.onProgress }, async (wait) => {
    wait.seen = 'nothing yet';
    for (;;) {
      const r = await check();
      if ('done' in r) return r.done;
      wait.seen = r.seen;
      if (wait.remainingMs() < opts.pollMs) throw wait.timedOut();
      await sleep(opts.pollMs);
    }
  });
}

/** Waits until the K3s API on the server answers /readyz with "ok". */
export async function waitForApiReady(server: NodeSession, opts: ReadinessOptions): Promise<void> {
  await poll(`the K3s API on ${server.target.nodeName} to answer /readyz`, opts, async () => {
    const r = await server.exec(kubectlCommand('get --raw /readyz'));
    if (r.code === 0 && r.stdout.trim() === 'ok') return { done: undefined };
    return { seen: lastLines(`${r.stdout}${r.stderr}`.trim(), 2).replace(/\n/g, ' | ') || `exit status ${r.code}` };
  });
  opts.onProgress?.(`kubelab: ${server.target.nodeName}: K3s API answers /readyz`);
}

/**
 * Waits until `node` is Ready in the cluster (asked on the server) with its InternalIP equal
 * to its host-only address. A node registered with another address fails at once: waiting
 * does not fix it. After K3s restarted on the node (an upgrade, new flags), Ready counts only
 * once its kubelet renewed its lease since the first look (node-return.ts): until the grace
 * period runs out the API still shows the Ready the old K3s posted.
 */
export async function waitForNodeReady(server: NodeSession, node: LabNode, opts: ReadinessOptions, afterRestart = false): Promise<void> {
  const jsonpath = `{range .status.conditions[?(@.type=="Ready")]}{.status}{end} {range .status.addresses[?(@.type=="InternalIP")]}{.address}{end}`;
  const back = afterRestart ? new NodeReturn([node.name]) : undefined;
  await poll(`node ${node.name} to be Ready in the cluster`, opts, async () => {
    const r = await server.exec(kubectlCommand(`get node ${node.name} -o jsonpath='${jsonpath}'`));
    if (r.code !== 0) return { seen: `not registered yet (${lastLines(r.stderr.trim(), 1) || `exit status ${r.code}`})` };
    // "<Ready status> <InternalIP>", either part empty while the kubelet has not reported it yet
    const [ready, internalIp] = r.stdout.trimEnd().split(' ');
    if (internalIp && internalIp !== node.ip) throw wrongAddress(node, internalIp);
    const state = `registered, Ready=${ready || 'unknown'}, InternalIP=${internalIp || 'none'}`;
    if (back) {
      const lease = await server.exec(kubectlCommand(`get lease ${node.name} -n ${NODE_LEASE_NAMESPACE} --ignore-not-found -o jsonpath='{.spec.renewTime}'`));
      if (lease.code !== 0) return { seen: `${state}; its lease unreadable (${lastLines(lease.stderr.trim(), 1) || `exit status ${lease.code}`})` };
      const renewed = Date.parse(lease.stdout.trim());
      const seen = back.see([{ name: node.name, ready: ready === 'True', leaseRenewedMs: Number.isNaN(renewed) ? undefined : renewed }]);
      if (seen.back && internalIp === node.ip) return { done: undefined };
      return { seen: ready === 'True' && !seen.back ? `${state}, but its lease was not renewed since the first look (that Ready may be the old K3s's)` : state };
    }
    if (ready === 'True' && internalIp === node.ip) return { done: undefined };
    return { seen: state };
  });
  opts.onProgress?.(`kubelab: ${node.name}: node is Ready with InternalIP ${node.ip}`);
}

function wrongAddress(node: LabNode, got: string): KubelabError {
  const why =
    got === VIRTUALBOX_NAT_ADDRESS
      ? `${got} is the VirtualBox NAT address (NIC1, enp0s3), the same on every VM: K3s picked the NAT interface because --node-ip/--flannel-iface did not take effect, so pod logs, exec and metrics would fail.`
      : `K3s did not use the host-only interface ${HOST_ONLY_IFACE}; check that the VM's second NIC is on the host-only network with ${node.ip}.`;
  return new KubelabError(
    `Node ${node.name} joined with InternalIP ${got}, not its host-only address ${node.ip}. ${why} ` +
      `Check /etc/systemd/system/k3s*.service on the node (npx kubelab ssh ${node.name} "systemctl cat k3s*"), then re-install: npx kubelab k3s uninstall ${node.name} --ip ${node.ip} --role ${node.role} --lab <lab> and run the step again.`,
  );
}

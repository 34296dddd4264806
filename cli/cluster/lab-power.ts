import { LabConfig, agentNodes, serverNodes } from '../../config/lab-config';
import { LabUrls } from '../../config/urls';
import { Wait, withWait } from '../wait-progress';
import { ClusterApiError, ClusterUnreachableError, LabCluster } from './lab-cluster';
import { LabVms } from './lab-vms';
import { NodeReturn } from './node-return';
import { IngressAddress, probeWebApp } from './web-probe';

export interface LabPowerOptions {
  readonly config: LabConfig;
  readonly vms: LabVms;
  readonly out: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface StartOptions extends LabPowerOptions {
  /** Connects to the API (throws when there is no kubeconfig yet). */
  readonly connect: () => Promise<LabCluster>;
  readonly urls: LabUrls;
  readonly ingress: IngressAddress;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** How often a wait says it still waits. @default PROGRESS_EVERY_MS (15 s) */
  readonly progressEveryMs?: number;
}

/**
 * Starts every lab VM, the server first (agents rejoin it), then waits until every
 * node is back (Ready, its lease renewed since the API answered: node-return.ts) and every lab URL answers through the ingress: after a host
 * reboot this brings the dashboard back without any port-forward.
 */
export async function startLab(o: StartOptions): Promise<void> {
  const t0 = Date.now();
  const deadline = t0 + o.timeoutMs;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Servers first (agents rejoin them); existing machines are not kubelab's to power.
  for (const node of [...serverNodes(o.config), ...agentNodes(o.config)].filter((n) => !n.host)) await o.vms.start(node);

  const cluster = await o.connect();
  // One deadline for the whole start; each wait prints progress and ends with what it saw last, even when a call never answers.
  const waitFor = (what: string, body: (wait: Wait) => Promise<void>) =>
    withWait(what, { timeoutMs: Math.max(0, deadline - Date.now()), out: o.out, everyMs: o.progressEveryMs }, body);
  // A node counts only once its kubelet renewed its lease after the API answered: the API keeps the Ready it had before the reboot for a while.
  const nodesBack = new NodeReturn(o.config.nodes.map((n) => n.name));
  await waitFor(`the lab's ${o.config.nodes.length} nodes to be Ready`, async (wait) => {
    wait.seen = `no answer from the Kubernetes API at ${cluster.server} yet`;
    for (;;) {
      const seen = await wait.within(nodesState(cluster, nodesBack), 'Run npx kubelab verify for details');
      if (seen.ready) return;
      if (seen.summary !== wait.seen) o.out(`kubelab: waiting for the nodes: ${seen.summary}`);
      wait.seen = seen.summary;
      if (wait.expired()) throw wait.timedOut('Run npx kubelab verify for details');
      await sleep(Math.min(o.intervalMs, wait.remainingMs()));
    }
  });
  o.out(`kubelab: all ${o.config.nodes.length} nodes Ready`);

  const urls = [o.urls.ingress, o.urls.dashboard?.url, o.urls.hpaDemo?.url].filter((u): u is string => u !== undefined);
  const withIngress = o.config.components.ingress.enabled;
  for (const url of withIngress ? urls : []) {
    await waitFor(`${url} to answer`, async (wait) => {
      wait.seen = 'no answer yet';
      for (;;) {
        const answer = await wait.within(probeWebApp(url, o.ingress), 'Run npx kubelab verify for details');
        // Traefik answers 404 for the bare IP; an app must answer below 400.
        if ('status' in answer && (url === o.urls.ingress || answer.status < 400)) return;
        wait.seen = 'error' in answer ? answer.error : `HTTP ${answer.status}`;
        if (wait.expired()) throw wait.timedOut('Run npx kubelab verify for details');
        await sleep(Math.min(o.intervalMs, wait.remainingMs()));
      }
    });
    o.out(`kubelab: ${url} answers`);
  }
  o.out(`kubelab: the lab is up (${Math.round((Date.now() - t0) / 1000)} s)${o.urls.dashboard ? `; log in to ${o.urls.dashboard.url} with a token from: npx kubelab dashboard` : ''}`);
}

/** Shuts every lab VM down cleanly, agents first and the server last. */
export async function stopLab(o: LabPowerOptions & { readonly force: boolean }): Promise<void> {
  const vms = [...agentNodes(o.config).reverse(), ...serverNodes(o.config).reverse()].filter((n) => !n.host);
  for (const node of vms) await o.vms.stop(node, o.force);
  if (vms.length < o.config.nodes.length) o.out(`kubelab: the lab's existing machines keep running; kubelab does not power them`);
  o.out(`kubelab: the lab's ${vms.length} VMs are stopped; start them again with: npx kubelab start`);
}

/** "cp1 Ready, w1 NotReady, w2 not joined" (or why the API does not answer yet), judged by `nodesBack`. */
async function nodesState(cluster: LabCluster, nodesBack: NodeReturn): Promise<{ ready: boolean; summary: string }> {
  try {
    const [nodes, leases] = await Promise.all([cluster.nodes(), cluster.nodeLeases()]);
    const seen = nodesBack.see(
      nodes.map((n) => ({ name: n.name, ready: n.ready, leaseRenewedMs: leases.find((l) => l.name === n.name)?.renewTime?.getTime() })),
    );
    return { ready: seen.back, summary: NodeReturn.summary(seen.nodes) };
  } catch (err) {
    // The API server comes up a while after the server VM boots.
    // (Not the unreachable error's advice to run kubelab start: this is kubelab start.)
    if (err instanceof ClusterUnreachableError) return { ready: false, summary: `the API does not answer yet (${err.reason})` };
    if (err instanceof ClusterApiError) return { ready: false, summary: `the API does not answer yet (${err.message})` };
    throw err;
  }
}

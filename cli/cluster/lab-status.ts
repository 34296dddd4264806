import { LabConfig, vmName } from '../../config/lab-config';
import { LabUrls } from '../../config/urls';
import { DeployTimings, formatTimings } from '../deploy/timings';
import { LabCluster } from './lab-cluster';
import { LabVms } from './lab-vms';

export interface StatusSources {
  readonly config: LabConfig;
  readonly urls: LabUrls;
  /** Undefined when VirtualBox is not installed here. */
  readonly vms?: LabVms;
  /** A connected cluster, or why there is none (no kubeconfig yet). */
  readonly cluster: LabCluster | { readonly unavailable: string };
  /** The last `npm run up`/`down`, if there was one. */
  readonly lastDeploy?: DeployTimings;
}

type Row = readonly [what: string, name: string, state: string, detail: string];

/**
 * The whole lab in one table: VMs (state, IP), nodes (Ready, K3s version,
 * InternalIP), Helm releases and URLs. A part that cannot be read says why in
 * its rows instead of failing the whole table.
 */
export async function labStatusTable(s: StatusSources): Promise<string[]> {
  const rows: Row[] = [['WHAT', 'NAME', 'STATE', 'DETAIL']];
  for (const node of s.config.nodes) {
    if (node.host) {
      rows.push(['host', node.name, '-', `${node.role}, existing machine ${node.host.user}@${node.host.address}${node.host.port === 22 ? '' : `:${node.host.port}`}`]);
      continue;
    }
    const state = s.vms ? await s.vms.state(node).catch((err: Error) => `unknown (${err.message})`) : 'unknown (VirtualBox not found)';
    rows.push(['vm', vmName(s.config, node), state, `${node.role}, host-only IP ${node.ip}`]);
  }
  if ('unavailable' in s.cluster) {
    rows.push(['cluster', '-', 'unknown', `nodes and Helm releases unknown: ${s.cluster.unavailable}`]);
  } else {
    const cluster = s.cluster;
    try {
      const nodes = await cluster.nodes();
      for (const n of nodes) rows.push(['node', n.name, n.ready ? 'Ready' : 'NotReady', `K3s ${n.kubeletVersion}, InternalIP ${n.internalIp ?? 'none'}`]);
      if (nodes.length === 0) rows.push(['node', '-', 'none', 'no node has registered yet']);
      const releases = await cluster.helmReleases();
      for (const r of releases) rows.push(['release', `${r.namespace}/${r.name}`, r.status, `revision ${r.revision}`]);
      if (releases.length === 0) rows.push(['release', '-', 'none', 'no Helm release installed yet']);
    } catch (err) {
      rows.push(['cluster', cluster.server, 'unreachable', (err as Error).message]);
    }
  }
  const { dashboard, hpaDemo } = s.urls;
  if (dashboard) rows.push(['url', dashboard.kind, '-', `${dashboard.url}  (without DNS: ${dashboard.fallbackUrl})`]);
  if (hpaDemo) rows.push(['url', 'hpa demo', '-', hpaDemo.url]);
  if (s.lastDeploy) {
    const d = s.lastDeploy;
    rows.push(['deploy', d.command, d.exitCode === 0 ? 'done' : `exit ${d.exitCode}`, formatTimings(d).replace(`${d.command} `, '')]);
  }
  return formatTable(rows);
}

/** Columns padded to their widest cell; the last column is free. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

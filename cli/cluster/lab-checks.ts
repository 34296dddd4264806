import { LabConfig, isHighlyAvailable, serverNode, serverNodes } from '../../config/lab-config';
import { LAB_APPS, LabUrls } from '../../config/urls';
import { HOST_ONLY_IFACE } from '../../config/k3s-plan';
import { FLANNEL_PUBLIC_IP_ANNOTATION } from './kube-client';
import { ClusterApiError, ClusterUnreachableError, LabCluster } from './lab-cluster';
import { formatCpu, formatMemory } from './quantity';
import { IngressAddress, probeTarget, probeWebApp } from './web-probe';

/** VirtualBox NAT gives every VM this address; a node reporting it was started without --node-ip. */
export const VIRTUALBOX_NAT_IP = '10.0.2.15';

export type CheckName = 'nodes' | 'etcd' | 'metrics' | 'ingress' | 'dashboard' | 'hpa';

export interface CheckOutcome {
  readonly name: CheckName;
  readonly status: 'ok' | 'fail' | 'skip';
  readonly detail: string;
}

export interface LabCheckDeps {
  readonly cluster: LabCluster;
  readonly config: LabConfig;
  readonly urls: LabUrls;
  readonly ingress: IngressAddress;
  readonly probeTimeoutMs?: number;
}

/** `npx kubelab ssh <server> "sudo k3s kubectl …"`: kubectl as K3s bundles it on the server, for hints (one quoted word: no `--` to lose in npx's PowerShell shim). */
export function onServer(config: LabConfig, kubectlArgs: string): string {
  return `npx kubelab ssh ${serverNode(config).name} "sudo k3s kubectl ${kubectlArgs}"`;
}

/**
 * Checks the live lab end to end, in the order a broken lab is best explained:
 * nodes, metrics API, ingress, dashboard, HPA. Every check runs (one line each);
 * once the API is unreachable the API checks after it are not attempted.
 */
export async function runLabChecks(d: LabCheckDeps): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  let unreachable: string | undefined;
  const run = async (name: CheckName, usesApi: boolean, check: () => Promise<Omit<CheckOutcome, 'name'>>): Promise<void> => {
    if (usesApi && unreachable) {
      outcomes.push({ name, status: 'fail', detail: `not checked: ${unreachable}` });
      return;
    }
    try {
      outcomes.push({ name, ...(await check()) });
    } catch (err) {
      if (err instanceof ClusterUnreachableError) unreachable = err.message;
      outcomes.push({ name, status: 'fail', detail: (err as Error).message });
    }
  };
  const { components } = d.config;
  await run('nodes', true, () => checkNodes(d));
  // A single server keeps K3s's default datastore: there is no etcd cluster to check.
  if (isHighlyAvailable(d.config)) await run('etcd', true, () => checkEtcd(d));
  await run('metrics', true, () => (components.metricsServer.enabled ? checkMetrics(d) : skipped('components.metricsServer')));
  await run('ingress', false, () => (components.ingress.enabled ? checkIngress(d) : skipped('components.ingress')));
  await run('dashboard', false, () => (d.urls.dashboard ? checkDashboard(d) : skipped('components.dashboard')));
  await run('hpa', true, () => (components.hpaDemo.enabled ? checkHpa(d) : skipped('components.hpaDemo')));
  return outcomes;
}

export function formatOutcome(o: CheckOutcome): string {
  return `${o.status.toUpperCase().padEnd(4)}  ${o.name.padEnd(9)}  ${o.detail}`;
}

async function skipped(component: string) {
  return { status: 'skip' as const, detail: `${component}.enabled is false in the lab config` };
}

const ok = (detail: string) => ({ status: 'ok' as const, detail });
const fail = (detail: string) => ({ status: 'fail' as const, detail });

async function checkNodes({ cluster, config }: LabCheckDeps) {
  const seen = await cluster.nodes();
  const problems: string[] = [];
  for (const node of config.nodes) {
    const live = seen.find((n) => n.name === node.name);
    const service = node.role === 'server' ? 'k3s' : 'k3s-agent';
    if (!live) {
      problems.push(`node ${node.name} has not joined the cluster (nodes there: ${seen.map((n) => n.name).join(', ') || 'none'}); is its VM running? npx kubelab status`);
    } else if (!live.ready) {
      problems.push(`node ${node.name} is NotReady (${live.notReadyReason}); look on it: npx kubelab ssh ${node.name} "sudo systemctl status ${service}"`);
    } else if (live.internalIp === VIRTUALBOX_NAT_IP) {
      problems.push(
        `node ${node.name} reports InternalIP ${VIRTUALBOX_NAT_IP}, the VirtualBox NAT address every VM shares, instead of its host-only ${node.ip}: ` +
          `K3s runs there without --node-ip ${node.ip} --flannel-iface enp0s8, so logs, exec and metrics break. Reinstall K3s on it: npm run up -- k3s`,
      );
    } else if (live.internalIp !== node.ip) {
      problems.push(`node ${node.name} reports InternalIP ${live.internalIp ?? 'none'}, not its host-only ${node.ip} from the lab config; reinstall K3s on it: npm run up -- k3s`);
    } else if (live.flannelPublicIp !== undefined && live.flannelPublicIp !== node.ip) {
      problems.push(flannelElsewhere(node, live.flannelPublicIp));
    }
  }
  if (problems.length) return fail(problems.join('; '));
  const versions = [...new Set(seen.map((n) => n.kubeletVersion))].join(', ');
  return ok(`${config.nodes.map((n) => `${n.name} ${n.ip}`).join(', ')}: all Ready (${versions})`);
}

/**
 * The other nodes send a node's pod traffic (VXLAN, 8472/udp) to the address its flannel announces;
 * K3s's flannel announces the address of the interface holding the default route unless
 * --flannel-iface names another (see cli/k3s/node-script.ts for the K3s and flannel source lines).
 */
function flannelElsewhere(node: LabConfig['nodes'][number], announced: string): string {
  const iface = node.host ? `the interface holding ${node.ip}` : HOST_ONLY_IFACE;
  const unit = node.role === 'server' ? 'k3s' : 'k3s-agent';
  return (
    `node ${node.name}'s flannel announces ${announced} (annotation ${FLANNEL_PUBLIC_IP_ANNOTATION}), not its ${node.ip}: the other nodes send its pods' traffic (VXLAN, 8472/udp) there, ` +
    `so pods on other nodes cannot reach its pods; K3s runs there without --flannel-iface ${iface}; see its flags: npx kubelab ssh ${node.name} "systemctl cat ${unit}"`
  );
}

/**
 * Every server of the config runs an etcd member and is Ready, no other node still runs
 * one (a removed server whose member never left), and the API server's etcd health check
 * answers ok.
 */
async function checkEtcd({ cluster, config }: LabCheckDeps) {
  const seen = await cluster.nodes();
  const servers = serverNodes(config);
  const problems: string[] = [];
  for (const server of servers) {
    const live = seen.find((n) => n.name === server.name);
    if (!live) problems.push(`server ${server.name} is not in the cluster`);
    else if (!live.etcdMember) problems.push(`server ${server.name} runs no etcd member (no node-role.kubernetes.io/etcd label): it did not join the embedded etcd cluster; reinstall it: npm run up -- k3s`);
    else if (!live.ready) problems.push(`server ${server.name} is NotReady, so the cluster has ${servers.length - 1} of ${servers.length} etcd members; look on it: npx kubelab ssh ${server.name} "sudo journalctl -u k3s"`);
  }
  const strays = seen.filter((n) => n.etcdMember && !servers.some((s) => s.name === n.name)).map((n) => n.name);
  if (strays.length) problems.push(`${strays.join(', ')} still run etcd but are not servers in the lab config; remove them from etcd: npm run up -- k3s`);
  const health = await cluster.etcdReadiness();
  if (health.status !== 200 || health.body.trim() !== 'ok') {
    problems.push(`the API server's etcd check (GET /readyz/etcd on ${cluster.server}) answered ${health.status}: ${health.body.trim().split('\n')[0] || 'no body'}`);
  }
  if (problems.length) return fail(problems.join('; '));
  return ok(`${servers.map((s) => s.name).join(', ')}: ${servers.length} etcd members, all Ready; /readyz/etcd ok`);
}

async function checkMetrics(d: LabCheckDeps) {
  const explain = (err: unknown, what: string) => {
    if (err instanceof ClusterApiError && err.status === 503) {
      return fail(
        `the metrics API answered 503 Service Unavailable for ${what}: metrics-server is not ready or cannot scrape the kubelets on port 10250; look: ${onServer(d.config, '-n kube-system logs deploy/metrics-server')}`,
      );
    }
    if (err instanceof ClusterApiError && err.status === 404) {
      return fail(`the metrics API (metrics.k8s.io) is not registered: the metrics-server stack is not deployed; run: npm run up -- metrics-server`);
    }
    throw err;
  };
  let nodes;
  try {
    nodes = await d.cluster.nodeMetrics();
  } catch (err) {
    return explain(err, 'node metrics');
  }
  const missing = d.config.nodes.filter((n) => !nodes.some((m) => m.name === n.name)).map((n) => n.name);
  if (missing.length) {
    return fail(`no node metrics for ${missing.join(', ')} yet: metrics-server scrapes every 15 s; if this stays, it cannot reach the kubelet on port 10250 of ${missing.join(', ')}`);
  }
  let pods;
  try {
    pods = await d.cluster.podMetrics();
  } catch (err) {
    return explain(err, 'pod metrics');
  }
  if (pods.length === 0) return fail('the metrics API serves node metrics but no pod metrics yet; wait 30 s and verify again');
  const perNode = nodes.map((m) => `${m.name} ${formatCpu(m.cpuMillicores)}/${formatMemory(m.memoryBytes)}`).join(', ');
  return ok(`node metrics (cpu/memory) ${perNode}; pod metrics for ${pods.length} pods`);
}

async function checkIngress(d: LabCheckDeps) {
  const answer = await probeWebApp(d.urls.ingress, d.ingress, d.probeTimeoutMs);
  const at = probeTarget(d.urls.ingress, d.ingress);
  if ('error' in answer) {
    return fail(`nothing answers http on ${at} (${answer.error}): Traefik or K3s ServiceLB is not running; look: ${onServer(d.config, '-n traefik get pods,svc')}`);
  }
  return ok(`Traefik answers on ${at} (HTTP ${answer.status} for ${d.urls.ingress})`);
}

async function checkDashboard(d: LabCheckDeps) {
  const dashboard = d.urls.dashboard!;
  const answers: string[] = [];
  for (const url of [dashboard.url, dashboard.fallbackUrl]) {
    const answer = await probeWebApp(url, d.ingress, d.probeTimeoutMs);
    if ('error' in answer) return fail(`${url} does not answer through ${probeTarget(url, d.ingress)} (${answer.error})`);
    if (answer.status >= 400) {
      const why =
        answer.status === 404
          ? 'Traefik has no route for it: is the dashboard stack deployed? npm run up -- dashboard'
          : answer.status >= 500
            ? `the route exists but the dashboard is not serving; look: ${onServer(d.config, `-n ${dashboard.namespace} get pods`)}`
            : 'unexpected answer';
      return fail(`${url} answered HTTP ${answer.status}: ${why}`);
    }
    answers.push(`${url} (HTTP ${answer.status})`);
  }
  return ok(answers.join(', '));
}

async function checkHpa({ cluster }: LabCheckDeps) {
  const { namespace, name } = LAB_APPS.hpaDemo;
  const hpa = await cluster.hpa(namespace, name);
  if (!hpa) return fail(`HPA ${namespace}/${name} not found: the workloads stack is not deployed; run: npm run up -- workloads`);
  if (hpa.cpuUtilization === undefined) {
    return fail(
      `HPA ${name} shows CPU <unknown>${hpa.problem ? ` (${hpa.problem})` : ''}: it needs metrics-server serving pod metrics and CPU requests on the ${name} pods; a fresh HPA needs about 30 s for its first reading`,
    );
  }
  return ok(
    `HPA ${name} reads CPU ${hpa.cpuUtilization}%/${hpa.targetCpuUtilization ?? '?'}%, ${hpa.currentReplicas} replica${hpa.currentReplicas === 1 ? '' : 's'} (${hpa.minReplicas}..${hpa.maxReplicas})`,
  );
}

import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type * as K8s from '@kubernetes/client-node';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { ClusterApiError, ClusterNode, ClusterUnreachableError, HelmRelease, HpaReading, LabCluster, ResourceUsage } from './lab-cluster';
import { NODE_LEASE_NAMESPACE } from './node-return';
import { cpuMillicores, memoryBytes } from './quantity';
import { ETCD_ROLE_LABEL } from '../k3s/etcd-member';

/**
 * Where flannel's kube subnet manager records the address a node's pod traffic (VXLAN) is sent to:
 * `<prefix>/public-ip` (flannel-io/flannel pkg/subnet/kube/annotations.go, set in kube.go AcquireLease
 * from the interface flannel uses), with K3s's prefix flannel.alpha.coreos.com (k3s-io/k3s
 * pkg/agent/flannel/flannel.go BaseAnnotation; read in the search index, unverified at v1.36.4+k3s1).
 */
export const FLANNEL_PUBLIC_IP_ANNOTATION = 'flannel.alpha.coreos.com/public-ip';

/** Helm 3 stores each release revision as a Secret of this type, labelled owner=helm. */
const HELM_RELEASE_SECRETS = { labelSelector: 'owner=helm', fieldSelector: 'type=helm.sh/release.v1' } as const;

/**
 * The lab cluster through @kubernetes/client-node and the lab's kubeconfig
 * (.kubelab/kubeconfig, context = lab name). The package is ESM-only, so it is
 * loaded with import() here, on first use, never at the top of a module.
 */
export async function connectLabCluster(ctx: CliContext, opts: { requestTimeoutMs?: number } = {}): Promise<LabCluster> {
  const { k8s, kc } = await loadLabKubeConfig(ctx);
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  const timeoutMs = opts.requestTimeoutMs ?? 10000;
  // Each request gets its own deadline: an unreachable host-only IP would otherwise
  // hang for minutes on TCP retries.
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (request: K8s.RequestContext) => {
          request.setSignal(AbortSignal.timeout(timeoutMs));
          return request;
        },
        post: async (response: K8s.ResponseContext) => response,
      },
    ],
  });
  const core = new k8s.CoreV1Api(configuration);
  const autoscaling = new k8s.AutoscalingV2Api(configuration);
  const custom = new k8s.CustomObjectsApi(configuration);
  const coordination = new k8s.CoordinationV1Api(configuration);

  /**
   * Runs one API call; an expected error status (404 absent, 409 exists) becomes a
   * value, anything else an error a lab user can act on.
   */
  const call = async <T>(what: string, fn: () => Promise<T>, expected: Partial<Record<404 | 409, () => T>> = {}): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof k8s.ApiException) {
        const value = expected[err.code as 404 | 409];
        if (value) return value();
        throw new ClusterApiError(what, err.code, apiErrorDetail(err.body));
      }
      throw new ClusterUnreachableError(server, networkCause(err, timeoutMs));
    }
  };

  return {
    server,
    nodes: () => call('list nodes', async () => (await core.listNode()).items.map(toClusterNode)),
    nodeLeases: () =>
      call('list node Leases', async () =>
        (await coordination.listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE })).items.map((l) => ({
          name: l.metadata?.name ?? '?',
          renewTime: l.spec?.renewTime ? new Date(l.spec.renewTime) : undefined,
        })),
      ),
    nodeMetrics: () =>
      call('read node metrics (metrics.k8s.io)', async () =>
        usageOf(await custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' }), (item) => item.metadata?.name),
      ),
    podMetrics: () =>
      call('read pod metrics (metrics.k8s.io)', async () =>
        usageOf(
          await custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' }),
          (item) => `${item.metadata?.namespace}/${item.metadata?.name}`,
        ),
      ),
    hpa: (namespace, name) =>
      call(
        `read HPA ${namespace}/${name}`,
        async () => toHpaReading(await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name })),
        { 404: () => undefined },
      ),
    requestToken: (namespace, serviceAccount, expirationSeconds) =>
      call(`request a token for ServiceAccount ${namespace}/${serviceAccount}`, async () => {
        const answer = await core.createNamespacedServiceAccountToken({
          namespace,
          name: serviceAccount,
          // Empty audiences: the API server's own, as `kubectl create token` asks.
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds } },
        });
        const token = answer.status?.token;
        if (!token) throw new KubelabError(`the TokenRequest for ${namespace}/${serviceAccount} came back without a token`);
        return { token, expires: answer.status?.expirationTimestamp };
      }),
    createPod: (namespace, pod) =>
      call(
        `create pod ${namespace}/${pod.metadata.name}`,
        async () => {
          await core.createNamespacedPod({ namespace, body: { apiVersion: 'v1', kind: 'Pod', ...(pod as unknown as K8s.V1Pod) } });
          return 'created' as const;
        },
        { 409: () => 'exists' as const },
      ),
    deletePod: (namespace, name) =>
      call(
        `delete pod ${namespace}/${name}`,
        async () => {
          await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
          return 'deleted' as const;
        },
        { 404: () => 'absent' as const },
      ),
    podPhase: (namespace, name) =>
      call(`read pod ${namespace}/${name}`, async () => (await core.readNamespacedPod({ namespace, name })).status?.phase ?? 'Unknown', {
        404: () => undefined,
      }),
    helmReleases: () =>
      call('list Helm release Secrets', async () => latestRevisions((await core.listSecretForAllNamespaces(HELM_RELEASE_SECRETS)).items)),
    etcdReadiness: async () => {
      try {
        return await rawRequest(kc, `${server}/readyz/etcd`, timeoutMs);
      } catch (err) {
        throw new ClusterUnreachableError(server, networkCause(err, timeoutMs));
      }
    },
  };
}

/**
 * The lab's kubeconfig (.kubelab/kubeconfig) with the lab's context selected, and the
 * client module it was read with (ESM-only, so loaded with import() on first use).
 */
export async function loadLabKubeConfig(ctx: CliContext): Promise<{ k8s: typeof K8s; kc: K8s.KubeConfig }> {
  const file = ctx.paths.kubeconfig;
  if (!fs.existsSync(file)) {
    throw new KubelabError(
      `no kubeconfig at ${file} yet: the k3s stack writes it when it installs K3s. Run npm run up first (or npx kubelab k3s kubeconfig if K3s is already installed).`,
    );
  }
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new KubelabError(`cannot read the kubeconfig ${file}: ${(err as Error).message}`);
  }
  const context = ctx.config.name;
  if (!kc.getContexts().some((c) => c.name === context)) {
    throw new KubelabError(
      `the kubeconfig ${file} has no context '${context}' (the lab's name); it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}. Rewrite it with: npx kubelab k3s kubeconfig`,
    );
  }
  kc.setCurrentContext(context);
  return { k8s, kc };
}

/**
 * A request outside the typed API (health endpoints answer text; the lessons reach
 * any kind by its path), with the lab kubeconfig's CA, client certificate or token applied.
 */
export async function rawRequest(
  kc: K8s.KubeConfig,
  url: string,
  timeoutMs: number,
  send: { method?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; body: string }> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const request = new URL(url).protocol === 'http:' ? http.request : https.request;
  const headers = { ...(options.headers ?? {}), ...(send.contentType ? { 'Content-Type': send.contentType } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, headers, method: send.method ?? 'GET', signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(send.body);
  });
}

function toClusterNode(node: K8s.V1Node): ClusterNode {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const isReady = ready?.status === 'True';
  return {
    name: node.metadata?.name ?? '?',
    ready: isReady,
    notReadyReason: isReady ? undefined : ready ? [ready.reason, ready.message].filter(Boolean).join(': ') || `Ready=${ready.status}` : 'no Ready condition yet',
    internalIp: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? '?',
    etcdMember: node.metadata?.labels?.[ETCD_ROLE_LABEL] === 'true',
    flannelPublicIp: node.metadata?.annotations?.[FLANNEL_PUBLIC_IP_ANNOTATION],
  };
}

interface MetricsItem {
  metadata?: { name?: string; namespace?: string };
  usage?: { cpu?: string; memory?: string };
  containers?: { usage?: { cpu?: string; memory?: string } }[];
}

/** Node items carry `usage`; pod items carry per-container usage, summed here. */
function usageOf(list: { items?: MetricsItem[] }, nameOf: (item: MetricsItem) => string | undefined): ResourceUsage[] {
  return (list.items ?? []).map((item) => {
    const usages = item.usage ? [item.usage] : (item.containers ?? []).map((c) => c.usage ?? {});
    return {
      name: nameOf(item) ?? '?',
      cpuMillicores: usages.reduce((sum, u) => sum + (cpuMillicores(u.cpu ?? '0') || 0), 0),
      memoryBytes: usages.reduce((sum, u) => sum + (memoryBytes(u.memory ?? '0') || 0), 0),
    };
  });
}

function toHpaReading(hpa: K8s.V2HorizontalPodAutoscaler): HpaReading {
  const cpuMetric = (m: { type?: string; resource?: { name?: string } }) => m.type === 'Resource' && m.resource?.name === 'cpu';
  const current = hpa.status?.currentMetrics?.find(cpuMetric)?.resource?.current?.averageUtilization;
  const target = hpa.spec?.metrics?.find(cpuMetric)?.resource?.target?.averageUtilization;
  const failing = hpa.status?.conditions?.find((c) => (c.type === 'ScalingActive' || c.type === 'AbleToScale') && c.status === 'False');
  return {
    minReplicas: hpa.spec?.minReplicas ?? 1,
    maxReplicas: hpa.spec?.maxReplicas ?? 1,
    currentReplicas: hpa.status?.currentReplicas ?? 0,
    desiredReplicas: hpa.status?.desiredReplicas ?? 0,
    cpuUtilization: current ?? undefined,
    targetCpuUtilization: target ?? undefined,
    problem: failing ? [failing.reason, failing.message].filter(Boolean).join(': ') : undefined,
  };
}

/** One row per release: the Secret of its highest revision. */
function latestRevisions(secrets: K8s.V1Secret[]): HelmRelease[] {
  const latest = new Map<string, HelmRelease>();
  for (const s of secrets) {
    const labels = s.metadata?.labels ?? {};
    const release = { name: labels.name ?? '?', namespace: s.metadata?.namespace ?? '?', status: labels.status ?? '?', revision: Number(labels.version ?? 0) };
    const key = `${release.namespace}/${release.name}`;
    if ((latest.get(key)?.revision ?? -1) < release.revision) latest.set(key, release);
  }
  return [...latest.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The `message` of a Kubernetes Status body, when there is one. */
function apiErrorDetail(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return apiErrorDetail(JSON.parse(body));
    } catch {
      return body.slice(0, 200);
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

export function networkCause(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; type?: string; message?: string };
  if (e?.name === 'AbortError' || e?.type === 'aborted') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  return e?.code ?? e?.message ?? String(err);
}

/**
 * KUBERNETES API STAND-IN — for tests only. This is NOT Kubernetes and no cluster
 * runs behind it: a plain HTTP server on 127.0.0.1 that answers the few endpoints
 * the kubelab day-two verbs call (nodes, metrics.k8s.io, the demo HPA, TokenRequest,
 * pods in hpa-demo, Helm release Secrets) with responses constructed from the state
 * a test sets, shaped like the real API's JSON, and records every request.
 *
 * For the lessons it also keeps a plain object store (see `objects`): server-side apply,
 * get, list with an equality label selector, delete, as kubernetes.io's "Kubernetes API
 * Concepts" (resource URIs, list responses) and "Server-Side Apply" (PATCH with
 * Content-Type application/apply-patch+yaml and a fieldManager creates or updates the
 * object) describe them. No controller runs: a test sets the status fields a controller
 * would (a Deployment's replicas, a claim's phase) with `put`, and decides how a probe
 * pod's command ends with `probeOutcome` (no container runs here).
 *
 * Kubelet heartbeats: every node whose kubelet runs (`ready`) has a Lease kube-node-lease/<node>
 * (coordination.k8s.io/v1), renewed every 10 s with spec.renewTime set to the kubelet's clock
 * (k8s.io/component-helpers apimachinery/lease/controller.go at tag v0.36.3, the staging copy of
 * Kubernetes v1.36.3: Run repeats sync every renewInterval, newLease sets RenewTime = clock.Now();
 * k8s.io/kubelet config/v1beta1/types.go at v0.36.3: "The lease is currently renewed every 10s").
 * Time here is counted in reads of the lease list, each read one renewal interval later, so a
 * test runs in milliseconds. After a reboot (`kubeletsBootReads`) the node status keeps the Ready
 * condition posted before it: the node-lifecycle controller turns it Unknown only when neither a
 * status nor a lease renewal came for --node-monitor-grace-period (tryUpdateNodeHealth in
 * kubernetes/kubernetes pkg/controller/nodelifecycle/node_lifecycle_controller.go, read at commit
 * 003e8629 in the search index, not at a tag; the default is 50 s since PR #126287, Kubernetes 1.32),
 * far longer than a test's few reads.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';

export interface StandInNode {
  name: string;
  ready: boolean;
  /** Reason of a not-Ready condition. */
  reason?: string;
  internalIp: string;
  kubeletVersion: string;
  cpu: string;
  memory: string;
  /** A K3s server running embedded etcd: labelled node-role.kubernetes.io/etcd=true. */
  etcd?: boolean;
  /** Cordoned: spec.unschedulable, what `kubectl cordon`/`drain` set. */
  unschedulable?: boolean;
  /**
   * The address flannel announces for the node's pod traffic: the annotation
   * flannel.alpha.coreos.com/public-ip that flannel's kube subnet manager writes
   * (flannel-io/flannel pkg/subnet/kube/annotations.go, kube.go AcquireLease). Absent: not written yet.
   */
  flannelPublicIp?: string;
}

export interface StandInHpa {
  currentReplicas: number;
  desiredReplicas: number;
  /** undefined: no current CPU metric, what kubectl shows as <unknown>. */
  cpu?: number;
  /** Once the load-generator pod exists, the HPA reports this from its Nth read on. */
  underLoad?: { afterReads: number; replicas: number; cpu: number };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: any;
}

export interface HelmReleaseSecret {
  namespace: string;
  name: string;
  revision: number;
  status: string;
}

/** The state a test sets; every field is read when a request arrives. */
export interface StandInLab {
  nodes: StandInNode[];
  /** HTTP status of the metrics.k8s.io endpoints: 200 serving, 503 metrics-server down, 404 not registered. */
  metricsStatus: 200 | 503 | 404;
  pods: { namespace: string; name: string; cpu: string; memory: string }[];
  /** The hpa-demo/php-apache HPA; undefined: it does not exist. */
  hpa?: StandInHpa;
  helmReleases: HelmReleaseSecret[];
  /**
   * GET /readyz/etcd, the API server's individual etcd health check (kubernetes.io
   * docs/reference/using-api/health-checks: /readyz/<healthcheck-name>, HTTP 200 when healthy):
   * true answers 200 "ok"; false answers 500 with the check's failure line.
   * @default true
   */
  etcdHealthy?: boolean;
  /**
   * The kubelets are still booting after a reboot for this many reads of the lease list: their
   * leases keep the renewTime from before the reboot (and node status its Ready from then); from the
   * next read on they renew at every read.
   * @default 0 (the kubelets run)
   */
  kubeletsBootReads?: number;
}

/** The lab of the default config (cp1, w1, w2 on 192.168.56.10-12), healthy. */
export function healthyLab(): StandInLab {
  const node = (name: string, ip: string, cpu: string): StandInNode => ({
    name,
    ready: true,
    internalIp: ip,
    flannelPublicIp: ip,
    kubeletVersion: 'v1.36.4+k3s1',
    cpu,
    memory: '1153434Ki',
  });
  return {
    nodes: [node('cp1', '192.168.56.10', '251234567n'), node('w1', '192.168.56.11', '80m'), node('w2', '192.168.56.12', '61m')],
    metricsStatus: 200,
    pods: [
      { namespace: 'kube-system', name: 'coredns-1', cpu: '3m', memory: '20Mi' },
      { namespace: 'hpa-demo', name: 'php-apache-1', cpu: '1m', memory: '12Mi' },
    ],
    hpa: { currentReplicas: 1, desiredReplicas: 1, cpu: 0 },
    helmReleases: [
      { namespace: 'traefik', name: 'traefik', revision: 1, status: 'superseded' },
      { namespace: 'traefik', name: 'traefik', revision: 2, status: 'deployed' },
      { namespace: 'kube-system', name: 'metrics-server', revision: 1, status: 'deployed' },
      { namespace: 'headlamp', name: 'headlamp', revision: 1, status: 'deployed' },
    ],
  };
}

const BEARER = 'kube-api-standin-bearer';
/** The renewal before the reboot, as a lease read at the stand-in's first read shows it. */
const LEASE_EPOCH_MS = Date.parse('2026-08-20T12:00:00Z');
/** The kubelet renews its lease every 10 s (k8s.io/kubelet config/v1beta1/types.go at v0.36.3, NodeLeaseDurationSeconds). */
const LEASE_RENEW_MS = 10_000;

export class KubeApiStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Pods created through the API, by namespace/name. */
  readonly createdPods = new Map<string, any>();
  lab: StandInLab = healthyLab();
  /** The lessons' objects by their API path (…/namespaces/<ns>/<plural>/<name>). */
  readonly objects = new Map<string, any>();
  /**
   * How a probe pod (label kubelab/probe=true) ends: the phase the kubelet would report
   * once its container exited (kubernetes.io "Pod Lifecycle": Succeeded when every
   * container exited 0, Failed otherwise). Tests decide it; nothing runs here.
   */
  probeOutcome: (pod: any) => 'Succeeded' | 'Failed' = () => 'Succeeded';
  /**
   * How many reads a deleted namespace stays Terminating (kubernetes.io "Namespaces": the
   * namespace is removed only after every object in it is gone).
   * @default 2
   */
  namespaceTerminationReads = 2;
  private hpaReadsUnderLoad = 0;
  /** Reads of the lease list so far: the stand-in's clock for the kubelets' renewals. */
  private leaseReads = 0;
  /** The leases as the kubelets last renewed them (ms since the epoch), by node name. */
  private readonly leaseRenewals = new Map<string, number>();
  /** Reads of the lease list that returned a lease renewed after the kubelets came back (a test's record). */
  readonly renewedLeaseReads: number[] = [];
  private uids = 0;
  private tokens = 0;
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Resets state and records between tests. */
  reset(lab: StandInLab = healthyLab()): void {
    this.lab = lab;
    this.requests.length = 0;
    this.createdPods.clear();
    this.objects.clear();
    this.probeOutcome = () => 'Succeeded';
    this.hpaReadsUnderLoad = 0;
    this.leaseReads = 0;
    this.leaseRenewals.clear();
    this.renewedLeaseReads.length = 0;
  }

  /** Puts an object into the store as a controller would leave it (status included); its path comes from apiPath. */
  put(apiPath: string, object: any): void {
    this.objects.set(apiPath, { ...object, metadata: { uid: `uid-${++this.uids}`, generation: 1, ...object.metadata } });
  }

  /** Writes <projectDir>/.kubelab/kubeconfig pointing at this stand-in, with the lab's context name. */
  writeKubeconfig(projectDir: string, context = 'kubelab'): string {
    const file = path.join(projectDir, '.kubelab', 'kubeconfig');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        // Plain http: client-node allows it only with insecure-skip-tls-verify set.
        `clusters: [{name: ${context}, cluster: {server: '${this.url}', insecure-skip-tls-verify: true}}]`,
        `users: [{name: ${context}, user: {token: ${BEARER}}}]`,
        `contexts: [{name: ${context}, context: {cluster: ${context}, user: ${context}}}]`,
        `current-context: ${context}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return file;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      this.requests.push(recorded);
      const [status, body] = req.headers.authorization === `Bearer ${BEARER}` ? this.route(recorded) : statusBody(401, 'Unauthorized', 'Unauthorized');
      // Health endpoints answer plain text; everything else JSON.
      res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  private route(r: RecordedRequest): [number, unknown] {
    const { lab } = this;
    const p = r.path;
    if (r.method === 'GET' && p === '/readyz/etcd') return lab.etcdHealthy === false ? [500, '[-]etcd failed: reason withheld\nreadyz check failed\n'] : [200, 'ok'];
    if (r.method === 'GET' && p === '/api/v1/nodes') return [200, { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: lab.nodes.map(nodeJson) }];
    if (r.method === 'GET' && p.startsWith('/apis/metrics.k8s.io/v1beta1/')) {
      if (lab.metricsStatus !== 200) {
        return lab.metricsStatus === 503
          ? statusBody(503, 'ServiceUnavailable', 'the server is currently unable to handle the request')
          : statusBody(404, 'NotFound', 'the server could not find the requested resource');
      }
      if (p.endsWith('/nodes')) {
        return [200, { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items: lab.nodes.map((n) => ({ metadata: { name: n.name }, window: '15s', usage: { cpu: n.cpu, memory: n.memory } })) }];
      }
      if (p.endsWith('/pods')) {
        const items = lab.pods.map((pod) => ({
          metadata: { name: pod.name, namespace: pod.namespace },
          window: '15s',
          containers: [{ name: 'main', usage: { cpu: pod.cpu, memory: pod.memory } }],
        }));
        return [200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items }];
      }
    }
    if (r.method === 'GET' && p === '/apis/autoscaling/v2/namespaces/hpa-demo/horizontalpodautoscalers/php-apache') {
      return lab.hpa ? [200, this.hpaJson(lab.hpa)] : statusBody(404, 'NotFound', 'horizontalpodautoscalers.autoscaling "php-apache" not found');
    }
    const token = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/.exec(p);
    if (r.method === 'POST' && token) {
      const known = ['kubelab-admin', 'kubelab-viewer'].includes(token[2]) && ['headlamp', 'kubernetes-dashboard'].includes(token[1]);
      if (!known) return statusBody(404, 'NotFound', `serviceaccounts "${token[2]}" not found`);
      const seconds = r.body?.spec?.expirationSeconds ?? 3600;
      return [
        201,
        {
          kind: 'TokenRequest',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { name: token[2], namespace: token[1] },
          spec: r.body?.spec ?? {},
          status: { token: `stand-in-token-${++this.tokens}-for-${token[2]}`, expirationTimestamp: new Date(Date.parse('2026-08-20T12:00:00Z') + seconds * 1000).toISOString() },
        },
      ];
    }
    if (r.method === 'GET' && p === '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases') {
      return [200, { kind: 'LeaseList', apiVersion: 'coordination.k8s.io/v1', metadata: {}, items: this.readLeases() }];
    }
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(p);
    if (r.method === 'GET' && node) {
      const found = lab.nodes.find((n) => n.name === node[1]);
      return found ? [200, nodeJson(found)] : statusBody(404, 'NotFound', `nodes "${node[1]}" not found`);
    }
    const stored = this.store(r);
    if (stored) return stored;
    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(p);
    if (pods) {
      const key = `${pods[1]}/${pods[2] ?? r.body?.metadata?.name}`;
      if (r.method === 'POST') {
        if (this.createdPods.has(key)) return statusBody(409, 'AlreadyExists', `pods "${r.body?.metadata?.name}" already exists`);
        const pod = { ...r.body, metadata: { ...r.body.metadata, namespace: pods[1] }, status: { phase: 'Pending' } };
        this.createdPods.set(key, pod);
        return [201, pod];
      }
      const pod = this.createdPods.get(key);
      if (!pod) return statusBody(404, 'NotFound', `pods "${pods[2]}" not found`);
      if (r.method === 'DELETE') {
        this.createdPods.delete(key);
        return [200, pod];
      }
      if (r.method === 'GET') return [200, { ...pod, status: { phase: 'Running' } }];
    }
    if (r.method === 'GET' && p === '/api/v1/secrets') {
      const items = lab.helmReleases.map((s) => ({
        metadata: {
          name: `sh.helm.release.v1.${s.name}.v${s.revision}`,
          namespace: s.namespace,
          labels: { name: s.name, owner: 'helm', status: s.status, version: String(s.revision) },
        },
        type: 'helm.sh/release.v1',
        // Helm's gzip+base64 payload; kubelab must not need it.
        data: { release: 'SDRzSUFBQUFBQUFBLytzTC9wLWluLXBheWxvYWQ=' },
      }));
      return [200, { kind: 'SecretList', apiVersion: 'v1', metadata: {}, items }];
    }
    return statusBody(404, 'NotFound', `the stand-in does not serve ${r.method} ${p}`);
  }

  /** The object store's answer, or undefined when the request is not the store's (a legacy route answers it). */
  private store(r: RecordedRequest): [number, unknown] | undefined {
    const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(r.path);
    if (!m) return undefined;
    const [, , namespace, plural, name] = m;
    if (r.method === 'PATCH' && name) {
      if (!r.query.fieldManager) return statusBody(422, 'Invalid', 'fieldManager is required for apply requests');
      const before = this.objects.get(r.path);
      const body = r.body;
      const specChanged = JSON.stringify(before?.spec) !== JSON.stringify(body.spec);
      const generation = (before?.metadata?.generation ?? 0) + (before && !specChanged ? 0 : 1);
      const object = {
        ...before,
        ...body,
        metadata: { ...before?.metadata, ...body.metadata, ...(namespace ? { namespace } : {}), uid: before?.metadata?.uid ?? `uid-${++this.uids}`, generation },
        status: before?.status ?? this.initialStatus(body),
      };
      this.objects.set(r.path, object);
      return [before ? 200 : 201, object];
    }
    if (r.method === 'GET' && !name) {
      if (this.legacy(r.path)) return undefined;
      const prefix = `${r.path}/`;
      const wanted = (r.query.labelSelector ?? '').split(',').filter(Boolean).map((pair) => pair.split('='));
      const items = [...this.objects.entries()]
        .filter(([key, o]) => key.startsWith(prefix) && !key.slice(prefix.length).includes('/') && wanted.every(([k, v]) => o.metadata?.labels?.[k] === v))
        .map(([, o]) => o);
      return [200, { kind: 'List', apiVersion: 'v1', metadata: {}, items }];
    }
    const object = name ? this.objects.get(r.path) : undefined;
    if (!object) return r.method === 'GET' && name && !this.legacy(r.path) ? statusBody(404, 'NotFound', `${plural} "${name}" not found`) : undefined;
    if (r.method === 'GET') {
      if (object.metadata.deletionTimestamp && plural === 'namespaces' && --object.terminationReads < 0) {
        this.objects.delete(r.path);
        return statusBody(404, 'NotFound', `namespaces "${name}" not found`);
      }
      const { terminationReads: _, ...shown } = object;
      return [200, shown];
    }
    if (r.method === 'DELETE') {
      if (plural === 'namespaces') {
        for (const key of [...this.objects.keys()]) if (key.includes(`/namespaces/${name}/`)) this.objects.delete(key);
        object.metadata.deletionTimestamp = '2026-08-20T12:00:00Z';
        object.status = { phase: 'Terminating' };
        object.terminationReads = this.namespaceTerminationReads;
      } else {
        this.objects.delete(r.path);
      }
      return [200, object];
    }
    return undefined;
  }

  /**
   * One read of the lease list, one renewal interval (10 s) after the last: the running kubelets
   * (nodes with ready set, past kubeletsBootReads) renew theirs first. A lease renewed before the
   * reboot stays as it was; a node whose kubelet never ran has none.
   */
  private readLeases() {
    const read = ++this.leaseReads;
    const now = LEASE_EPOCH_MS + read * LEASE_RENEW_MS;
    const running = read > (this.lab.kubeletsBootReads ?? 0);
    for (const n of this.lab.nodes) {
      if (running && n.ready) this.leaseRenewals.set(n.name, now);
      else if (!this.leaseRenewals.has(n.name) && n.ready) this.leaseRenewals.set(n.name, LEASE_EPOCH_MS);
    }
    if (running) this.renewedLeaseReads.push(read);
    return [...this.leaseRenewals].map(([name, ms]) => ({
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date(ms).toISOString().replace('Z', '000Z') },
    }));
  }

  /** Paths the older routes answer (the HPA demo's pods and HPA, Helm's release Secrets). */
  private legacy(path: string): boolean {
    return path.startsWith('/api/v1/namespaces/hpa-demo/pods') || path.startsWith('/apis/autoscaling/v2/namespaces/hpa-demo/') || path === '/api/v1/secrets';
  }

  /** A probe pod has already run when it is first read back; anything else starts without status. */
  private initialStatus(body: any): unknown {
    if (body.kind === 'Pod' && body.metadata?.labels?.['kubelab/probe'] === 'true') return { phase: this.probeOutcome(body) };
    if (body.kind === 'Namespace') return { phase: 'Active' };
    return {};
  }

  private hpaJson(hpa: StandInHpa) {
    const loaded = hpa.underLoad && this.createdPods.has('hpa-demo/load-generator') && ++this.hpaReadsUnderLoad >= hpa.underLoad.afterReads;
    const replicas = loaded ? hpa.underLoad!.replicas : hpa.currentReplicas;
    const cpu = loaded ? hpa.underLoad!.cpu : hpa.cpu;
    const cpuMetric = { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } };
    return {
      kind: 'HorizontalPodAutoscaler',
      apiVersion: 'autoscaling/v2',
      metadata: { name: 'php-apache', namespace: 'hpa-demo' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'php-apache' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: cpuMetric }],
      },
      status: {
        currentReplicas: replicas,
        desiredReplicas: loaded ? replicas : hpa.desiredReplicas,
        currentMetrics: cpu === undefined ? null : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpu, averageValue: `${cpu * 2}m` } } }],
        conditions:
          cpu === undefined
            ? [
                {
                  type: 'ScalingActive',
                  status: 'False',
                  reason: 'FailedGetResourceMetric',
                  message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
                  lastTransitionTime: '2026-08-20T12:00:00Z',
                },
              ]
            : [{ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'ok', lastTransitionTime: '2026-08-20T12:00:00Z' }],
      },
    };
  }
}

function nodeJson(n: StandInNode) {
  return {
    metadata: {
      name: n.name,
      labels: { 'kubernetes.io/hostname': n.name, ...(n.etcd ? { 'node-role.kubernetes.io/etcd': 'true' } : {}) },
      annotations: n.flannelPublicIp ? { 'flannel.alpha.coreos.com/public-ip': n.flannelPublicIp } : {},
    },
    spec: n.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [
        n.ready
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
          : { type: 'Ready', status: 'Unknown', reason: n.reason ?? 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
      ],
      addresses: [
        { type: 'InternalIP', address: n.internalIp },
        { type: 'Hostname', address: n.name },
      ],
      nodeInfo: { kubeletVersion: n.kubeletVersion },
    },
  };
}

function statusBody(code: number, reason: string, message: string): [number, unknown] {
  return [code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }];
}

import { resolveLabConfig } from '../../config/load';
import { labUrls } from '../../config/urls';
import { parseTokenDuration } from '../../cli/cluster/dashboard-login';
import { ClusterNode, ClusterUnreachableError, LabCluster } from '../../cli/cluster/lab-cluster';
import { startLab, stopLab } from '../../cli/cluster/lab-power';
import { LabVms } from '../../cli/cluster/lab-vms';
import { cpuMillicores, memoryBytes } from '../../cli/cluster/quantity';
import { sparkline } from '../../cli/cluster/sparkline';
import { ingressAddressOf } from '../../cli/cluster/web-probe';
import { IngressStandIn, closedPort } from './ingress-standin';

const config = resolveLabConfig({}).config;

/** A recording test double of the VM power interface (the real one drives VirtualBox through cli/virtualbox). */
function recordingVms(log: string[]): LabVms {
  return {
    start: async (n) => void log.push(`start ${n.name}`),
    stop: async (n, force) => void log.push(`stop ${n.name}${force ? ' --force' : ''}`),
    state: async () => 'running',
  };
}

/** A test double of the cluster whose nodes become Ready one poll after their VM started; their kubelets renew their leases at every poll. */
function bootingCluster(log: string[]): LabCluster {
  let polls = 0;
  const nodes = (): ClusterNode[] =>
    config.nodes
      .filter((n) => log.includes(`start ${n.name}`))
      .map((n) => ({ name: n.name, ready: polls > 2, internalIp: n.ip, kubeletVersion: 'v1.36.4+k3s1', etcdMember: false }));
  const unused = () => Promise.reject(new Error('not used by start'));
  return {
    server: 'https://192.168.56.10:6443',
    nodes: async () => {
      if (++polls === 1) throw new ClusterUnreachableError('https://192.168.56.10:6443', 'ECONNREFUSED');
      return nodes();
    },
    nodeLeases: async () => nodes().map((n) => ({ name: n.name, renewTime: new Date(Date.UTC(2026, 7, 20, 12) + polls * 10_000) })),
    nodeMetrics: unused,
    podMetrics: unused,
    hpa: unused,
    requestToken: unused,
    createPod: unused,
    deletePod: unused,
    podPhase: unused,
    helmReleases: unused,
    etcdReadiness: unused,
  };
}

describe('kubelab start / stop', () => {
  const ingress = new IngressStandIn();
  beforeAll(() => ingress.start());
  afterAll(() => ingress.stop());

  test('start: server first, then agents; waits through an API that is not up yet until nodes are Ready and the URLs answer', async () => {
    const log: string[] = [];
    const out: string[] = [];
    await startLab({
      config,
      vms: recordingVms(log),
      out: (l) => out.push(l),
      connect: async () => bootingCluster(log),
      urls: labUrls(config),
      ingress: ingressAddressOf('192.168.56.10', { http: ingress.address }),
      timeoutMs: 5000,
      intervalMs: 1,
    });
    expect(log).toEqual(['start cp1', 'start w1', 'start w2']);
    expect(out).toContain('kubelab: waiting for the nodes: the API does not answer yet (cannot reach the Kubernetes API at https://192.168.56.10:6443 (ECONNREFUSED))');
    // While kubelab start waits for the API, it does not tell the user to run kubelab start.
    expect(out.filter((l) => l.includes('kubelab start'))).toEqual([]);
    expect(out).toContain('kubelab: waiting for the nodes: cp1 NotReady, w1 NotReady, w2 NotReady');
    expect(out).toContain('kubelab: all 3 nodes Ready');
    expect(out).toContain('kubelab: http://headlamp.192.168.56.10.sslip.io/headlamp/ answers');
    expect(out[out.length - 1]).toMatch(/^kubelab: the lab is up \(\d+ s\); log in to http:\/\/headlamp\.192\.168\.56\.10\.sslip\.io\/headlamp\/ with a token from: npx kubelab dashboard$/);
  });

  test('start: URLs that never answer fail at the time limit, naming the URL', async () => {
    const log: string[] = [];
    const start = startLab({
      config,
      vms: recordingVms(log),
      out: () => undefined,
      connect: async () => bootingCluster(log),
      urls: labUrls(config),
      ingress: ingressAddressOf('192.168.56.10', { http: await closedPort() }),
      timeoutMs: 200,
      intervalMs: 1,
    });
    await expect(start).rejects.toThrow(/^gave up waiting for http:\/\/192\.168\.56\.10\/ to answer after 0 s; last seen: ECONNREFUSED\. Run npx kubelab verify for details$/);
  });

  test('start: nodes that never get Ready: progress lines on a timer, then one line naming what it waited for and saw', async () => {
    const log: string[] = [];
    const out: string[] = [];
    const cluster = { ...bootingCluster(log), nodes: async () => config.nodes.map((n) => ({ name: n.name, ready: false, internalIp: n.ip, kubeletVersion: 'v1.36.4+k3s1', etcdMember: false })) };
    const start = startLab({
      config,
      vms: recordingVms(log),
      out: (l) => out.push(l),
      connect: async () => cluster,
      urls: labUrls(config),
      ingress: ingressAddressOf('192.168.56.10', { http: await closedPort() }),
      timeoutMs: 300,
      intervalMs: 20,
      progressEveryMs: 50,
    });
    await expect(start).rejects.toThrow(/^gave up waiting for the lab's 3 nodes to be Ready after 0 s; last seen: cp1 NotReady, w1 NotReady, w2 NotReady\. Run npx kubelab verify for details$/);
    expect(out.filter((l) => /^kubelab: waiting for the lab's 3 nodes to be Ready: \d+ s of 0 s \(last seen: cp1 NotReady, w1 NotReady, w2 NotReady\)$/.test(l)).length).toBeGreaterThanOrEqual(2);
  });

  test('start: an API that never answers a request ends at the time limit instead of hanging', async () => {
    const log: string[] = [];
    const cluster = { ...bootingCluster(log), nodes: () => new Promise<ClusterNode[]>(() => undefined) };
    const start = startLab({
      config,
      vms: recordingVms(log),
      out: () => undefined,
      connect: async () => cluster,
      urls: labUrls(config),
      ingress: ingressAddressOf('192.168.56.10', { http: await closedPort() }),
      timeoutMs: 200,
      intervalMs: 20,
    });
    await expect(start).rejects.toThrow(
      /^gave up waiting for the lab's 3 nodes to be Ready after 0 s; last seen: no answer from the Kubernetes API at https:\/\/192\.168\.56\.10:6443 yet\. Run npx kubelab verify for details$/,
    );
  });

  test('stop: agents first, the server last', async () => {
    const log: string[] = [];
    await stopLab({ config, vms: recordingVms(log), out: () => undefined, force: false });
    expect(log).toEqual(['stop w2', 'stop w1', 'stop cp1']);
  });
});

describe('small parts', () => {
  test('resource quantities as metrics.k8s.io reports them', () => {
    expect(cpuMillicores('251234567n')).toBeCloseTo(251.23, 1);
    expect(cpuMillicores('80m')).toBe(80);
    expect(cpuMillicores('2')).toBe(2000);
    expect(memoryBytes('1536Ki')).toBe(1536 * 1024);
    expect(memoryBytes('1Gi')).toBe(1024 ** 3);
    expect(cpuMillicores('lots')).toBeNaN();
  });

  test('sparkline: eight heights scaled to max, blanks for missing readings, last width samples', () => {
    expect(sparkline([0, 5, 10], 10, 10)).toBe('▁▅█');
    expect(sparkline([1, undefined, 20], 10, 10)).toBe('▂ █');
    expect(sparkline([1, 2, 3, 4], 4, 2)).toBe('▆█');
  });

  test('token durations: 1h, 30m, 900s; nothing under the API minimum of 10 minutes', () => {
    expect(parseTokenDuration('1h')).toBe(3600);
    expect(parseTokenDuration('30m')).toBe(1800);
    expect(() => parseTokenDuration('9m')).toThrow(/shorter than 10m/);
    expect(() => parseTokenDuration('one hour')).toThrow(/not a duration like 1h/);
  });

  test('an ingress address must be host:port', () => {
    expect(() => ingressAddressOf('192.168.56.10', { http: 'localhost' })).toThrow("'localhost' is not an address of the form host:port");
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeApiStandIn, healthyLab } from '../support/kube-api-standin';
import { CliInChild } from './cli-in-child';
import { IngressStandIn, closedPort } from './ingress-standin';

// `kubelab verify` run for real (client-node in a child process) against a
// Kubernetes API stand-in and an ingress stand-in; no cluster runs here.
const api = new KubeApiStandIn();
const ingress = new IngressStandIn();
const cli = new CliInChild();
let project: string;

beforeAll(async () => {
  await api.start();
  await ingress.start();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-verify-'));
  api.writeKubeconfig(project);
});
afterAll(async () => {
  cli.stop();
  await api.stop();
  await ingress.stop();
  fs.rmSync(project, { recursive: true, force: true });
});
beforeEach(() => api.reset());

const verify = (...args: string[]) => cli.run(['verify', '--ingress-http', ingress.address, ...args], project);
const line = (text: string, check: string) => text.split('\n').find((l) => new RegExp(`^(OK|FAIL|SKIP)\\s+${check}\\s`).test(l)) ?? '';

test('a healthy lab passes every check, one line each', async () => {
  const run = await verify();
  expect(run.code).toBe(0);
  for (const check of ['nodes', 'metrics', 'ingress', 'dashboard', 'hpa']) expect(line(run.text, check)).toMatch(/^OK /);
  expect(line(run.text, 'nodes')).toContain('cp1 192.168.56.10, w1 192.168.56.11, w2 192.168.56.12: all Ready (v1.36.4+k3s1)');
  expect(line(run.text, 'metrics')).toMatch(/node metrics .*cp1 251m\/1\.1Gi.*pod metrics for 2 pods/);
  expect(line(run.text, 'dashboard')).toContain('http://headlamp.192.168.56.10.sslip.io/headlamp/ (HTTP 200), http://192.168.56.10/headlamp/ (HTTP 200)');
  expect(line(run.text, 'hpa')).toContain('HPA php-apache reads CPU 0%/50%, 1 replica (1..10)');
  expect(run.text).toContain('kubelab: verify passed (5 checks)');
  // The API was asked what the checks claim, with the lab's credentials.
  const paths = api.requests.map((r) => `${r.method} ${r.path}`);
  expect(paths).toEqual(
    expect.arrayContaining([
      'GET /api/v1/nodes',
      'GET /apis/metrics.k8s.io/v1beta1/nodes',
      'GET /apis/metrics.k8s.io/v1beta1/pods',
      'GET /apis/autoscaling/v2/namespaces/hpa-demo/horizontalpodautoscalers/php-apache',
    ]),
  );
  expect(api.requests.every((r) => r.authorization === 'Bearer kube-api-standin-bearer')).toBe(true);
  // The ingress saw the sslip.io host names without any DNS lookup.
  expect(ingress.requests).toEqual(expect.arrayContaining([{ host: 'headlamp.192.168.56.10.sslip.io', path: '/headlamp/' }]));
});

test('a lab without components passes on its one check, said in the singular', async () => {
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-verify-bare-'));
  try {
    api.writeKubeconfig(bare);
    fs.writeFileSync(
      path.join(bare, 'kubelab.config.yaml'),
      'components:\n  ingress: { enabled: false }\n  metricsServer: { enabled: false }\n  dashboard: { enabled: false }\n  hpaDemo: { enabled: false }\n',
    );
    const run = await cli.run(['verify'], bare);
    expect(run.code).toBe(0);
    expect(line(run.text, 'nodes')).toMatch(/^OK /);
    expect(run.text).toContain('kubelab: verify passed (1 check)');
  } finally {
    fs.rmSync(bare, { recursive: true, force: true });
  }
});

test('a NotReady node fails the nodes check, naming the node and where to look', async () => {
  const lab = healthyLab();
  lab.nodes[1] = { ...lab.nodes[1], ready: false, reason: 'NodeStatusUnknown' };
  api.reset(lab);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(line(run.text, 'nodes')).toMatch(/^FAIL .*node w1 is NotReady \(NodeStatusUnknown: Kubelet stopped posting node status\.\).*npx kubelab ssh w1 "sudo systemctl status k3s-agent"/);
  expect(run.err.join('\n')).toContain('verify failed: first broken check: nodes');
});

test('a node on the NAT address 10.0.2.15 fails with the --node-ip explanation', async () => {
  const lab = healthyLab();
  lab.nodes[0] = { ...lab.nodes[0], internalIp: '10.0.2.15' };
  api.reset(lab);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(line(run.text, 'nodes')).toMatch(/node cp1 reports InternalIP 10\.0\.2\.15, the VirtualBox NAT address .*--node-ip 192\.168\.56\.10 --flannel-iface enp0s8/);
  expect(run.err.join('\n')).toContain('first broken check: nodes');
});

test("a node whose flannel announces another address than its own fails: the other nodes would send its pods' traffic there", async () => {
  const lab = healthyLab();
  lab.nodes[2] = { ...lab.nodes[2], flannelPublicIp: '10.0.2.15' };
  api.reset(lab);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(line(run.text, 'nodes')).toMatch(
    /^FAIL .*node w2's flannel announces 10\.0\.2\.15 \(annotation flannel\.alpha\.coreos\.com\/public-ip\), not its 192\.168\.56\.12: .*8472\/udp.*--flannel-iface enp0s8/,
  );
  expect(line(run.text, 'nodes')).not.toMatch(/node (cp1|w1)/);
});

test('a metrics API answering 503 fails the metrics check with its own message', async () => {
  api.reset({ ...healthyLab(), metricsStatus: 503 });
  const run = await verify();
  expect(run.code).toBe(1);
  expect(line(run.text, 'nodes')).toMatch(/^OK /);
  expect(line(run.text, 'metrics')).toMatch(/^FAIL .*answered 503 Service Unavailable for node metrics: metrics-server is not ready .*port 10250/);
  expect(line(run.text, 'metrics')).toContain('npx kubelab ssh cp1 "sudo k3s kubectl -n kube-system logs deploy/metrics-server"');
  expect(run.err.join('\n')).toContain('first broken check: metrics');
});

test('a metrics API that is not registered says to deploy the metrics-server stack', async () => {
  api.reset({ ...healthyLab(), metricsStatus: 404 });
  const run = await verify();
  expect(line(run.text, 'metrics')).toMatch(/^FAIL .*not registered.*npm run up -- metrics-server/);
});

test('an HPA showing <unknown> fails the hpa check with the HPA\'s own reason', async () => {
  api.reset({ ...healthyLab(), hpa: { currentReplicas: 1, desiredReplicas: 1, cpu: undefined } });
  const run = await verify();
  expect(run.code).toBe(1);
  expect(line(run.text, 'hpa')).toMatch(/^FAIL .*HPA php-apache shows CPU <unknown> \(FailedGetResourceMetric: .*no metrics returned from resource metrics API\)/);
  expect(run.err.join('\n')).toContain('first broken check: hpa');
});

test('a missing HPA says which stack to deploy', async () => {
  api.reset({ ...healthyLab(), hpa: undefined });
  const run = await verify();
  expect(line(run.text, 'hpa')).toMatch(/^FAIL .*HPA hpa-demo\/php-apache not found.*npm run up -- workloads/);
});

test('an ingress that does not answer fails the ingress check first, then the dashboard', async () => {
  const run = await cli.run(['verify', '--ingress-http', await closedPort()], project);
  expect(run.code).toBe(1);
  expect(line(run.text, 'ingress')).toMatch(/^FAIL .*nothing answers http on 127\.0\.0\.1:\d+ \(ECONNREFUSED\): Traefik or K3s ServiceLB is not running/);
  expect(line(run.text, 'dashboard')).toMatch(/^FAIL .*does not answer/);
  expect(run.err.join('\n')).toContain('first broken check: ingress');
});

test('an unreachable API fails the API checks without waiting on each', async () => {
  const dead = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-verify-dead-'));
  fs.mkdirSync(path.join(dead, '.kubelab'));
  fs.writeFileSync(path.join(dead, '.kubelab', 'kubeconfig'), fs.readFileSync(path.join(project, '.kubelab', 'kubeconfig'), 'utf8').replace(api.url, `http://${await closedPort()}`));
  const run = await cli.run(['verify', '--ingress-http', ingress.address], dead);
  expect(line(run.text, 'nodes')).toMatch(/^FAIL .*cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*npx kubelab start/);
  expect(line(run.text, 'metrics')).toMatch(/^FAIL\s+metrics\s+not checked: cannot reach/);
  fs.rmSync(dead, { recursive: true, force: true });
});

test('no kubeconfig yet: one clear error saying to deploy first', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-verify-empty-'));
  const run = await cli.run(['verify'], empty);
  expect(run.code).toBe(1);
  expect(run.err.join('\n')).toMatch(/no kubeconfig at .*kubeconfig yet.*Run npm run up first/);
  fs.rmSync(empty, { recursive: true, force: true });
});

describe('verify --load', () => {
  test('passes when replicas rise above 1, reports the time, and stops the load it started', async () => {
    api.reset({ ...healthyLab(), hpa: { currentReplicas: 1, desiredReplicas: 1, cpu: 0, underLoad: { afterReads: 3, replicas: 4, cpu: 212 } } });
    const run = await verify('--load', '--interval', '0.02', '--timeout', '10s');
    expect(run.code).toBe(0);
    expect(run.text).toContain('kubelab: load generator started');
    expect(run.text).toMatch(/^OK\s+hpa\s+load test: scaled to 4 replicas after \d+ s under load \(CPU 212%\)$/m);
    expect(run.text).toContain('kubelab: load generator stopped');
    expect(run.text).toContain('verify passed (5 checks and the load test)');
    const created = api.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/hpa-demo/pods');
    expect(created?.body.spec.containers[0]).toMatchObject({ image: 'busybox:1.32.0', command: ['/bin/sh', '-c', expect.stringContaining('wget -q -O /dev/null --post-data= "http://php-apache/ConsumeCPU?')] });
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/hpa-demo/pods/load-generator')).toBe(true);
    expect(api.createdPods.size).toBe(0);
  });

  test('fails when the HPA does not scale within the time limit, and still stops the load', async () => {
    const run = await verify('--load', '--interval', '0.02', '--timeout', '0.3s');
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(/load: php-apache stayed at 1 replica for \d+ s under load \(CPU 0%, target 50%\)/);
    expect(api.createdPods.size).toBe(0);
  });
});

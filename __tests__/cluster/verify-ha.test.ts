import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { KubeApiStandIn, StandInLab, StandInNode, healthyLab } from '../support/kube-api-standin';
import { HA_NODES } from '../support/lab-shapes';
import { CliInChild } from './cli-in-child';
import { IngressStandIn } from './ingress-standin';

// `kubelab verify` of a 3-server lab, for real (client-node in a child process) against
// the Kubernetes API stand-in; no cluster runs here.
const api = new KubeApiStandIn();
const ingress = new IngressStandIn();
const cli = new CliInChild();
let project: string;

/** The HA lab healthy: cp1..cp3 servers with etcd members, w1 and w2 agents. */
function haLab(): StandInLab {
  const lab = healthyLab();
  const template = lab.nodes[0];
  lab.nodes = HA_NODES.map((n): StandInNode => ({ ...template, name: n.name, internalIp: n.ip, etcd: n.role === 'server' }));
  return lab;
}

beforeAll(async () => {
  await api.start();
  await ingress.start();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-verify-ha-'));
  api.writeKubeconfig(project);
  fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), stringify({ nodes: HA_NODES }));
});
afterAll(async () => {
  cli.stop();
  await api.stop();
  await ingress.stop();
  fs.rmSync(project, { recursive: true, force: true });
});

const verify = () => cli.run(['verify', '--ingress-http', ingress.address], project);
const line = (text: string, check: string) => text.split('\n').find((l) => new RegExp(`^(OK|FAIL|SKIP)\\s+${check}\\s`).test(l)) ?? '';

test('a healthy 3-server lab passes the etcd check, which asked the API server for /readyz/etcd', async () => {
  api.reset(haLab());
  const run = await verify();
  expect(line(run.text, 'etcd')).toMatch(/^OK\s+etcd\s+cp1, cp2, cp3: 3 etcd members, all Ready; \/readyz\/etcd ok$/);
  expect(api.requests.map((r) => `${r.method} ${r.path}`)).toContain('GET /readyz/etcd');
});

test('etcd reported unhealthy by the API server fails the check with what it said', async () => {
  api.reset({ ...haLab(), etcdHealthy: false });
  const run = await verify();
  expect(run.code).toBe(1);
  expect(line(run.text, 'etcd')).toMatch(/^FAIL\s+etcd\s+.*GET \/readyz\/etcd on http:\/\/127\.0\.0\.1:\d+\) answered 500: \[-\]etcd failed: reason withheld/);
});

test('a server that is down or never joined etcd, and a removed server still in etcd, are each named', async () => {
  const lab = haLab();
  lab.nodes[1] = { ...lab.nodes[1], ready: false };
  lab.nodes[2] = { ...lab.nodes[2], etcd: false };
  lab.nodes.push({ ...lab.nodes[0], name: 'cp4', internalIp: '192.168.56.13', etcd: true });
  api.reset(lab);
  const run = await verify();
  const etcd = line(run.text, 'etcd');
  expect(etcd).toContain('server cp2 is NotReady, so the cluster has 2 of 3 etcd members');
  expect(etcd).toContain('server cp3 runs no etcd member');
  expect(etcd).toContain('cp4 still run etcd but are not servers in the lab config');
});

test('a single-server lab has no etcd check line', async () => {
  fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), '');
  try {
    api.reset(healthyLab());
    const run = await verify();
    expect(line(run.text, 'etcd')).toBe('');
    expect(api.requests.some((r) => r.path === '/readyz/etcd')).toBe(false);
  } finally {
    fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), stringify({ nodes: HA_NODES }));
  }
});

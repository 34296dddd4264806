import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeApiStandIn, healthyLab } from '../support/kube-api-standin';
import { CliInChild } from './cli-in-child';

// `kubelab dashboard`, `load` and `status` run for real (client-node in a child
// process) against the Kubernetes API stand-in; no cluster runs here.
const api = new KubeApiStandIn();
const cli = new CliInChild();
let project: string;

beforeAll(async () => {
  await api.start();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-day-two-'));
  api.writeKubeconfig(project);
});
afterAll(async () => {
  cli.stop();
  await api.stop();
  fs.rmSync(project, { recursive: true, force: true });
});
beforeEach(() => api.reset());

/** Every file under dir, as text. */
function allText(dir: string): string {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? allText(path.join(dir, e.name)) : fs.readFileSync(path.join(dir, e.name), 'utf8')))
    .join('\n');
}

describe('kubelab dashboard', () => {
  test('prints the URL, the bare-IP fallback and a fresh TokenRequest token for kubelab-admin, and stores nothing', async () => {
    const before = allText(project);
    const run = await cli.run(['dashboard'], project);
    expect(run.code).toBe(0);
    expect(run.out[0]).toBe('Dashboard (Headlamp): http://headlamp.192.168.56.10.sslip.io/headlamp/');
    expect(run.text).toContain('without DNS (sslip.io unreachable): http://192.168.56.10/headlamp/');
    expect(run.text).toContain('Token for ServiceAccount headlamp/kubelab-admin (cluster-admin: full control, a lab-only choice), valid until 2026-08-20 13:00 UTC:');
    expect(run.out).toContain('stand-in-token-1-for-kubelab-admin');
    const request = api.requests.find((r) => r.method === 'POST');
    expect(request?.path).toBe('/api/v1/namespaces/headlamp/serviceaccounts/kubelab-admin/token');
    expect(request?.body).toMatchObject({ kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600 } });
    expect(allText(project)).toBe(before);

    const again = await cli.run(['dashboard'], project);
    expect(again.out).toContain('stand-in-token-2-for-kubelab-admin');
  });

  test('--read-only asks for the kubelab-viewer token, --duration sets its lifetime', async () => {
    const run = await cli.run(['dashboard', '--read-only', '--duration', '30m'], project);
    expect(run.code).toBe(0);
    expect(run.text).toContain('headlamp/kubelab-viewer (read-only: the built-in view role)');
    expect(api.requests[0].path).toBe('/api/v1/namespaces/headlamp/serviceaccounts/kubelab-viewer/token');
    expect(api.requests[0].body.spec.expirationSeconds).toBe(1800);
  });

  test('a duration under the API minimum is refused before any request', async () => {
    const run = await cli.run(['dashboard', '--duration', '5m'], project);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toContain("--duration '5m' is shorter than 10m");
    expect(api.requests).toHaveLength(0);
  });

  test('the legacy Kubernetes Dashboard: https URL, its namespace, and the https-only login explained', async () => {
    const legacy = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-legacy-'));
    fs.writeFileSync(path.join(legacy, 'kubelab.config.yaml'), 'components:\n  dashboard:\n    kind: kubernetes-dashboard\n');
    api.writeKubeconfig(legacy);
    const run = await cli.run(['dashboard'], legacy);
    expect(run.code).toBe(0);
    expect(run.out[0]).toBe('Dashboard (Kubernetes Dashboard): https://dashboard.192.168.56.10.sslip.io/');
    expect(run.text).toContain('accepts a token only over https');
    expect(api.requests[0].path).toBe('/api/v1/namespaces/kubernetes-dashboard/serviceaccounts/kubelab-admin/token');
    fs.rmSync(legacy, { recursive: true, force: true });
  });
});

describe('kubelab load', () => {
  test('start creates the walkthrough load generator once; stop deletes it once', async () => {
    const first = await cli.run(['load', 'start'], project);
    expect(first.out).toEqual(['kubelab: load generator started; watch the HPA with: npx kubelab load watch']);
    const pod = api.createdPods.get('hpa-demo/load-generator');
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      containers: [
        {
          name: 'load-generator',
          image: 'busybox:1.32.0',
          command: ['/bin/sh', '-c', 'while sleep 0.1; do wget -q -O /dev/null --post-data= "http://php-apache/ConsumeCPU?millicores=50&durationSec=1"; done'],
        },
      ],
    });
    expect((await cli.run(['load', 'start'], project)).out).toEqual(['kubelab: the load generator is already running; nothing to do']);
    expect((await cli.run(['load', 'stop'], project)).out).toEqual(['kubelab: load generator stopped']);
    expect((await cli.run(['load', 'stop'], project)).out).toEqual(['kubelab: no load generator is running; nothing to do']);
    expect(api.createdPods.size).toBe(0);
  });

  test('watch draws replicas and CPU with sparklines, one sample per interval', async () => {
    api.reset({ ...healthyLab(), hpa: { currentReplicas: 1, desiredReplicas: 1, cpu: 10, underLoad: { afterReads: 3, replicas: 5, cpu: 150 } } });
    await cli.run(['load', 'start'], project);
    const run = await cli.run(['load', 'watch', '--samples', '4', '--interval', '0.01'], project);
    expect(run.code).toBe(0);
    expect(run.out).toHaveLength(4);
    expect(run.out[0]).toMatch(/^\d\d:\d\d:\d\d {2}replicas 1 of 10 +▂ +cpu 10%\/50% +▂$/);
    expect(run.out[3]).toMatch(/replicas 5 of 10 +▂▂▅▅ +cpu 150%\/50% +▁▁██$/);
  });

  test('watch on a lab without the HPA says which stack to deploy', async () => {
    api.reset({ ...healthyLab(), hpa: undefined });
    const run = await cli.run(['load', 'watch', '--samples', '1'], project);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toContain('HPA hpa-demo/php-apache not found: the workloads stack is not deployed; run: npm run up -- workloads');
  });
});

describe('kubelab status', () => {
  test('one table: VMs, nodes, the latest revision of each Helm release (labels only) and the URLs', async () => {
    const lab = healthyLab();
    lab.nodes[2] = { ...lab.nodes[2], ready: false };
    api.reset(lab);
    const run = await cli.run(['status'], project);
    expect(run.code).toBe(0);
    const rows = run.out.map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['WHAT', 'NAME', 'STATE', 'DETAIL']);
    // No VirtualBox on this machine: the VM rows say so and the rest still shows.
    expect(rows).toContainEqual(['vm', 'kubelab-cp1', 'unknown (VirtualBox not found)', 'server, host-only IP 192.168.56.10']);
    expect(rows).toContainEqual(['node', 'cp1', 'Ready', 'K3s v1.36.4+k3s1, InternalIP 192.168.56.10']);
    expect(rows).toContainEqual(['node', 'w2', 'NotReady', 'K3s v1.36.4+k3s1, InternalIP 192.168.56.12']);
    expect(rows).toContainEqual(['release', 'traefik/traefik', 'deployed', 'revision 2']);
    expect(rows.filter((r) => r[1] === 'traefik/traefik')).toHaveLength(1);
    expect(rows).toContainEqual(['url', 'headlamp', '-', 'http://headlamp.192.168.56.10.sslip.io/headlamp/', '(without DNS: http://192.168.56.10/headlamp/)']);
    expect(rows).toContainEqual(['url', 'hpa demo', '-', 'http://php-apache.192.168.56.10.sslip.io/']);
    const secrets = api.requests.find((r) => r.path === '/api/v1/secrets');
    expect(secrets?.query).toMatchObject({ labelSelector: 'owner=helm', fieldSelector: 'type=helm.sh/release.v1' });
  });

  test('before the first deploy: the VMs and URLs, and why nodes and releases are unknown', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-fresh-'));
    const run = await cli.run(['status'], fresh);
    expect(run.code).toBe(0);
    expect(run.text).toMatch(/cluster +- +unknown +nodes and Helm releases unknown: no kubeconfig at .* yet/);
    expect(run.text).toContain('http://php-apache.192.168.56.10.sslip.io/');
    fs.rmSync(fresh, { recursive: true, force: true });
  });
});

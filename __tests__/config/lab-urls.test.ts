import { resolveLabConfig } from '../../config/load';
import { labUrls } from '../../config/urls';
import { dashboardLogin } from '../../cli/cluster/dashboard-login';
import { LabCluster } from '../../cli/cluster/lab-cluster';
import { startLoad, stopLoad } from '../../cli/cluster/load-generator';

/**
 * The addresses users open and the names they look things up by, as docs/using-the-lab.md
 * states them for the default config (its URL table, "Day-two commands", "Logging in to the
 * dashboard").
 */
const urlsOf = (overrides: unknown = {}) => labUrls(resolveLabConfig(overrides).config);
const legacy = { components: { dashboard: { kind: 'kubernetes-dashboard' } } };

describe('the URL table of docs/using-the-lab.md, default config', () => {
  test('Headlamp: by hostname and on the bare IP, both under /headlamp; the ingress on the bare IP', () => {
    const urls = urlsOf();
    expect(urls.ingressIp).toBe('192.168.56.10');
    expect(urls.ingress).toBe('http://192.168.56.10/');
    expect(urls.dashboard).toMatchObject({ kind: 'headlamp', url: 'http://headlamp.192.168.56.10.sslip.io/headlamp/', fallbackUrl: 'http://192.168.56.10/headlamp/' });
    // What the route matches: the URL's host, and the path Headlamp serves under (its baseURL).
    expect(urls.dashboard).toMatchObject({ host: 'headlamp.192.168.56.10.sslip.io', path: '/headlamp' });
  });

  test('the legacy Kubernetes Dashboard: https by hostname and on the bare IP, at the root', () => {
    const { dashboard } = urlsOf(legacy);
    expect(dashboard).toMatchObject({ kind: 'kubernetes-dashboard', url: 'https://dashboard.192.168.56.10.sslip.io/', fallbackUrl: 'https://192.168.56.10/' });
    expect(dashboard).toMatchObject({ host: 'dashboard.192.168.56.10.sslip.io', path: '/' });
  });

  test('the HPA demo: by hostname only, at the root (the demo app serves there)', () => {
    expect(urlsOf().hpaDemo).toEqual({ host: 'php-apache.192.168.56.10.sslip.io', path: '/', url: 'http://php-apache.192.168.56.10.sslip.io/' });
  });
});

test("every address is on the first server's host-only IP, not the first node's", () => {
  const nodes = [
    { name: 'w1', role: 'agent', ip: '192.168.56.21' },
    { name: 'cp1', role: 'server', ip: '192.168.56.30' },
    { name: 'cp2', role: 'server', ip: '192.168.56.31' },
    { name: 'cp3', role: 'server', ip: '192.168.56.32' },
  ];
  const urls = urlsOf({ nodes });
  expect(urls.ingressIp).toBe('192.168.56.30');
  expect([urls.ingress, urls.dashboard!.url, urls.dashboard!.fallbackUrl, urls.hpaDemo!.url].map((u) => new URL(u).hostname)).toEqual([
    '192.168.56.30',
    'headlamp.192.168.56.30.sslip.io',
    '192.168.56.30',
    'php-apache.192.168.56.30.sslip.io',
  ]);
});

test('a component that is off has no address; the other keeps its own', () => {
  const noDashboard = urlsOf({ components: { dashboard: { enabled: false } } });
  expect(noDashboard.dashboard).toBeUndefined();
  expect(noDashboard.hpaDemo?.url).toBe('http://php-apache.192.168.56.10.sslip.io/');
  const noDemo = urlsOf({ components: { hpaDemo: { enabled: false } } });
  expect(noDemo.hpaDemo).toBeUndefined();
  expect(noDemo.dashboard?.url).toBe('http://headlamp.192.168.56.10.sslip.io/headlamp/');
});

describe('the names users look things up by', () => {
  // A namespace name is an RFC 1123 label: kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/
  // validation.go, dns1123LabelFmt (read at commit 008b365; 63 characters at most, far from these).
  const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  test.each([
    ['headlamp', {}],
    ['kubernetes-dashboard', legacy],
  ])('%s: `npx kubelab dashboard` asks a token for kubelab-admin, or kubelab-viewer with --read-only, in the dashboard\'s namespace', async (_kind, overrides) => {
    const dashboard = urlsOf(overrides).dashboard!;
    const asked: [string, string][] = [];
    const cluster = { requestToken: async (namespace: string, account: string) => (asked.push([namespace, account]), { token: 't' }) } as unknown as LabCluster;
    const admin = await dashboardLogin(cluster, dashboard, { readOnly: false, seconds: 3600 });
    await dashboardLogin(cluster, dashboard, { readOnly: true, seconds: 3600 });
    expect(asked).toEqual([
      [dashboard.namespace, 'kubelab-admin'],
      [dashboard.namespace, 'kubelab-viewer'],
    ]);
    expect(dashboard.namespace).toMatch(DNS1123_LABEL);
    expect(admin).toContain(`  without DNS (sslip.io unreachable): ${dashboard.fallbackUrl}`);
  });

  test('`npx kubelab load start` / `stop`: the pod hpa-demo/load-generator, loading the php-apache Service', async () => {
    const calls: string[] = [];
    const cluster = {
      createPod: async (namespace: string, pod: { metadata: { name: string }; spec: { containers: { command: string[] }[] } }) => {
        calls.push(`create ${namespace}/${pod.metadata.name}`);
        expect(pod.spec.containers[0].command.join(' ')).toContain('http://php-apache/');
        return 'created';
      },
      deletePod: async (namespace: string, name: string) => (calls.push(`delete ${namespace}/${name}`), 'deleted'),
    } as unknown as LabCluster;
    await startLoad(cluster);
    await stopLoad(cluster);
    expect(calls).toEqual(['create hpa-demo/load-generator', 'delete hpa-demo/load-generator']);
  });
});

import * as os from 'os';
import { Testing, TerraformStack } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { resolveLabConfig } from '../../config/load';
import { labUrls } from '../../config/urls';
import { dashboardLogin } from '../../cli/cluster/dashboard-login';
import { LabCluster } from '../../cli/cluster/lab-cluster';
import { ChartRelease } from '../../constructs/chart-release';
import { HpaDemo } from '../../constructs/hpa-demo';
import { LabNamespace } from '../../constructs/lab-namespace';
import { SystemNamespace } from '../../constructs/system-namespace';
import { WebRoute } from '../../constructs/web-route';
import { DashboardStack } from '../../stacks/dashboard-stack';
import { IngressStack } from '../../stacks/ingress-stack';
import { MetricsServerStack } from '../../stacks/metrics-server-stack';
import { WorkloadsStack } from '../../stacks/workloads-stack';

/**
 * The cluster's apps as Terraform sees them, synthesized in this process: which namespace each
 * object lands in and what it waits for (depends_on), and how a route, a Service and a chart's
 * values have to agree for a request to arrive.
 */
const app = () => Testing.app({ outdir: os.tmpdir() });
const synth = (stack: TerraformStack): Record<string, any> => JSON.parse(Testing.synth(stack));
const only = (json: Record<string, any>, type: string): any => {
  const found = Object.values<any>(json.resource?.[type] ?? {});
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
const inStack = (build: (stack: TerraformStack) => void) => {
  const stack = new TerraformStack(app(), 'stack');
  build(stack);
  return synth(stack);
};
const configOf = (overrides: unknown = {}) => resolveLabConfig(overrides).config;
const chart = { repository: 'https://charts.invalid/', chart: 'demo' };

describe('ChartRelease', () => {
  test("in a lab namespace: installed into it after it exists, never creating it, the values one JSON document, waited for and rolled back on failure", () => {
    const values = { nested: { list: [1, 'two'], flag: false }, plain: 'x' };
    const json = inStack((stack) => new ChartRelease(stack, 'demo-release', { chart, version: '1.2.3', namespace: new LabNamespace(stack, 'ns', { name: 'demo' }), values }));
    const release = only(json, 'helm_release');
    expect(release).toMatchObject({ name: 'demo-release', repository: chart.repository, chart: 'demo', version: '1.2.3', create_namespace: false, wait: true, atomic: true });
    expect(release.namespace).toBe('demo');
    expect(release.depends_on).toEqual(['kubernetes_namespace_v1.ns']);
    expect(release.values).toHaveLength(1);
    expect(JSON.parse(release.values[0])).toEqual(values);
    // A failed install of a lab chart must not hang Terraform forever: it has a bound.
    expect(release.timeout).toBeGreaterThan(0);
  });

  test('in a namespace Kubernetes keeps itself: nothing to wait for', () => {
    const release = only(inStack((stack) => new ChartRelease(stack, 'sys', { chart, version: '1.0.0', namespace: SystemNamespace.KUBE_SYSTEM, values: {} })), 'helm_release');
    expect(release.namespace).toBe('kube-system');
    expect(release.create_namespace).toBe(false);
    expect(release.depends_on).toBeUndefined();
  });

  test('something that depends on a release waits for the release itself', () => {
    const json = inStack((stack) => {
      const release = new ChartRelease(stack, 'first', { chart, version: '1.0.0', namespace: SystemNamespace.KUBE_SYSTEM, values: {} });
      new NamespaceV1(stack, 'after', { metadata: { name: 'after' }, dependsOn: [release] });
    });
    expect(only(json, 'kubernetes_namespace_v1').depends_on).toEqual([`helm_release.${Object.keys(json.resource.helm_release)[0]}`]);
  });
});

describe('LabNamespace', () => {
  test('names the namespace it creates, marked as the lab\'s', () => {
    let made: LabNamespace | undefined;
    const ns = only(inStack((stack) => (made = new LabNamespace(stack, 'ns', { name: 'apps' }))), 'kubernetes_namespace_v1');
    expect(ns.metadata.name).toBe('apps');
    expect(made!.namespaceName).toBe(ns.metadata.name);
    expect(Object.keys(ns.metadata.labels)).toHaveLength(1);
    expect(ns.metadata.labels['app.kubernetes.io/part-of']).toBeTruthy();
  });
});

describe('WebRoute', () => {
  const route = (props: Partial<ConstructorParameters<typeof WebRoute>[2]> = {}) => {
    let made: WebRoute | undefined;
    const json = inStack((stack) => {
      const namespace = new LabNamespace(stack, 'ns', { name: 'web' });
      made = new WebRoute(stack, 'site', { host: 'site.example.test', backend: { namespace, name: 'svc', port: 8080 }, ...props });
    });
    return { ingress: only(json, 'kubernetes_ingress_v1'), made: made! };
  };

  test('by default: everything under / on the host goes to the Service, over http, created after the namespace', () => {
    const { ingress, made } = route();
    expect(ingress.metadata).toMatchObject({ name: 'site', namespace: 'web' });
    expect(ingress.depends_on).toEqual(['kubernetes_namespace_v1.ns']);
    expect(ingress.spec.rule).toEqual([
      { host: 'site.example.test', http: { path: [{ path: '/', path_type: 'Prefix', backend: { service: { name: 'svc', port: { number: 8080 } } } }] } },
    ]);
    expect(ingress.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'web' });
    expect([made.host, made.path, made.backend.name]).toEqual(['site.example.test', '/', 'svc']);
  });

  test('a path, https and the bare IP: the same path on a host-less rule, on the TLS entrypoint', () => {
    const { ingress, made } = route({ path: '/app', https: true, onBareIp: true });
    const http = { path: [{ path: '/app', path_type: 'Prefix', backend: { service: { name: 'svc', port: { number: 8080 } } } }] };
    expect(ingress.spec.rule).toEqual([{ host: 'site.example.test', http }, { http }]);
    expect(ingress.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' });
    expect(made.path).toBe('/app');
  });

  test('asks for the IngressClass the lab\'s Traefik release creates', () => {
    const config = configOf();
    const traefik = only(synth(new IngressStack(app(), 'ingress', { config })), 'helm_release');
    expect(route().ingress.spec.ingress_class_name).toBe(JSON.parse(traefik.values[0]).ingressClass.name);
  });
});

describe('the ingress and metrics-server stacks', () => {
  test('Traefik: its release waits for its own namespace and publishes the ServiceLB address on Ingress status', () => {
    const stack = new IngressStack(app(), 'ingress', { config: configOf() });
    const json = synth(stack);
    const ns = only(json, 'kubernetes_namespace_v1');
    const release = only(json, 'helm_release');
    expect(release.namespace).toBe(ns.metadata.name);
    expect(release.depends_on).toEqual([`kubernetes_namespace_v1.${Object.keys(json.resource.kubernetes_namespace_v1)[0]}`]);
    expect(JSON.parse(release.values[0]).providers).toEqual({ kubernetesIngress: { publishedService: { enabled: true } } });
    expect(stack.controller?.release.namespace.namespaceName).toBe(release.namespace);
  });

  test('Traefik skips backend certificate checks for the legacy dashboard only while that dashboard is on', () => {
    const config = configOf({ components: { dashboard: { enabled: false, kind: 'kubernetes-dashboard' } } });
    const values = JSON.parse(only(synth(new IngressStack(app(), 'ingress', { config })), 'helm_release').values[0]);
    expect(values.additionalArguments).toBeUndefined();
    const on = configOf({ components: { dashboard: { kind: 'kubernetes-dashboard' } } });
    expect(JSON.parse(only(synth(new IngressStack(app(), 'ingress', { config: on })), 'helm_release').values[0]).additionalArguments).toHaveLength(1);
  });

  test('off: no release, no controller; the chart version is the configured one', () => {
    const off = new IngressStack(app(), 'ingress', { config: configOf({ components: { ingress: { enabled: false }, dashboard: { enabled: false }, hpaDemo: { enabled: false } } }) });
    expect(off.controller).toBeUndefined();
    expect(synth(off).resource).toBeUndefined();
    const config = configOf();
    const metrics = only(synth(new MetricsServerStack(app(), 'metrics-server', { config })), 'helm_release');
    expect(metrics.version).toBe(config.components.metricsServer.chartVersion);
    expect(metrics.namespace).toBe(SystemNamespace.KUBE_SYSTEM.namespaceName);
    const noMetrics = configOf({ components: { metricsServer: { enabled: false }, hpaDemo: { enabled: false } } });
    expect(synth(new MetricsServerStack(app(), 'metrics-server', { config: noMetrics })).resource).toBeUndefined();
  });
});

describe('the dashboard stack', () => {
  test('Headlamp: the route reaches the Service its values name, under the path Headlamp serves, in the namespace its release waits for', () => {
    const json = synth(new DashboardStack(app(), 'dashboard', { config: configOf() }));
    const release = only(json, 'helm_release');
    const values = JSON.parse(release.values[0]);
    const ingress = only(json, 'kubernetes_ingress_v1');
    const paths = ingress.spec.rule.map((r: any) => r.http.path[0]);
    expect(paths.length).toBe(2);
    for (const p of paths) {
      expect(p.backend.service).toEqual({ name: values.fullnameOverride, port: { number: values.service.port } });
      expect(p.path).toBe(values.config.baseURL);
    }
    expect(ingress.metadata.namespace).toBe(release.namespace);
    expect(release.depends_on).toEqual(ingress.depends_on);
    expect(values.clusterRoleBinding).toEqual({ create: false });
  });

  test('Headlamp: the chart version is the configured one when set, the pinned one otherwise', () => {
    const pinned = only(synth(new DashboardStack(app(), 'dashboard', { config: configOf() })), 'helm_release').version;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const set = only(synth(new DashboardStack(app(), 'dashboard', { config: configOf({ components: { dashboard: { chartVersion: '0.44.0' } } }) })), 'helm_release');
    expect(set.version).toBe('0.44.0');
  });

  const kinds = ['headlamp', 'kubernetes-dashboard'] as const;
  const dashboardOf = (kind: (typeof kinds)[number], dashboard: Record<string, unknown> = {}) => {
    const config = configOf({ components: { dashboard: { kind, ...dashboard } } });
    return { config, url: labUrls(config).dashboard!, json: synth(new DashboardStack(app(), 'dashboard', { config })) };
  };

  test.each(kinds)('%s: the accounts `npx kubelab dashboard` asks a token for are ServiceAccounts in the dashboard\'s namespace, made after it', async (kind) => {
    const { url, json } = dashboardOf(kind);
    const ns = only(json, 'kubernetes_namespace_v1');
    const accounts = Object.values<any>(json.resource.kubernetes_service_account_v1);
    // What the CLI asks the TokenRequest API for, with the read-only flag and without it.
    const asked: string[] = [];
    const cluster = { requestToken: async (namespace: string, account: string) => (asked.push(`${namespace}/${account}`), { token: 't' }) } as unknown as LabCluster;
    for (const readOnly of [false, true]) await dashboardLogin(cluster, url, { readOnly, seconds: 600 });
    expect(accounts.map((a) => `${a.metadata.namespace}/${a.metadata.name}`)).toEqual(asked);
    expect(new Set(asked).size).toBe(2);
    for (const a of accounts) {
      expect(a.metadata.namespace).toBe(ns.metadata.name);
      expect(a.depends_on).toEqual([`kubernetes_namespace_v1.${Object.keys(json.resource.kubernetes_namespace_v1)[0]}`]);
    }
  });

  test.each(kinds)('%s: each binding grants its ClusterRole to exactly its login account', (kind) => {
    const { json } = dashboardOf(kind);
    const accounts = Object.values<any>(json.resource.kubernetes_service_account_v1);
    const bindings = Object.values<any>(json.resource.kubernetes_cluster_role_binding_v1);
    expect(bindings).toHaveLength(accounts.length);
    bindings.forEach((b, i) => {
      // RBAC v1 (kubernetes/kubernetes staging/src/k8s.io/api/rbac/v1, read at commit 3f8a529):
      // register.go GroupName "rbac.authorization.k8s.io"; types.go: a ClusterRoleBinding's roleRef
      // "can only reference a ClusterRole", subject kind ServiceAccountKind = "ServiceAccount".
      expect(b.role_ref).toMatchObject({ api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' });
      expect(b.subject).toEqual([{ kind: 'ServiceAccount', name: accounts[i].metadata.name, namespace: accounts[i].metadata.namespace }]);
    });
    // Kubernetes' built-in user-facing ClusterRoles (kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles):
    // full control, and read-only without Secrets.
    expect(bindings.map((b) => b.role_ref.name)).toEqual(['cluster-admin', 'view']);
  });

  test.each(kinds)('%s: routed by hostname and on the bare IP; the URLs users open are the outputs', (kind) => {
    const { url, json } = dashboardOf(kind);
    const ingress = only(json, 'kubernetes_ingress_v1');
    expect(ingress.spec.rule.map((r: any) => r.host)).toEqual([url.host, undefined]);
    expect(json.output.url.value).toBe(url.url);
    expect(json.output.fallback_url.value).toBe(url.fallbackUrl);
    expect(new URL(url.fallbackUrl).hostname).toBe(labUrls(configOf()).ingressIp);
  });

  test('the legacy dashboard: both rules reach Kong\'s https proxy Service, the lab\'s route the only way in, the configured chart version', () => {
    const { json } = dashboardOf('kubernetes-dashboard', { chartVersion: '7.12.0' });
    const release = only(json, 'helm_release');
    const values = JSON.parse(release.values[0]);
    expect(release.version).toBe('7.12.0');
    // kubernetes/dashboard tag kubernetes-dashboard-7.13.0, charts/kubernetes-dashboard/values.yaml:103-104:
    // the chart's own Ingress would be a second route; the lab's WebRoute is the one.
    expect(values.app.ingress).toEqual({ enabled: false });
    // The chart's NOTES (templates/NOTES.txt:8) name the gateway Service <release>-kong-proxy; Kong's
    // proxy.tls.servicePort 443 (Kong/charts charts/kong/values.yaml:318, tag kong-2.46.0) serves https only.
    const ingress = only(json, 'kubernetes_ingress_v1');
    for (const rule of ingress.spec.rule) expect(rule.http.path[0].backend.service).toEqual({ name: `${release.name}-kong-proxy`, port: { number: 443 } });
  });
});

test('every URL output of the dashboard and workloads stacks says what it is', () => {
  const outputs = [synth(new DashboardStack(app(), 'dashboard', { config: configOf() })), synth(new WorkloadsStack(app(), 'workloads', { config: configOf() }))].flatMap((j) => Object.values<any>(j.output));
  expect(outputs).toHaveLength(3);
  for (const o of outputs) expect(o.description).toMatch(/\w/);
});

describe('the HPA demo', () => {
  const json = synth(new WorkloadsStack(app(), 'workloads', { config: configOf() }));
  const deployment = only(json, 'kubernetes_deployment_v1');
  const service = only(json, 'kubernetes_service_v1');
  const hpa = only(json, 'kubernetes_horizontal_pod_autoscaler_v2');
  const ingress = only(json, 'kubernetes_ingress_v1');
  const nsAddress = `kubernetes_namespace_v1.${Object.keys(json.resource.kubernetes_namespace_v1)[0]}`;

  test('the Service selects the Deployment\'s pods and forwards to the port the container listens on', () => {
    const podLabels = deployment.spec.template.metadata.labels;
    // An empty selector would leave the Service without endpoints (and the Deployment invalid).
    expect(Object.keys(podLabels).length).toBeGreaterThan(0);
    expect(deployment.spec.selector.match_labels).toEqual(podLabels);
    expect(service.spec.selector).toEqual(podLabels);
    expect(service.spec.port[0].target_port).toBe(String(deployment.spec.template.spec.container[0].port[0].container_port));
    expect(ingress.spec.rule[0].http.path[0].backend.service).toEqual({ name: service.metadata.name, port: { number: service.spec.port[0].port } });
    expect(deployment.spec.template.spec.container[0].name).toBe(HpaDemo.APP);
  });

  test('everything lands in the demo namespace after it exists; the HPA scales the Deployment after it exists', () => {
    const ns = only(json, 'kubernetes_namespace_v1').metadata.name;
    for (const o of [deployment, service, hpa, ingress]) expect(o.metadata.namespace).toBe(ns);
    expect(deployment.depends_on).toEqual([nsAddress]);
    expect(service.depends_on).toEqual([nsAddress]);
    expect(hpa.depends_on).toEqual([`kubernetes_deployment_v1.${Object.keys(json.resource.kubernetes_deployment_v1)[0]}`]);
    expect(hpa.spec.scale_target_ref.name).toBe(deployment.metadata.name);
    expect(deployment.metadata.labels).toEqual(deployment.spec.template.metadata.labels);
    expect(service.metadata.labels).toEqual(deployment.spec.template.metadata.labels);
  });

  test('scale-down after the window drops to the need at once (up to 100 % of pods per 15 s period)', () => {
    expect(hpa.spec.behavior.scale_down[0]).toMatchObject({ select_policy: 'Max', policy: [{ type: 'Percent', value: 100, period_seconds: 15 }] });
  });

  test('off: the stack holds nothing', () => {
    expect(synth(new WorkloadsStack(app(), 'workloads', { config: configOf({ components: { hpaDemo: { enabled: false } } }) })).resource).toBeUndefined();
  });
});

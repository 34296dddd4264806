import { synthLab, resourcesOf } from '../app/synth-lab';

// The cluster stacks' chart values and Kubernetes objects, as synthesized.
const lab = synthLab();
const valuesOf = (stack: string, release: string) => {
  const releases = resourcesOf(lab.stacks[stack], 'helm_release');
  const found = Object.values<any>(releases).find((r) => r.name === release);
  if (!found) throw new Error(`no helm_release ${release} in stack ${stack}: ${Object.keys(releases).join(', ')}`);
  return { release: found, values: JSON.parse(found.values[0]) };
};

test('Traefik: default IngressClass, LoadBalancer (K3s ServiceLB) on 80/443, no backend TLS skip with Headlamp', () => {
  const { release, values } = valuesOf('ingress', 'traefik');
  expect(release).toMatchObject({ repository: 'https://traefik.github.io/charts', chart: 'traefik', version: '41.3.0', namespace: 'traefik', atomic: true, wait: true });
  expect(values.ingressClass).toEqual({ enabled: true, isDefaultClass: true, name: 'traefik' });
  // Traefik chart 41.3.0 reads the Service type from service.spec and websecure TLS from ports.websecure.http.tls.
  expect(values.service).toEqual({ spec: { type: 'LoadBalancer' } });
  expect(values.ports).toEqual({ web: { exposedPort: 80 }, websecure: { exposedPort: 443, http: { tls: { enabled: true } } } });
  expect(values.additionalArguments).toBeUndefined();
});

test('metrics-server: the chart defaults (kubelet TLS verified, InternalIP first), in kube-system, which Kubernetes keeps itself', () => {
  const { release, values } = valuesOf('metrics-server', 'metrics-server');
  expect(release).toMatchObject({ chart: 'metrics-server', version: '3.13.1', namespace: 'kube-system', create_namespace: false });
  expect(values).toEqual({});
  expect(release.depends_on).toBeUndefined();
});

test('Headlamp: under /headlamp, no cluster-admin for its own pod, routed by hostname and on the bare IP', () => {
  const { values } = valuesOf('dashboard', 'headlamp');
  expect(values).toMatchObject({ fullnameOverride: 'headlamp', service: { type: 'ClusterIP', port: 80 }, config: { baseURL: '/headlamp' }, clusterRoleBinding: { create: false } });
  const ingress = Object.values<any>(resourcesOf(lab.stacks.dashboard, 'kubernetes_ingress_v1'))[0];
  expect(ingress.spec.ingress_class_name).toBe('traefik');
  expect(ingress.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'web' });
  const rules = ingress.spec.rule;
  expect(rules.map((r: any) => r.host)).toEqual(['headlamp.192.168.56.10.sslip.io', undefined]);
  for (const r of rules) expect(r.http.path[0]).toMatchObject({ path: '/headlamp', path_type: 'Prefix', backend: { service: { name: 'headlamp', port: { number: 80 } } } });
});

test('login accounts: kubelab-admin bound to cluster-admin, kubelab-viewer to view', () => {
  const bindings = Object.values<any>(resourcesOf(lab.stacks.dashboard, 'kubernetes_cluster_role_binding_v1'));
  expect(bindings.map((b) => [b.metadata.name, b.role_ref.name, b.subject[0].namespace])).toEqual([
    ['kubelab-admin', 'cluster-admin', 'headlamp'],
    ['kubelab-viewer', 'view', 'headlamp'],
  ]);
});

test('dashboard and workloads stacks output every URL', () => {
  expect(lab.stacks.dashboard.output.url.value).toBe('http://headlamp.192.168.56.10.sslip.io/headlamp/');
  expect(lab.stacks.dashboard.output.fallback_url.value).toBe('http://192.168.56.10/headlamp/');
  expect(lab.stacks.workloads.output.hpa_demo_url.value).toBe('http://php-apache.192.168.56.10.sslip.io/');
});

test('HPA demo: the walkthrough app with CPU requests, autoscaling/v2 at 50% CPU, 1..10, a 60 s scale-down window', () => {
  const deployment = Object.values<any>(resourcesOf(lab.stacks.workloads, 'kubernetes_deployment_v1'))[0];
  const container = deployment.spec.template.spec.container[0];
  expect(container).toMatchObject({ image: 'registry.k8s.io/e2e-test-images/resource-consumer:1.13', port: [{ container_port: 8080 }], resources: { requests: { cpu: '200m' }, limits: { cpu: '500m' } } });
  expect(deployment.lifecycle.ignore_changes).toEqual(['spec[0].replicas']);
  const hpa = Object.values<any>(resourcesOf(lab.stacks.workloads, 'kubernetes_horizontal_pod_autoscaler_v2'))[0];
  expect(hpa.spec).toMatchObject({
    min_replicas: 1,
    max_replicas: 10,
    scale_target_ref: { api_version: 'apps/v1', kind: 'Deployment', name: 'php-apache' },
    metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', average_utilization: 50 } } }],
  });
  expect(hpa.spec.behavior.scale_down[0].stabilization_window_seconds).toBe(60);
});

describe('the legacy Kubernetes Dashboard option', () => {
  const legacy = synthLab({ components: { dashboard: { kind: 'kubernetes-dashboard' } } });
  test('chart 7.13.0 from the project\'s own (moved) chart repository, Kong told to be reached over https, https route, fallback on https://<ip>/', () => {
    const release = Object.values<any>(resourcesOf(legacy.stacks.dashboard, 'helm_release'))[0];
    expect(release).toMatchObject({ repository: 'https://kubernetes-retired.github.io/dashboard/', chart: 'kubernetes-dashboard', version: '7.13.0', namespace: 'kubernetes-dashboard' });
    expect(JSON.parse(release.values[0]).kong.proxy.annotations).toEqual({ 'traefik.ingress.kubernetes.io/service.serversscheme': 'https' });
    const ingress = Object.values<any>(resourcesOf(legacy.stacks.dashboard, 'kubernetes_ingress_v1'))[0];
    expect(ingress.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' });
    expect(ingress.spec.rule[0].http.path[0].backend.service).toEqual({ name: 'kubernetes-dashboard-kong-proxy', port: { number: 443 } });
    expect(legacy.stacks.dashboard.output.url.value).toBe('https://dashboard.192.168.56.10.sslip.io/');
    expect(legacy.stacks.dashboard.output.fallback_url.value).toBe('https://192.168.56.10/');
  });
  test('only then does Traefik skip verifying backend certificates', () => {
    const traefik = Object.values<any>(resourcesOf(legacy.stacks.ingress, 'helm_release'))[0];
    expect(JSON.parse(traefik.values[0]).additionalArguments).toEqual(['--serversTransport.insecureSkipVerify=true']);
  });
});

import { allResources, resourcesOf, synthLab, StackJson } from './synth-lab';

/** Cross-object checks: what one Kubernetes object names, another must be. */
const lab = synthLab();
const workloads = lab.stacks.workloads;

function byName(stack: StackJson, type: string): Map<string, any> {
  return new Map(Object.values<any>(resourcesOf(stack, type)).map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
}

/** Services the cluster stacks create directly, plus those the charts create as their values fix them. */
function knownServices(): Map<string, number[]> {
  const services = new Map<string, number[]>();
  for (const stack of Object.values(lab.stacks)) {
    for (const svc of Object.values<any>(resourcesOf(stack, 'kubernetes_service_v1'))) {
      services.set(`${svc.metadata.namespace}/${svc.metadata.name}`, svc.spec.port.map((p: any) => p.port));
    }
    for (const release of Object.values<any>(resourcesOf(stack, 'helm_release'))) {
      const values = JSON.parse(release.values[0]);
      if (release.chart === 'headlamp') services.set(`${release.namespace}/${values.fullnameOverride}`, [values.service.port]);
    }
  }
  return services;
}

describe('consistency of the Kubernetes objects', () => {
  test('each Service selects the pod labels of a Deployment in its namespace', () => {
    const deployments = [...byName(workloads, 'kubernetes_deployment_v1').values()];
    const services = [...byName(workloads, 'kubernetes_service_v1').values()];
    expect(services.length).toBeGreaterThan(0);
    for (const svc of services) {
      const selected = deployments.filter(
        (d) =>
          d.metadata.namespace === svc.metadata.namespace &&
          Object.entries<string>(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(selected.map((d) => d.metadata.name)).toEqual([svc.metadata.name]);
      // and the Deployment's own selector matches its pod labels
      for (const d of selected) expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.match_labels);
    }
  });

  test('the HPA targets an existing Deployment whose containers request CPU', () => {
    const hpas = [...byName(workloads, 'kubernetes_horizontal_pod_autoscaler_v2').values()];
    expect(hpas).toHaveLength(1);
    const [hpa] = hpas;
    const target = byName(workloads, 'kubernetes_deployment_v1').get(`${hpa.metadata.namespace}/${hpa.spec.scale_target_ref.name}`);
    expect(target).toBeDefined();
    expect(hpa.spec.scale_target_ref.kind).toBe('Deployment');
    for (const c of target.spec.template.spec.container) expect(c.resources.requests.cpu).toBe('200m');
    expect(hpa.spec).toMatchObject({ min_replicas: 1, max_replicas: 10 });
    expect(hpa.spec.metric[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', average_utilization: 50 } });
  });

  test('every Ingress backend names an existing Service and one of its ports', () => {
    const services = knownServices();
    const ingresses = Object.values(lab.stacks).flatMap((s) => Object.values<any>(resourcesOf(s, 'kubernetes_ingress_v1')));
    expect(ingresses.length).toBe(2);
    for (const ing of ingresses) {
      for (const rule of ing.spec.rule) {
        for (const p of rule.http.path) {
          const key = `${ing.metadata.namespace}/${p.backend.service.name}`;
          expect(services.has(key)).toBe(true);
          expect(services.get(key)).toContain(p.backend.service.port.number);
        }
      }
    }
  });

  test('every namespaced object lives in a namespace the lab creates', () => {
    const namespaces = new Set(['kube-system']);
    for (const stack of Object.values(lab.stacks)) {
      for (const ns of Object.values<any>(resourcesOf(stack, 'kubernetes_namespace_v1'))) namespaces.add(ns.metadata.name);
    }
    for (const stack of Object.values(lab.stacks)) {
      for (const { type, body } of allResources(stack)) {
        const ns = type === 'helm_release' ? body.namespace : body.metadata?.namespace;
        if (ns) expect(namespaces).toContain(ns);
      }
    }
  });
});

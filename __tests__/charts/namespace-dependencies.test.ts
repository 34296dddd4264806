import { StackJson, synthLab } from '../app/synth-lab';
import { unorderedNamespacedResources } from './namespace-order';

describe('namespaced objects are created after their namespace', () => {
  const variants = {
    'default lab (Headlamp)': synthLab(),
    'legacy Kubernetes Dashboard': synthLab({ components: { dashboard: { kind: 'kubernetes-dashboard' } } }),
  };
  const cases = Object.entries(variants).flatMap(([variant, lab]) => Object.entries(lab.stacks).map(([stack, json]) => [`${variant}: stack ${stack}`, json]));

  test.each(cases)('%s', (_name, json) => {
    expect(unorderedNamespacedResources(json as StackJson)).toEqual([]);
  });

  test('the check finds a namespaced object with no path to its namespace, and follows depends_on chains', () => {
    const stack = {
      resource: {
        kubernetes_namespace_v1: { ns: { metadata: { name: 'demo' } } },
        kubernetes_deployment_v1: { app: { metadata: { name: 'app', namespace: 'demo' }, depends_on: ['kubernetes_namespace_v1.ns'] } },
        kubernetes_horizontal_pod_autoscaler_v2: { hpa: { metadata: { name: 'app', namespace: 'demo' }, depends_on: ['kubernetes_deployment_v1.app'] } },
        kubernetes_ingress_v1: { web: { metadata: { name: 'web', namespace: 'demo' } } },
        kubernetes_service_v1: { other: { metadata: { name: 'x', namespace: 'elsewhere' } } },
        kubernetes_config_map_v1: { bare: { metadata: { name: 'y' } } },
        helm_release: {
          ref: { namespace: '${kubernetes_namespace_v1.ns.metadata[0].name}' },
          own: { namespace: 'anything', create_namespace: true },
          loose: { namespace: 'demo' },
        },
      },
    };
    expect(unorderedNamespacedResources(stack)).toEqual([
      'kubernetes_ingress_v1.web is in namespace "demo" but does not depend on kubernetes_namespace_v1.ns',
      'kubernetes_service_v1.other is in namespace "elsewhere", which nothing in its stack creates',
      'kubernetes_config_map_v1.bare names no namespace (it would land in "default")',
      'helm_release.loose is in namespace "demo" but does not depend on kubernetes_namespace_v1.ns',
    ]);
  });
});

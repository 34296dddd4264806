/**
 * Where each kind of object the lessons read or create lives in the Kubernetes API.
 * The paths follow the API's resource URI scheme (kubernetes.io, "Kubernetes API
 * Concepts", section "Resource URIs": /api/v1 for the core group, /apis/<group>/<version>
 * otherwise; /namespaces/<ns>/ before the plural for namespaced kinds); the groups,
 * versions and plurals are those of the Kubernetes v1.36 API reference.
 */
export interface ApiKind {
  /** /api/v1 or /apis/<group>/<version>. */
  readonly base: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const API_KINDS = {
  Namespace: { base: '/api/v1', plural: 'namespaces', namespaced: false },
  Node: { base: '/api/v1', plural: 'nodes', namespaced: false },
  Pod: { base: '/api/v1', plural: 'pods', namespaced: true },
  Service: { base: '/api/v1', plural: 'services', namespaced: true },
  ConfigMap: { base: '/api/v1', plural: 'configmaps', namespaced: true },
  PersistentVolumeClaim: { base: '/api/v1', plural: 'persistentvolumeclaims', namespaced: true },
  PersistentVolume: { base: '/api/v1', plural: 'persistentvolumes', namespaced: false },
  Deployment: { base: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  ReplicaSet: { base: '/apis/apps/v1', plural: 'replicasets', namespaced: true },
  EndpointSlice: { base: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  Ingress: { base: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  NetworkPolicy: { base: '/apis/networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  HorizontalPodAutoscaler: { base: '/apis/autoscaling/v2', plural: 'horizontalpodautoscalers', namespaced: true },
} as const satisfies Record<string, ApiKind>;

export type KindName = keyof typeof API_KINDS;

/** The apiVersion field of a kind's objects ("v1", "apps/v1"). */
export function apiVersionOf(kind: KindName): string {
  return API_KINDS[kind].base.replace(/^\/api\//, '').replace(/^\/apis\//, '');
}

/** The collection path of a kind (in a namespace when it is namespaced), and with a name the object's path. */
export function resourcePath(kind: KindName, namespace?: string, name?: string): string {
  const k: ApiKind = API_KINDS[kind];
  const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${k.base}${ns}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/**
 * THE CHART CONTRACT (test-side): per chart and exact version, the value paths the
 * lab's stacks set, each with where the chart defines it (repository, file and line
 * at the chart's own release tag) and its leaf type. Where the chart ships a
 * values.schema.json the type is the schema's; otherwise it is the type of the
 * default in values.yaml (or what the template does with the value), and says so.
 * Read from the charts' sources, not from our own code; CI cannot reach the chart
 * repositories, so this table is what the tests hold the stacks to.
 *
 * A chart bump in config/versions.ts needs a new entry here, read at the new tag. To check
 * the entry against the chart itself: put the chart directory from its tag at
 * <dir>/<chart>-<version>/ and run
 * `KUBELAB_CHART_SOURCES=<dir> KUBELAB_HELM=<helm binary> npx jest __tests__/charts`
 * (chart-sources.test.ts: paths, cited lines and schema types, then `helm template`).
 */

/** Leaf types as JSON schema names them; `map` is an object with free-form string keys (annotations). */
export type LeafType = 'string' | 'integer' | 'boolean' | 'array' | 'map';

export interface ContractPath {
  readonly type: LeafType;
  /** Allowed values, where the schema lists them. */
  readonly enum?: readonly string[];
  /** Element type, for arrays. */
  readonly items?: Exclude<LeafType, 'array' | 'map'>;
  /** `file:line` at the tag, and where the type comes from. */
  readonly cite: string;
}

export interface ChartContract {
  /** `owner/repo@tag`: where the chart's files were read. */
  readonly source: string;
  /** The chart's values.schema.json at that tag, or none. */
  readonly schema?: string;
  readonly paths: Readonly<Record<string, ContractPath>>;
}

/** Chart name (as in the helm_release) → chart version → contract. */
export const CHART_CONTRACTS: Readonly<Record<string, Readonly<Record<string, ChartContract>>>> = {
  traefik: {
    '41.3.0': {
      source: 'traefik/traefik-helm-chart@v41.3.0',
      schema: 'traefik/values.schema.json',
      paths: {
        'ingressClass.enabled': { type: 'boolean', cite: 'traefik/values.yaml:128; schema type boolean' },
        'ingressClass.isDefaultClass': { type: 'boolean', cite: 'traefik/values.yaml:129; schema type boolean' },
        'ingressClass.name': { type: 'string', cite: 'traefik/values.yaml:130; schema type string' },
        // The chart reads the Service type only from service.spec (templates/_service.tpl:23); service.type is read nowhere.
        'service.spec.type': { type: 'string', cite: 'traefik/values.yaml:1145; schema type string' },
        'ports.web.exposedPort': { type: 'integer', cite: 'traefik/values.yaml:959; schema ports.additionalProperties.exposedPort integer' },
        'ports.websecure.exposedPort': { type: 'integer', cite: 'traefik/values.yaml:1019; schema ports.additionalProperties.exposedPort integer' },
        // Moved here in v39; ports.<name>.tls is rejected (the port schema has additionalProperties: false).
        'ports.websecure.http.tls.enabled': { type: 'boolean', cite: 'traefik/values.yaml:1053; schema ports.additionalProperties.http.tls.enabled boolean' },
        'providers.kubernetesIngress.publishedService.enabled': { type: 'boolean', cite: 'traefik/values.yaml:355; schema type boolean' },
        'additionalArguments': {
          type: 'array',
          items: 'string',
          cite: 'traefik/values.yaml:907; schema type array; each item quoted into the container args by templates/_podtemplate.tpl:843-846',
        },
      },
    },
  },
  'metrics-server': {
    // The lab sets no value: the chart's defaultArgs (values.yaml:95-99) already prefer InternalIP,
    // and K3s kubelet certificates verify against the ServiceAccount CA (see constructs/metrics-server.ts).
    '3.13.1': { source: 'kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1', paths: {} },
  },
  headlamp: {
    '0.45.0': {
      source: 'kubernetes-sigs/headlamp@headlamp-helm-0.45.0',
      schema: 'charts/headlamp/values.schema.json',
      paths: {
        'fullnameOverride': { type: 'string', cite: 'charts/headlamp/values.yaml:23; schema type string' },
        'service.type': {
          type: 'string',
          enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
          cite: 'charts/headlamp/values.yaml:264; schema type string with enum',
        },
        'service.port': { type: 'integer', cite: 'charts/headlamp/values.yaml:266; schema type integer' },
        'config.baseURL': { type: 'string', cite: 'charts/headlamp/values.yaml:38; schema type string' },
        'clusterRoleBinding.create': { type: 'boolean', cite: 'charts/headlamp/values.yaml:202; schema type boolean' },
      },
    },
  },
  'kubernetes-dashboard': {
    '7.13.0': {
      // No values.schema.json in this chart or in its Kong subchart (kong 2.46.0, Chart.yaml dependencies).
      source: 'kubernetes/dashboard@kubernetes-dashboard-7.13.0 (the repository now kubernetes-retired/dashboard)',
      paths: {
        'app.ingress.enabled': { type: 'boolean', cite: 'charts/kubernetes-dashboard/values.yaml:104; type of the default (false), no schema' },
        'kong.proxy.annotations': {
          type: 'map',
          cite: 'Kong/charts@kong-2.46.0 charts/kong/values.yaml:292 (proxy.annotations: {}), the subchart under the key kong (charts/kubernetes-dashboard/values.yaml:383); no schema',
        },
      },
    },
  },
};

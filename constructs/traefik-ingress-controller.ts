import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease } from './chart-release';
import { LabNamespace } from './lab-namespace';

export const TRAEFIK_INGRESS_CLASS = 'traefik';
/** Traefik static configuration `serversTransport.insecureSkipVerify` as a CLI flag. */
export const TRAEFIK_SKIP_BACKEND_TLS_VERIFY = '--serversTransport.insecureSkipVerify=true';

export interface TraefikIngressControllerProps {
  readonly config: LabConfig;
}

/**
 * Traefik, the lab's ingress (ingress-nginx is retired). K3s runs with
 * `--disable traefik`, so this release is the only copy. Its LoadBalancer Service
 * is served by K3s's ServiceLB on ports 80/443 of every node's host-only IP.
 */
export class TraefikIngressController extends Construct {
  readonly release: ChartRelease;

  constructor(scope: Construct, id: string, props: TraefikIngressControllerProps) {
    super(scope, id);
    const { config } = props;
    const namespace = new LabNamespace(this, 'namespace', { name: 'traefik' });
    this.release = new ChartRelease(this, 'traefik', {
      chart: PINNED.charts.traefik,
      version: config.components.ingress.chartVersion,
      namespace,
      // Value paths as traefik/traefik-helm-chart defines them at tag v41.3.0 (traefik/values.yaml,
      // checked against traefik/values.schema.json); the defaults the lab relies on are written
      // out so a chart bump cannot change them silently.
      values: {
        ingressClass: { enabled: true, isDefaultClass: true, name: TRAEFIK_INGRESS_CLASS }, // values.yaml:126-130
        // K3s ServiceLB (klipper-lb) serves every LoadBalancer Service with a hostPort
        // pod on each node, so ports 80/443 answer on every node's host-only IP.
        // The chart reads the type only from service.spec (values.yaml:1144-1145, templates/_service.tpl:23).
        service: { spec: { type: 'LoadBalancer' } },
        ports: {
          web: { exposedPort: 80 }, // values.yaml:959
          // TLS on websecure is ports.websecure.http.tls since chart v39 (values.yaml:1050-1053).
          websecure: { exposedPort: 443, http: { tls: { enabled: true } } }, // values.yaml:1019
        },
        // Ingress status shows the address users reach (ServiceLB's node IPs). values.yaml:352-355
        providers: { kubernetesIngress: { publishedService: { enabled: true } } },
        // The legacy dashboard's Kong gateway serves https only, with a self-signed
        // certificate. Trusting it per Service needs a ServersTransport object (a Traefik
        // CRD, which the lab avoids: the kubernetes provider cannot plan a custom resource
        // before its CRD exists), so backend certificate checks are skipped globally, and
        // only when that option is chosen. The https scheme itself comes from the Service
        // annotation set in KubernetesDashboard.
        // additionalArguments: values.yaml:907.
        ...(config.components.dashboard.enabled && config.components.dashboard.kind === 'kubernetes-dashboard'
          ? { additionalArguments: [TRAEFIK_SKIP_BACKEND_TLS_VERIFY] }
          : {}),
      },
    });
  }
}

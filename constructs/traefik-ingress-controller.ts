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
      namespace: namespace.namespaceName,
      dependsOn: [namespace],
      // Value names and defaults from traefik/traefik-helm-chart traefik/values.yaml;
      // the defaults the lab relies on are written out so a chart bump cannot change them silently.
      values: {
        ingressClass: { enabled: true, isDefaultClass: true, name: TRAEFIK_INGRESS_CLASS },
        // K3s ServiceLB (klipper-lb) serves every LoadBalancer Service with a hostPort
        // pod on each node, so ports 80/443 answer on every node's host-only IP.
        service: { type: 'LoadBalancer' },
        ports: { web: { exposedPort: 80 }, websecure: { exposedPort: 443, tls: { enabled: true } } },
        // Ingress status shows the address users reach (ServiceLB's node IPs).
        providers: { kubernetesIngress: { publishedService: { enabled: true } } },
        // The legacy dashboard's Kong gateway serves https only, with a self-signed
        // certificate. Trusting it per Service needs a ServersTransport object (a Traefik
        // CRD, which the lab avoids: the kubernetes provider cannot plan a custom resource
        // before its CRD exists), so backend certificate checks are skipped globally, and
        // only when that option is chosen. The https scheme itself comes from the Service
        // annotation set in KubernetesDashboard.
        ...(config.components.dashboard.enabled && config.components.dashboard.kind === 'kubernetes-dashboard'
          ? { additionalArguments: [TRAEFIK_SKIP_BACKEND_TLS_VERIFY] }
          : {}),
      },
    });
  }
}

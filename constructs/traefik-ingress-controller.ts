import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease } from './chart-release';
import { LabNamespace } from './lab-namespace';

export const TRAEFIK_INGRESS_CLASS = 'traefik';

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
      values: {
        ingressClass: { enabled: true, isDefaultClass: true, name: TRAEFIK_INGRESS_CLASS },
        service: { type: 'LoadBalancer' },
        ports: { web: { exposedPort: 80 }, websecure: { exposedPort: 443 } },
        // Ingress status shows the address users reach (ServiceLB's node IPs).
        providers: { kubernetesIngress: { publishedService: { enabled: true } } },
        // The legacy dashboard serves https only, with a self-signed certificate.
        ...(config.components.dashboard.enabled && config.components.dashboard.kind === 'kubernetes-dashboard'
          ? { additionalArguments: ['--serverstransport.insecureskipverify=true'] }
          : {}),
      },
    });
  }
}

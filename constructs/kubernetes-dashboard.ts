import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease, ChartService } from './chart-release';
import { LabNamespace } from './lab-namespace';

export interface KubernetesDashboardProps {
  readonly config: LabConfig;
  readonly namespace: LabNamespace;
}

/**
 * The legacy Kubernetes Dashboard (archived upstream in January 2026), as an
 * option. Its Kong proxy serves https only and its token login works only over
 * https, so the route to it is https end to end.
 */
export class KubernetesDashboard extends ChartRelease {
  readonly service: ChartService;

  constructor(scope: Construct, id: string, props: KubernetesDashboardProps) {
    // The chart names the proxy Service <release>-kong-proxy.
    const service = { namespace: props.namespace.namespaceName, name: `${id}-kong-proxy`, port: 443 };
    super(scope, id, {
      chart: PINNED.charts.kubernetesDashboard,
      version: props.config.components.dashboard.chartVersion ?? PINNED.charts.kubernetesDashboard.version,
      namespace: service.namespace,
      dependsOn: [props.namespace],
      values: {
        app: { ingress: { enabled: false } },
        // Traefik must speak https to Kong.
        kong: { proxy: { annotations: { 'traefik.ingress.kubernetes.io/service.serversscheme': 'https' } } },
      },
    });
    this.service = service;
  }
}

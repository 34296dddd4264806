import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease, ChartService } from './chart-release';
import { LabNamespace } from './lab-namespace';

export interface KubernetesDashboardProps {
  readonly config: LabConfig;
  readonly namespace: LabNamespace;
}

/** The annotation that makes Traefik's Kubernetes Ingress provider speak https to a Service. */
export const TRAEFIK_HTTPS_BACKEND = { 'traefik.ingress.kubernetes.io/service.serversscheme': 'https' } as const;

/**
 * The legacy Kubernetes Dashboard (archived upstream in January 2026), as an
 * option. Its Kong gateway serves https only (chart values: kong.proxy.http.enabled
 * false) and its token login refuses plain http, so the route is https end to end:
 * browser → Traefik websecure (Traefik's default self-signed certificate) → Kong
 * (Kong's self-signed certificate, which Traefik is told not to verify, see
 * TraefikIngressController).
 */
export class KubernetesDashboard extends ChartRelease {
  readonly service: ChartService;

  constructor(scope: Construct, id: string, props: KubernetesDashboardProps) {
    // The chart's NOTES name the gateway Service <release>-kong-proxy, port 443.
    const service = { namespace: props.namespace.namespaceName, name: `${id}-kong-proxy`, port: 443 };
    super(scope, id, {
      chart: PINNED.charts.kubernetesDashboard,
      version: props.config.components.dashboard.chartVersion ?? PINNED.charts.kubernetesDashboard.version,
      namespace: service.namespace,
      dependsOn: [props.namespace],
      values: {
        app: { ingress: { enabled: false } },
        // kong.proxy is the Kong subchart's proxy Service; its annotations land on that Service.
        kong: { proxy: { annotations: TRAEFIK_HTTPS_BACKEND } },
      },
    });
    this.service = service;
  }
}

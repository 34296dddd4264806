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
    // The chart's NOTES name the gateway Service <release>-kong-proxy (templates/NOTES.txt:8),
    // port 443 (Kong/charts charts/kong/values.yaml:318, proxy.tls.servicePort, at tag kong-2.46.0).
    const service = { namespace: props.namespace, name: `${id}-kong-proxy`, port: 443 };
    super(scope, id, {
      chart: PINNED.charts.kubernetesDashboard,
      version: props.config.components.dashboard.chartVersion ?? PINNED.charts.kubernetesDashboard.version,
      namespace: props.namespace,
      // Value paths as kubernetes/dashboard defines them at tag kubernetes-dashboard-7.13.0
      // (charts/kubernetes-dashboard/values.yaml; the chart has no values.schema.json).
      values: {
        // The lab routes through its own Ingress (WebRoute). values.yaml:103-104
        app: { ingress: { enabled: false } },
        // kong is the Kong 2.46.0 subchart (Chart.yaml dependencies; values.yaml:383); its
        // proxy.annotations (Kong/charts charts/kong/values.yaml:292) land on the proxy Service.
        kong: { proxy: { annotations: TRAEFIK_HTTPS_BACKEND } },
      },
    });
    this.service = service;
  }
}

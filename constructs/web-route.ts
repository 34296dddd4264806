import { Construct } from 'constructs';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { ChartService } from './chart-release';
import { TRAEFIK_INGRESS_CLASS } from './traefik-ingress-controller';

export interface WebRouteProps {
  /** Hostname the route answers, e.g. headlamp.192.168.56.10.sslip.io. */
  readonly host: string;
  /** Where requests go. */
  readonly backend: ChartService;
  /**
   * Serve on Traefik's https entrypoint (with its default certificate) instead of http.
   * @default false
   */
  readonly https?: boolean;
}

/** An Ingress through Traefik to one Service, by hostname. */
export class WebRoute extends IngressV1 {
  readonly host: string;
  readonly backend: ChartService;

  constructor(scope: Construct, id: string, props: WebRouteProps) {
    super(scope, id, {
      metadata: {
        name: id,
        namespace: props.backend.namespace,
        annotations: props.https
          ? { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' }
          : { 'traefik.ingress.kubernetes.io/router.entrypoints': 'web' },
      },
      spec: {
        ingressClassName: TRAEFIK_INGRESS_CLASS,
        rule: [
          {
            host: props.host,
            http: {
              path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: props.backend.name, port: { number: props.backend.port } } } }],
            },
          },
        ],
      },
    });
    this.host = props.host;
    this.backend = props.backend;
  }
}

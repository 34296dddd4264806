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
   * Path prefix routed to the backend, passed on unchanged (a plain Ingress cannot rewrite it).
   * @default '/'
   */
  readonly path?: string;
  /**
   * Also answer on any host, i.e. on the bare node IPs: the fallback when DNS
   * (sslip.io) cannot be reached. Traefik prefers the longer, host-specific rules,
   * so this does not shadow other routes.
   * @default false
   */
  readonly onBareIp?: boolean;
  /**
   * Serve on Traefik's https entrypoint (with its default certificate) instead of http.
   * @default false
   */
  readonly https?: boolean;
}

/** An Ingress through Traefik to one Service, by hostname (and optionally on the bare IP). */
export class WebRoute extends IngressV1 {
  readonly host: string;
  readonly path: string;
  readonly backend: ChartService;

  constructor(scope: Construct, id: string, props: WebRouteProps) {
    const path = props.path ?? '/';
    const http = {
      path: [{ path, pathType: 'Prefix', backend: { service: { name: props.backend.name, port: { number: props.backend.port } } } }],
    };
    super(scope, id, {
      metadata: {
        name: id,
        namespace: props.backend.namespace.namespaceName,
        // Ingress annotations of Traefik's Kubernetes Ingress provider
        // (doc.traefik.io/traefik/reference/routing-configuration/kubernetes/ingress/).
        annotations: props.https
          ? { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' }
          : { 'traefik.ingress.kubernetes.io/router.entrypoints': 'web' },
      },
      spec: {
        ingressClassName: TRAEFIK_INGRESS_CLASS,
        rule: props.onBareIp ? [{ host: props.host, http }, { http }] : [{ host: props.host, http }],
      },
      // Terraform would otherwise create the Ingress in parallel with its namespace.
      dependsOn: [props.backend.namespace],
    });
    this.host = props.host;
    this.path = path;
    this.backend = props.backend;
  }
}

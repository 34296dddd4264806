import { LabConfig, serverNode } from './lab-config';

/**
 * Where the lab's apps live in the cluster. The stacks create them there and the
 * CLI (`kubelab dashboard`, `verify`, `load`) finds them there.
 */
export const LAB_APPS = {
  headlamp: {
    namespace: 'headlamp',
    /**
     * Headlamp serves under this path (chart value config.baseURL), so the same
     * route works by hostname and on the bare IP when DNS is offline.
     */
    path: '/headlamp',
  },
  kubernetesDashboard: { namespace: 'kubernetes-dashboard' },
  hpaDemo: { namespace: 'hpa-demo', name: 'php-apache' },
} as const;

/** The ServiceAccount the dashboard login uses (cluster-admin: a lab-only choice). */
export const DASHBOARD_ADMIN = 'kubelab-admin';
/** The read-only alternative (the built-in `view` ClusterRole; no Secrets). */
export const DASHBOARD_VIEWER = 'kubelab-viewer';

/** One app reachable through the ingress. */
export interface WebAppUrl {
  /** `<app>.<ip>.sslip.io`: resolves to <ip> through public DNS, no hosts file edit. */
  readonly host: string;
  /** Path prefix the route serves. */
  readonly path: string;
  /** The address to open. */
  readonly url: string;
}

/** The dashboard: by hostname, and on the bare IP as well (both kinds can serve there). */
export interface DashboardUrl extends WebAppUrl {
  readonly kind: LabConfig['components']['dashboard']['kind'];
  readonly namespace: string;
  /** The same dashboard on the bare IP, for when DNS (sslip.io) cannot be reached. */
  readonly fallbackUrl: string;
}

/**
 * Addresses of what the lab serves through the ingress. K3s ServiceLB answers on
 * every node's host-only IP; the server's is used.
 */
export interface LabUrls {
  readonly ingressIp: string;
  /** Traefik's web entrypoint on the bare IP. */
  readonly ingress: string;
  readonly dashboard?: DashboardUrl;
  /** By hostname only (see labUrls). */
  readonly hpaDemo?: WebAppUrl;
}

/**
 * The URL scheme:
 * - Headlamp: http://headlamp.<ip>.sslip.io/headlamp/, fallback http://<ip>/headlamp/
 *   (Headlamp's own baseURL makes a path route possible without a rewrite, which
 *   Traefik can only do through its Middleware CRD).
 * - legacy Kubernetes Dashboard: https://dashboard.<ip>.sslip.io/, fallback
 *   https://<ip>/ (its token login needs https; it owns the https root of the bare IP).
 * - HPA demo: http://php-apache.<ip>.sslip.io/ only: the php-apache image serves
 *   only at `/`, and a path prefix would need that rewrite.
 */
export function labUrls(cfg: LabConfig): LabUrls {
  const ingressIp = serverNode(cfg).ip;
  const host = (app: string) => `${app}.${ingressIp}.sslip.io`;
  const { dashboard, hpaDemo } = cfg.components;
  return {
    ingressIp,
    ingress: `http://${ingressIp}/`,
    dashboard: dashboard.enabled
      ? dashboard.kind === 'headlamp'
        ? {
            kind: dashboard.kind,
            namespace: LAB_APPS.headlamp.namespace,
            host: host('headlamp'),
            path: LAB_APPS.headlamp.path,
            url: `http://${host('headlamp')}${LAB_APPS.headlamp.path}/`,
            fallbackUrl: `http://${ingressIp}${LAB_APPS.headlamp.path}/`,
          }
        : {
            kind: dashboard.kind,
            namespace: LAB_APPS.kubernetesDashboard.namespace,
            host: host('dashboard'),
            path: '/',
            url: `https://${host('dashboard')}/`,
            fallbackUrl: `https://${ingressIp}/`,
          }
      : undefined,
    hpaDemo: hpaDemo.enabled ? { host: host(LAB_APPS.hpaDemo.name), path: '/', url: `http://${host(LAB_APPS.hpaDemo.name)}/` } : undefined,
  };
}

import { LabConfig, serverNode } from './lab-config';

/**
 * Addresses of what the lab serves through the ingress. Hostnames use sslip.io
 * (`<app>.<ip>.sslip.io` resolves to <ip>), so nobody edits a hosts file.
 * K3s ServiceLB answers on every node's host-only IP; the server's is used.
 */
export interface LabUrls {
  readonly ingressIp: string;
  readonly dashboard?: { readonly host: string; readonly url: string };
  readonly hpaDemo?: { readonly host: string; readonly url: string };
}

export function labUrls(cfg: LabConfig): LabUrls {
  const ingressIp = serverNode(cfg).ip;
  const host = (app: string) => `${app}.${ingressIp}.sslip.io`;
  const { dashboard, hpaDemo } = cfg.components;
  return {
    ingressIp,
    dashboard: dashboard.enabled
      ? dashboard.kind === 'headlamp'
        ? { host: host('headlamp'), url: `http://${host('headlamp')}/` }
        : // The legacy dashboard's token login works only over https.
          { host: host('dashboard'), url: `https://${host('dashboard')}/` }
      : undefined,
    hpaDemo: hpaDemo.enabled ? { host: host('php-apache'), url: `http://${host('php-apache')}/` } : undefined,
  };
}

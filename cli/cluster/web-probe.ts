import * as http from 'http';
import * as https from 'https';
import { KubelabError } from '../errors';

/**
 * Where the ingress is reached: Traefik's web (http) and websecure (https)
 * entrypoints as host:port. Normally <server ip>:80 and :443 (K3s ServiceLB); a
 * NAT port-forward or SSH tunnel can stand in, and tests point it at a local server.
 */
export interface IngressAddress {
  readonly http: string;
  readonly https: string;
}

export function ingressAddressOf(ip: string, overrides: { http?: string; https?: string } = {}): IngressAddress {
  return { http: checkedHostPort(overrides.http ?? `${ip}:80`), https: checkedHostPort(overrides.https ?? `${ip}:443`) };
}

export type ProbeResult = { readonly status: number } | { readonly error: string };

/**
 * GETs a lab URL through the ingress address, keeping the URL's host in the Host
 * header (and TLS SNI), so the check needs no DNS: sslip.io names route the same
 * way. Certificates are not checked: Traefik's default one is self-signed.
 */
export function probeWebApp(url: string, via: IngressAddress, timeoutMs = 5000): Promise<ProbeResult> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const [host, port] = splitHostPort(secure ? via.https : via.http);
  return new Promise((resolve) => {
    const options = {
      host,
      port,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers: { Host: target.host, 'User-Agent': 'kubelab-verify' },
      timeout: timeoutMs,
    };
    const request = secure
      ? https.request({ ...options, servername: target.hostname, rejectUnauthorized: false })
      : http.request(options);
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    request.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    request.end();
  });
}

/** "on 192.168.56.10:80" — where a probe of that URL connects. */
export function probeTarget(url: string, via: IngressAddress): string {
  return new URL(url).protocol === 'https:' ? via.https : via.http;
}

function checkedHostPort(text: string): string {
  splitHostPort(text);
  return text;
}

function splitHostPort(text: string): [string, number] {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new KubelabError(`'${text}' is not an address of the form host:port, like 192.168.56.10:80`);
  return [m[1], port];
}

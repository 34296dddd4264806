/**
 * INGRESS STAND-IN — for tests only, not Traefik: a local HTTP server that answers
 * like the lab's ingress would, by Host header and path (Headlamp under /headlamp
 * by hostname and on the bare IP, php-apache by hostname, 404 for anything else),
 * and records what was asked. `kubelab verify --ingress-http` points the checks at it.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export class IngressStandIn {
  readonly requests: { host: string; path: string }[] = [];
  private server?: http.Server;

  constructor(private readonly ip = '192.168.56.10') {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const host = req.headers.host ?? '';
      const path = req.url ?? '/';
      this.requests.push({ host, path });
      const headlamp = (host === `headlamp.${this.ip}.sslip.io` || host === this.ip) && path.startsWith('/headlamp/');
      const demo = host === `php-apache.${this.ip}.sslip.io`;
      res.writeHead(headlamp || demo ? 200 : 404, { 'Content-Type': 'text/plain' });
      res.end(headlamp ? '<html>Headlamp</html>' : demo ? 'OK!' : '404 page not found\n');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.address;
  }

  /** host:port for --ingress-http. */
  get address(): string {
    return `127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** A 127.0.0.1 port nothing listens on (bound, then released). */
export async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

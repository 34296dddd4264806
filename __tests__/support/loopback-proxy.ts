import * as http from 'http';
import * as net from 'net';
import { AddressInfo } from 'net';

/**
 * A forward proxy on 127.0.0.1, as corporate proxies behave for clients (RFC 9110 §9.3.6
 * CONNECT for https, absolute-URI requests for http, RFC 9112 §3.2.2). Host names are
 * not looked up: `routes` maps each name a test uses (e.g. a .invalid name that cannot
 * resolve anywhere) to a loopback port, so a request can only succeed through this proxy.
 */
export interface LoopbackProxy {
  readonly url: string;
  readonly port: number;
  /** "GET http://host/path" or "CONNECT host:443", in order. */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * `listenOn` is the address it listens on (default 127.0.0.1); the guest suite listens on the
 * host-only bridge of its own network namespace, which the test guests reach.
 */
export async function startLoopbackProxy(routes: Record<string, number>, listenOn = '127.0.0.1'): Promise<LoopbackProxy> {
  const seen: string[] = [];
  const portFor = (host: string) => routes[host];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    const port = portFor(target.hostname);
    if (port === undefined) {
      res.writeHead(502).end(`no route to ${target.hostname}`);
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: target.pathname + target.search, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    seen.push(`CONNECT ${req.url}`);
    const [host] = String(req.url).split(':');
    const port = portFor(host);
    if (port === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, listenOn, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${listenOn}:${port}`,
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import * as http from 'http';
import * as https from 'https';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { KubelabError } from '../errors';

/**
 * The agent for one URL: through the proxy HTTPS_PROXY / HTTP_PROXY (or ALL_PROXY) names
 * for its scheme unless NO_PROXY matches, as proxy-from-env 1.1.0 reads them (index.js:
 * lower- and upper-case names, `*`, domains with and without a leading dot, ports).
 * https URLs go through the proxy with CONNECT, http URLs as absolute-URI requests.
 */
export function agentFor(url: string): http.Agent | undefined {
  const proxy = getProxyForUrl(url);
  if (!proxy) return undefined;
  return url.startsWith('https:') ? new HttpsProxyAgent(proxy) : new HttpProxyAgent(proxy);
}

/** The proxy a URL goes through, for messages ("via http://proxy:3128"), or undefined. */
export function proxyFor(url: string): string | undefined {
  return getProxyForUrl(url) || undefined;
}

/**
 * How long a connection may stay silent (no connect, no answer, no bytes) before it counts as
 * broken: a firewall that drops packets would otherwise hold a step forever.
 */
export const HTTP_IDLE_TIMEOUT_MS = 30_000;

/** GET with redirects followed (each hop picks its own proxy); resolves with the final response, any status. */
export function httpGet(url: string, headers: Record<string, string> = {}, redirects = 5, idleMs = HTTP_IDLE_TIMEOUT_MS): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { headers: { 'User-Agent': 'kubelab', ...headers }, agent: agentFor(url) }, (res) => {
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location && redirects > 0) {
        res.resume();
        resolve(httpGet(new URL(location, url).toString(), headers, redirects - 1, idleMs));
      } else resolve(res);
    });
    req.setTimeout(idleMs, () => req.destroy(new Error(`no answer for ${Math.round(idleMs / 1000)} s`)));
    req.on('error', (err) => {
      const via = proxyFor(url);
      reject(
        new KubelabError(
          via
            ? `cannot reach ${url} through the proxy ${via} (from HTTPS_PROXY/HTTP_PROXY): ${err.message}; check the proxy, or add the host to NO_PROXY`
            : `cannot reach ${url}: ${err.message}; check your internet connection, or set HTTPS_PROXY if you need a proxy`,
        ),
      );
    });
  });
}

/** The body of a 200 answer as text; any other status is one clear error. */
export async function httpGetText(url: string): Promise<string> {
  const res = await httpGet(url);
  if (res.statusCode !== 200) {
    res.resume();
    throw new KubelabError(`GET ${url} answered HTTP ${res.statusCode}; check the address and your internet connection`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

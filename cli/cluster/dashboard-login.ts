import { DASHBOARD_ADMIN, DASHBOARD_VIEWER, DashboardUrl } from '../../config/urls';
import { KubelabError } from '../errors';
import { LabCluster } from './lab-cluster';

/** The API's minimum for a requested token lifetime (TokenRequest expirationSeconds). */
const MIN_TOKEN_SECONDS = 600;

/** "1h", "30m", "900s" → seconds; at least 10 minutes, as the TokenRequest API demands. */
export function parseTokenDuration(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text.trim());
  if (!m) throw new KubelabError(`--duration '${text}' is not a duration like 1h, 30m or 900s`);
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
  if (seconds < MIN_TOKEN_SECONDS) throw new KubelabError(`--duration '${text}' is shorter than 10m, the shortest token the Kubernetes API issues`);
  return seconds;
}

/**
 * The dashboard's address and a fresh token for its login account, as lines to
 * print. The token comes from the TokenRequest API (what `kubectl create token`
 * does), lives only as long as asked, and is never written anywhere.
 */
export async function dashboardLogin(cluster: LabCluster, dashboard: DashboardUrl, opts: { readOnly: boolean; seconds: number }): Promise<string[]> {
  const account = opts.readOnly ? DASHBOARD_VIEWER : DASHBOARD_ADMIN;
  const { token, expires } = await cluster.requestToken(dashboard.namespace, account, opts.seconds);
  const headlamp = dashboard.kind === 'headlamp';
  const until = expires ? ` until ${expires.toISOString().replace('T', ' ').slice(0, 16)} UTC` : '';
  return [
    `Dashboard (${headlamp ? 'Headlamp' : 'Kubernetes Dashboard'}): ${dashboard.url}`,
    `  without DNS (sslip.io unreachable): ${dashboard.fallbackUrl}`,
    `Token for ServiceAccount ${dashboard.namespace}/${account} (${opts.readOnly ? 'read-only: the built-in view role' : 'cluster-admin: full control, a lab-only choice'}), valid${until}:`,
    '',
    token,
    '',
    headlamp
      ? 'Log in: open the URL, paste the token into the token field and press Authenticate.'
      : 'Log in: the Kubernetes Dashboard accepts a token only over https, so the URL is https; your browser warns about the ingress\'s self-signed certificate: accept it for this lab, choose "Token" and paste it.',
    'The token is not stored anywhere: run npx kubelab dashboard again for a new one.',
  ];
}

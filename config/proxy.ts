import { LabConfig } from './lab-config';

/**
 * The proxy environment the VMs get from `proxy:` in the lab config: HTTP_PROXY, HTTPS_PROXY
 * and NO_PROXY, with loopback and the lab's own network always reached directly. K3s's
 * install.sh copies these three from its environment into the service's env file
 * (/etc/systemd/system/k3s.service.env, or k3s-agent.service.env), where K3s and its embedded
 * containerd read them, and K3s itself adds the cluster's pod and service networks and
 * cluster.local to NO_PROXY (docs.k3s.io "Configuring an HTTP proxy", as quoted in
 * k3s-io/k3s#10110; create_env_file in install.sh: `env | grep -Ei '^(NO|HTTP|HTTPS)_PROXY'`,
 * seen in forks of it, the k3s-io file itself not re-read here).
 */
export function vmProxyEnvironment(cfg: Pick<LabConfig, 'proxy' | 'network'> & Partial<Pick<LabConfig, 'nodes'>>): Record<string, string> {
  if (!cfg.proxy) return {};
  // Existing machines sit outside the lab network: their addresses bypass the proxy too, or K3s on one
  // machine would reach another (agents the server's supervisor and API, the kubelets) through the proxy.
  const machines = (cfg.nodes ?? []).filter((n) => n.host).map((n) => n.host!.address);
  // After the user's own entries: a step's spec carries them all there (config/step-spec.ts proxyInput), in this order.
  const noProxy = ['127.0.0.1', 'localhost', cfg.network.cidr, ...(cfg.proxy.noProxy ?? []), ...machines];
  return { HTTP_PROXY: cfg.proxy.http, HTTPS_PROXY: cfg.proxy.https ?? cfg.proxy.http, NO_PROXY: [...new Set(noProxy)].join(',') };
}

import { LabNode } from '../../config/lab-config';
import { LAB_SSH_USER } from './keys';

/** Where kubelab logs in to reach one node. */
export interface SshTarget {
  /** The node's name (cp1, w1, …): how pins, messages and logs refer to it. */
  readonly nodeName: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /**
   * The private key that logs in, relative to the lab state dir `.kubelab/`.
   * @default the lab's own key (ssh/id_ed25519)
   */
  readonly keyFile?: string;
}

/** Real nodes listen on 22 and let the lab's `kubelab` user in. */
export const NODE_SSH_PORT = 22;

/**
 * Test hook, never set on a real lab: a JSON map from a node's IP to the local
 * OpenSSH server that plays it, e.g.
 * `{"192.168.56.10": {"host": "127.0.0.1", "port": 40022, "user": "runner"}}`.
 * The tests start one sshd per fake node, each on its own port, as the current user.
 */
export const TEST_SSH_ENDPOINTS_ENV = 'KUBELAB_TEST_SSH_ENDPOINTS';

/** The SSH target of a node by its name and host-only IP (port 22, user kubelab, unless the test hook says otherwise). */
export function nodeSshTarget(nodeName: string, ip: string, env: NodeJS.ProcessEnv = process.env): SshTarget {
  const raw = env[TEST_SSH_ENDPOINTS_ENV];
  if (raw) {
    const endpoint = (JSON.parse(raw) as Record<string, Partial<SshTarget> | undefined>)[ip];
    if (endpoint) {
      return { nodeName, host: endpoint.host ?? ip, port: endpoint.port ?? NODE_SSH_PORT, user: endpoint.user ?? LAB_SSH_USER };
    }
  }
  return { nodeName, host: ip, port: NODE_SSH_PORT, user: LAB_SSH_USER };
}

/** Where kubelab logs in to a node of the config: its VM, or the existing host as `host:` says. */
export function labNodeSshTarget(node: Pick<LabNode, 'name' | 'ip' | 'host'>, env: NodeJS.ProcessEnv = process.env): SshTarget {
  if (!node.host) return nodeSshTarget(node.name, node.ip, env);
  return existingHostSshTarget(node.name, node.host, env);
}

/** An existing host's login (the test hook may send its address to a local sshd, which then lets the host's key in). */
export function existingHostSshTarget(
  nodeName: string,
  host: { readonly address: string; readonly user: string; readonly port: number; readonly keyFile: string },
  env: NodeJS.ProcessEnv = process.env,
): SshTarget {
  const hooked = env[TEST_SSH_ENDPOINTS_ENV] ? nodeSshTarget(nodeName, host.address, env) : undefined;
  if (hooked && hooked.host !== host.address) return { ...hooked, keyFile: host.keyFile };
  return { nodeName, host: host.address, port: host.port, user: host.user, keyFile: host.keyFile };
}

/** "cp1 (192.168.56.10)" — or with the port when it is not 22. */
export function describeTarget(t: Pick<SshTarget, 'nodeName' | 'host' | 'port'>): string {
  return `${t.nodeName} (${t.host}${t.port === NODE_SSH_PORT ? '' : `:${t.port}`})`;
}

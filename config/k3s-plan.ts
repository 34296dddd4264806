import { registrationUrl, serverJoinFlags } from './cluster-join';
import { LabConfig, LabNode } from './lab-config';
import { vmProxyEnvironment } from './proxy';

/** The interface of the host-only network inside the Ubuntu VMs (NIC2); NIC1 (enp0s3) is NAT with 10.0.2.15 on every VM. */
export const HOST_ONLY_IFACE = 'enp0s8';

/** Where the lab token sits on a node: root-only, read by K3s through K3S_TOKEN_FILE. */
export const NODE_TOKEN_FILE = '/etc/rancher/k3s/kubelab-token';

/** The K3s supervisor/API port agents join through. */
export const K3S_API_PORT = 6443;

/** The URL agents join and the lab kubeconfig points at: the one place it is built. */
export function k3sServerUrl(serverIp: string): string {
  return `https://${serverIp}:${K3S_API_PORT}`;
}

/** What the K3s step of one node installs, and with which arguments. */
export interface K3sStepPlan {
  readonly role: 'server' | 'agent';
  readonly node: LabNode;
  readonly labName: string;
  readonly version: string;
  /** The systemd unit the installer creates. */
  readonly service: 'k3s' | 'k3s-agent';
  /** The uninstall script the installer leaves in /usr/local/bin. */
  readonly uninstallScript: 'k3s-uninstall.sh' | 'k3s-agent-uninstall.sh';
  /** Arguments after `install.sh`: the K3s command and its flags (written into the systemd unit). */
  readonly installArgs: readonly string[];
  /** K3S_* variables for the installer (it copies them into the unit's env file, mode 0600). No secret values. */
  readonly installerEnv: Readonly<Record<string, string>>;
  /** How the installer and binary reach the node. */
  readonly source: 'online' | 'upload';
}

/** The plan for a node of the lab. `source` says whether files are uploaded from the host (local or cache). */
export function k3sStepPlan(cfg: LabConfig, node: LabNode, source: 'online' | 'upload'): K3sStepPlan {
  // Without --node-ip and --flannel-iface, K3s picks the NAT NIC (10.0.2.15 on every VM): logs, exec and metrics break (k3s-io/k3s #72, #1365).
  // An existing host has no enp0s8; K3s registers it with --node-ip, and the node script adds --flannel-iface when the
  // interface holding that address is not the default route's (cli/k3s/node-script.ts, with the K3s source it follows).
  const nodeFlags = ['--node-name', node.name, '--node-ip', node.ip, ...(node.host ? [] : ['--flannel-iface', HOST_ONLY_IFACE])];
  // With `proxy:` in the config, install.sh passes the proxy on to K3s and containerd (see config/proxy.ts).
  const env: Record<string, string> = { K3S_TOKEN_FILE: NODE_TOKEN_FILE, ...vmProxyEnvironment(cfg) };
  if (node.role === 'server') {
    return {
      role: 'server',
      node,
      labName: cfg.name,
      version: cfg.k3s.version,
      service: 'k3s',
      uninstallScript: 'k3s-uninstall.sh',
      installArgs: [
        'server',
        ...serverJoinFlags(cfg, node),
        ...nodeFlags,
        '--advertise-address', node.ip,
        '--tls-san', node.ip,
        // Terraform installs Traefik and metrics-server from pinned charts; the bundled ones would clash.
        '--disable', 'traefik',
        '--disable', 'metrics-server',
        '--write-kubeconfig-mode', '600',
        // Nodes share pulled images (Spegel); server flag only, "enables the embedded mirror for use on all nodes in the
        // cluster" (k3s-io/docs docs/installation/registry-mirror.md at 116507ce). registries.yaml lists the registries.
        ...(cfg.k3s.embeddedRegistry === false ? [] : ['--embedded-registry']),
      ],
      installerEnv: env,
      source,
    };
  }
  return {
    role: 'agent',
    node,
    labName: cfg.name,
    version: cfg.k3s.version,
    service: 'k3s-agent',
    uninstallScript: 'k3s-agent-uninstall.sh',
    installArgs: ['agent', ...nodeFlags],
    installerEnv: { K3S_URL: registrationUrl(cfg), ...env },
    source,
  };
}

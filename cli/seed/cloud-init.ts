import { stringify } from 'yaml';
import { parseCidr } from '../../config/ipv4';
import { LabConfig, LabNode } from '../../config/lab-config';
import { vmProxyEnvironment } from '../../config/proxy';
import { LAB_SSH_USER } from '../ssh/keys';

/** Ubuntu's names for NIC1 (NAT) and NIC2 (host-only) on VirtualBox's default PCI slots. */
export const NAT_INTERFACE = 'enp0s3';
export const HOST_ONLY_INTERFACE = 'enp0s8';

/**
 * The MAC addresses of a node's NICs as VirtualBox assigned them (showvminfo macaddress1/2).
 * Interface names follow the chipset's PCI layout (enp0s3/enp0s8 on VirtualBox's x86
 * chipsets; not promised on armv8virtual), so the network config matches each NIC by its
 * MAC and names it NAT_INTERFACE / HOST_ONLY_INTERFACE itself (netplan match + set-name),
 * which the K3s flags (--flannel-iface) then rely on.
 */
export interface NodeNicMacs {
  readonly nat: string;
  readonly hostOnly: string;
}

/** VirtualBox prints a MAC as 12 hex digits; netplan wants it with colons, lower case. */
export function netplanMac(vbox: string): string {
  const hex = vbox.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  if (hex.length !== 12) throw new Error(`${JSON.stringify(vbox)} is not a MAC address (12 hex digits)`);
  return hex.match(/../g)!.join(':');
}

/** The three files of a cloud-init NoCloud seed for one node. */
export interface NodeSeedFiles {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
}

/**
 * What cloud-init does on the node's first boot: hostname, the lab user with the
 * lab's SSH key and passwordless sudo, no password logins, and the two NICs.
 */
export function nodeSeedFiles(
  cfg: Pick<LabConfig, 'name' | 'network'> & Partial<Pick<LabConfig, 'proxy'>>,
  node: Pick<LabNode, 'name' | 'ip'>,
  sshPublicKey: string,
  macs?: NodeNicMacs,
): NodeSeedFiles {
  const subnet = parseCidr(cfg.network.cidr);
  if (!subnet) throw new Error(`network.cidr ${cfg.network.cidr} is not a CIDR network`);
  if (!/^ssh-(ed25519|rsa) \S+/.test(sshPublicKey)) throw new Error('the lab SSH public key is not an OpenSSH public key line');

  const userData = {
    hostname: node.name,
    fqdn: node.name,
    manage_etc_hosts: true,
    // Listing users without "default" means the image's default 'ubuntu' user is not created.
    users: [
      {
        name: LAB_SSH_USER,
        gecos: `kubelab lab user (${cfg.name})`,
        shell: '/bin/bash',
        groups: ['sudo'],
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: [sshPublicKey.trim()],
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    ...proxyFiles(cfg),
  };

  const networkConfig = {
    version: 2,
    ethernets: {
      // A network-config replaces cloud-init's default DHCP on the first NIC, so NAT keeps DHCP here.
      [NAT_INTERFACE]: { ...byMac(macs?.nat, NAT_INTERFACE), dhcp4: true },
      [HOST_ONLY_INTERFACE]: { ...byMac(macs?.hostOnly, HOST_ONLY_INTERFACE), dhcp4: false, addresses: [`${node.ip}/${subnet.prefixLength}`] },
    },
  };

  return {
    userData: `#cloud-config\n${stringify(userData)}`,
    metaData: stringify({ 'instance-id': `${cfg.name}-${node.name}`, 'local-hostname': node.name }),
    networkConfig: stringify(networkConfig),
  };
}

/** Without a MAC (a seed written by `kubelab seed` for no VM yet) the interface is found by its name. */
function byMac(mac: string | undefined, name: string): object {
  return mac === undefined ? {} : { match: { macaddress: netplanMac(mac) }, 'set-name': name };
}

/**
 * With `proxy:` in the config: apt's proxy (Acquire::http::Proxy / Acquire::https::Proxy,
 * apt.conf(5)) and the proxy variables in /etc/environment, which pam_env sets for every
 * login, so curl and wget in an SSH session use it too. K3s gets it from its installer (config/proxy.ts).
 */
function proxyFiles(cfg: Partial<Pick<LabConfig, 'proxy'>> & Pick<LabConfig, 'network'>): { write_files?: object[] } {
  const env = vmProxyEnvironment({ proxy: cfg.proxy, network: cfg.network });
  if (!env.HTTP_PROXY) return {};
  const lines = Object.entries(env).flatMap(([k, v]) => [`${k}=${v}`, `${k.toLowerCase()}=${v}`]);
  return {
    write_files: [
      {
        path: '/etc/apt/apt.conf.d/95kubelab-proxy',
        permissions: '0644',
        content: `Acquire::http::Proxy "${env.HTTP_PROXY}";\nAcquire::https::Proxy "${env.HTTPS_PROXY}";\n`,
      },
      { path: '/etc/environment', append: true, content: `${lines.join('\n')}\n` },
    ],
  };
}

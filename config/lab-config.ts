import { z } from 'zod';
import { isIpv4, ipv4ToInt, parseCidr, subnetContains, subnetWithin } from './ipv4';

/** K3s minimums (docs.k3s.io, "Requirements"): server 2 cores / 2 GB, agent 1 core / 512 MB. */
export const K3S_MINIMUMS = {
  server: { cpus: 2, memoryMb: 2048 },
  agent: { cpus: 1, memoryMb: 512 },
} as const;

/** Sizes a node gets when the config does not say. */
export const NODE_SIZE_DEFAULTS = {
  server: { cpus: 2, memoryMb: 2048, diskGb: 20 },
  agent: { cpus: 2, memoryMb: 2048, diskGb: 20 },
} as const;

/** What Linux and macOS hosts allow for host-only networks without /etc/vbox/networks.conf. */
export const VBOX_DEFAULT_ALLOWED_RANGE = '192.168.56.0/21';

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const K3S_VERSION = /^v\d+\.\d+\.\d+(-rc\d+)?\+k3s\d+$/;
const CHART_VERSION = /^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

const hostname = (what: string) =>
  z.string().regex(HOSTNAME, {
    message: `${what} must be a valid hostname: lower-case letters, digits and '-', 1 to 63 characters, starting and ending with a letter or digit`,
  });
const ipv4 = z.string().refine(isIpv4, { message: 'must be an IPv4 address like 192.168.56.10' });
const chartVersion = z.string().regex(CHART_VERSION, { message: 'must be an exact chart version like 1.2.3' });
const positiveInt = (what: string) => z.number().int({ message: `${what} must be a whole number` });

const nodeSchema = z.strictObject({
  /** Hostname of the VM and name of the Kubernetes node. */
  name: hostname('a node name'),
  role: z.enum(['server', 'agent'], { message: "must be 'server' or 'agent'" }),
  /** Static address on the host-only network (NIC2, enp0s8). */
  ip: ipv4,
  cpus: positiveInt('cpus').optional(),
  memoryMb: positiveInt('memoryMb').optional(),
  diskGb: positiveInt('diskGb').min(10, { message: 'must be at least 10 (GB); the Ubuntu image and K3s need the room' }).optional(),
});

const componentSwitch = { enabled: z.boolean({ message: 'must be true or false' }) };

export const labConfigSchema = z
  .strictObject({
    /** Lab name: VirtualBox group, VM name prefix, kubeconfig cluster/context/user name. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, {
      message: "must start with a lower-case letter and hold only lower-case letters, digits and '-' (at most 31 characters)",
    }),
    network: z.strictObject({
      /** The host-only network, e.g. 192.168.56.0/24. */
      cidr: z.string().refine((v) => parseCidr(v) !== undefined, {
        message: 'must be a network in CIDR form whose address is the network address, prefix /8 to /30, like 192.168.56.0/24',
      }),
      /** The host's own address on that network (VirtualBox host-only adapter). */
      hostIp: ipv4,
    }),
    image: z.strictObject({
      /** Ubuntu cloud image release; only 24.04 "noble" is built and tested. */
      release: z.enum(['noble'], { message: "must be 'noble' (Ubuntu 24.04), the only release kubelab supports" }),
    }),
    k3s: z.strictObject({
      version: z.string().regex(K3S_VERSION, { message: 'must be a K3s release tag like v1.36.4+k3s1' }),
      installer: z.strictObject({
        /** online: get.k3s.io and GitHub over the VMs' NAT; local: files on this host, uploaded over SSH. */
        source: z.enum(['online', 'local'], { message: "must be 'online' or 'local'" }),
        /** With source local: path (relative to the project) of the k3s binary. */
        binary: z.string().min(1).optional(),
        /** With source local: path (relative to the project) of the install.sh script. */
        script: z.string().min(1).optional(),
        /** With source local: optional air-gap images tarball (k3s-airgap-images-amd64.tar.zst). */
        images: z.string().min(1).optional(),
      }),
    }),
    nodes: z.array(nodeSchema).min(1, { message: 'must list at least one node (a server)' }),
    components: z.strictObject({
      ingress: z.strictObject({ ...componentSwitch, chartVersion }),
      metricsServer: z.strictObject({ ...componentSwitch, chartVersion }),
      dashboard: z.strictObject({
        ...componentSwitch,
        kind: z.enum(['headlamp', 'kubernetes-dashboard'], { message: "must be 'headlamp' or 'kubernetes-dashboard'" }),
        /** @default the pinned chart of the chosen kind */
        chartVersion: chartVersion.optional(),
      }),
      hpaDemo: z.strictObject({ ...componentSwitch }),
    }),
  })
  .superRefine((cfg, ctx) => {
    const subnet = parseCidr(cfg.network.cidr);
    if (!subnet) return;
    const checkAddress = (ip: string, path: (string | number)[], what: string) => {
      if (!isIpv4(ip)) return;
      if (!subnetContains(subnet, ip)) {
        ctx.addIssue({ code: 'custom', path, message: `${what} must lie inside network.cidr ${cfg.network.cidr}` });
      } else if (ip === subnet.network || ip === subnet.broadcast) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${what} must not be the network address (${subnet.network}) or the broadcast address (${subnet.broadcast}) of ${cfg.network.cidr}`,
        });
      }
    };
    checkAddress(cfg.network.hostIp, ['network', 'hostIp'], 'the host address');

    const seenNames = new Map<string, number>();
    const seenIps = new Map<string, number>();
    cfg.nodes.forEach((node, i) => {
      checkAddress(node.ip, ['nodes', i, 'ip'], `the address of node ${node.name}`);
      if (node.ip === cfg.network.hostIp) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'ip'],
          message: `is the host's own address (network.hostIp); give node ${node.name} another address`,
        });
      }
      if (RESERVED_NODE_NAMES.includes(node.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'name'],
          message: `'${node.name}' is reserved: the VM ${cfg.name}-${node.name} is the base image every node is cloned from; allowed: any other hostname, e.g. cp1, w1`,
        });
      }
      const nameAt = seenNames.get(node.name);
      if (nameAt !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `is already used by nodes[${nameAt}]; node names must be unique` });
      } else seenNames.set(node.name, i);
      const ipAt = seenIps.get(node.ip);
      if (ipAt !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'ip'], message: `is already used by nodes[${ipAt}] (${cfg.nodes[ipAt].name}); node addresses must be unique` });
      } else seenIps.set(node.ip, i);

      const min = K3S_MINIMUMS[node.role];
      if (node.cpus !== undefined && node.cpus < min.cpus) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'cpus'], message: `is below the K3s minimum for a ${node.role}: at least ${min.cpus}` });
      }
      if (node.memoryMb !== undefined && node.memoryMb < min.memoryMb) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'memoryMb'], message: `is below the K3s minimum for a ${node.role}: at least ${min.memoryMb} (MB)` });
      }
    });

    const servers = cfg.nodes.filter((n) => n.role === 'server');
    if (servers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: "has no node with role 'server'; give exactly one node role: server" });
    } else if (servers.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['nodes'],
        message: `has ${servers.length} servers (${servers.map((s) => s.name).join(', ')}); kubelab supports exactly one until HA exists: make the others role: agent`,
      });
    }

    const { installer } = cfg.k3s;
    if (installer.source === 'local' && (!installer.binary || !installer.script)) {
      ctx.addIssue({
        code: 'custom',
        path: ['k3s', 'installer'],
        message: 'with source: local needs both binary (the k3s binary) and script (install.sh) paths',
      });
    }
    const c = cfg.components;
    if (c.dashboard.enabled && !c.ingress.enabled) {
      ctx.addIssue({ code: 'custom', path: ['components', 'dashboard', 'enabled'], message: 'needs components.ingress.enabled: true (the dashboard is reached through the ingress)' });
    }
    if (c.hpaDemo.enabled && (!c.ingress.enabled || !c.metricsServer.enabled)) {
      ctx.addIssue({
        code: 'custom',
        path: ['components', 'hpaDemo', 'enabled'],
        message: 'needs components.ingress.enabled and components.metricsServer.enabled: true (the HPA reads CPU from metrics-server; the demo is reached through the ingress)',
      });
    }
  });

export type LabConfigInput = z.input<typeof labConfigSchema>;
type ParsedConfig = z.output<typeof labConfigSchema>;
type ParsedNode = ParsedConfig['nodes'][number];

/** A node with every size filled in. */
export interface LabNode extends ParsedNode {
  readonly cpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
}

/** The validated lab configuration. */
export interface LabConfig extends Omit<ParsedConfig, 'nodes'> {
  readonly nodes: readonly LabNode[];
}

export function withNodeDefaults(parsed: ParsedConfig): LabConfig {
  return {
    ...parsed,
    nodes: parsed.nodes.map((n) => {
      const size = NODE_SIZE_DEFAULTS[n.role];
      return { ...n, cpus: n.cpus ?? size.cpus, memoryMb: n.memoryMb ?? size.memoryMb, diskGb: n.diskGb ?? size.diskGb };
    }),
  };
}

/** Warnings: valid, but the user should know. */
export function configWarnings(cfg: LabConfig): string[] {
  const warnings: string[] = [];
  const subnet = parseCidr(cfg.network.cidr)!;
  if (!subnetWithin(subnet, parseCidr(VBOX_DEFAULT_ALLOWED_RANGE)!)) {
    warnings.push(
      `network.cidr ${cfg.network.cidr} is outside ${VBOX_DEFAULT_ALLOWED_RANGE}, the only range VirtualBox allows for host-only networks on Linux and macOS by default. ` +
        `On those hosts add a line "* ${cfg.network.cidr}" to /etc/vbox/networks.conf (create the file as root), or pick a network inside ${VBOX_DEFAULT_ALLOWED_RANGE}. Windows hosts are not limited.`,
    );
  }
  const dhcpLow = ipv4ToInt(subnet.network) + 100;
  for (const node of cfg.nodes) {
    const value = ipv4ToInt(node.ip);
    if (subnet.prefixLength === 24 && value >= dhcpLow) {
      warnings.push(
        `nodes ${node.name}: ip ${node.ip} is in the range VirtualBox's default DHCP server leases (.100 and up); a DHCP lease could collide with it. Prefer an address below .100.`,
      );
    }
  }
  return warnings;
}

/** The server node (validation guarantees exactly one). */
export function serverNode(cfg: LabConfig): LabNode {
  return cfg.nodes.find((n) => n.role === 'server')!;
}

export function agentNodes(cfg: LabConfig): LabNode[] {
  return cfg.nodes.filter((n) => n.role === 'agent');
}

export function findNode(cfg: LabConfig, name: string): LabNode {
  const node = cfg.nodes.find((n) => n.name === name);
  if (!node) {
    throw new Error(`No node named '${name}' in the lab config; the nodes are: ${cfg.nodes.map((n) => n.name).join(', ')}.`);
  }
  return node;
}

/** Node names kubelab uses for its own VMs (<lab>-base is the base image the nodes are cloned from). */
export const RESERVED_NODE_NAMES: readonly string[] = ['base'];

/** The VirtualBox VM name of a node: prefixed with the lab name so it never clashes with the user's own VMs. */
export function vmName(cfg: Pick<LabConfig, 'name'>, node: Pick<LabNode, 'name'>): string {
  return `${cfg.name}-${node.name}`;
}

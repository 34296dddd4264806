import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { ExistingHost, existingHostSchema, withHostDefaults } from './existing-host';
import { Ipv4Subnet, isIpv4, ipv4ToInt, parseCidr, specialRangeOf, subnetContains, subnetWithin } from './ipv4';
import { registriesSchema } from './registries';
import { PINNED } from './versions';
import { booleanHint, numberHint } from './write-it-right';

/** K3s minimums (docs.k3s.io, "Requirements"): server 2 cores / 2 GB, agent 1 core / 512 MB. */
export const K3S_MINIMUMS = {
  server: { cpus: 2, memoryMb: 2048 },
  agent: { cpus: 1, memoryMb: 512 },
} as const;

/**
 * Server counts kubelab builds: embedded etcd needs an odd number of servers for quorum
 * (k3s-io/docs docs/datastore/ha-embedded.md at 0c96e6d7: "An even number of server nodes
 * will result in a non-functional, split-brain cluster"); 1 is the single-server lab.
 */
export const SERVER_COUNTS = [1, 3, 5] as const;

/**
 * RAM of a server that runs the control plane and etcd, from K3s's "Server Sizing Guide"
 * (k3s-io/docs docs/installation/requirements.md at 005d2954: 2 CPU, 4 GB for up to 350
 * agents). Below it an HA lab still starts (the hard minimum stays 2 GB) but gets a warning.
 */
export const ETCD_SERVER_SIZING = { cpus: 2, memoryMb: 4096 } as const;

/** Sizes a node gets when the config does not say. */
export const NODE_SIZE_DEFAULTS = {
  server: { cpus: 2, memoryMb: 2048, diskGb: 20 },
  agent: { cpus: 2, memoryMb: 2048, diskGb: 20 },
} as const;

/** What Linux and macOS hosts allow for host-only networks without /etc/vbox/networks.conf. */
export const VBOX_DEFAULT_ALLOWED_RANGE = '192.168.56.0/21';

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * The image archives K3s imports from its agent images dir, by suffix (k3s-io/k3s
 * pkg/agent/containerd/containerd.go preloadFile: .tar, .tar.lz4, .tar.bz2/.tbz, .tar.gz/.tgz,
 * tar.zst/.tzst, anything else "unhandled file type"; read at commit 8fed810c, not confirmed at
 * the tag v1.36.4+k3s1).
 */
export const K3S_IMAGES_SUFFIXES = ['.tar', '.tar.lz4', '.tar.bz2', '.tbz', '.tar.gz', '.tgz', '.tar.zst', '.tzst'] as const;

const K3S_VERSION = /^v\d+\.\d+\.\d+(-rc\d+)?\+k3s\d+$/;
const CHART_VERSION = /^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

/**
 * Upper bounds that catch typos (cpus: 100000): generous sanity limits kubelab chooses, far
 * above any learning lab, not VirtualBox's own maxima (unverified). What this host can give is a warning.
 */
export const NODE_SIZE_LIMITS = {
  cpus: { min: 1, max: 64 },
  memoryMb: { min: 1, max: 1_048_576 },
  diskGb: { min: 10, max: 2048 },
} as const;

/**
 * Whether the schema took a size, as far as the K3s minimum cares (a size it refused already has its line):
 * a whole number from the limit's min; one past its max is above every K3s minimum anyway.
 */
const sizeTaken = (v: number, { min }: { min: number }) => Number.isInteger(v) && v >= min;

/*
 * Each field states its line once, on its type: a check with no message of its own (a pattern,
 * refine, int, min, max) reports the message of the schema it checks (zod 4.6.7,
 * v4/core/util.js finalizeIssue), so a wrong type and a wrong value read the same.
 */
const hostname = (what: string) => {
  const message = `${what} must be a valid hostname: lower-case letters, digits and '-', 1 to 63 characters, starting and ending with a letter or digit`;
  return z.string({ message }).regex(HOSTNAME);
};
const LAB_NAME = /^[a-z]([a-z0-9-]{0,29}[a-z0-9])?$/;
const LAB_NAME_MESSAGE = "must start with a lower-case letter, end with a letter or digit and hold only lower-case letters, digits and '-' (at most 31 characters)";
const IPV4_MESSAGE = 'must be an IPv4 address like 192.168.56.10';
const ipv4 = z.string({ message: IPV4_MESSAGE }).refine(isIpv4);
const CHART_VERSION_MESSAGE = 'must be an exact chart version like 1.2.3 (text in quotes)';
const chartVersion = z.string({ message: CHART_VERSION_MESSAGE }).regex(CHART_VERSION);
/**
 * A whole number in [min, max]; every way to miss it gets the same message saying the range,
 * and how to write what was meant (a quoted number, "2G" for a size in MB).
 */
const wholeNumber = (what: string, { min, max }: { min: number; max: number }, unit?: 'MB' | 'GB', why = '') => {
  const message = `${what} must be a whole number from ${min} to ${max}${unit ? ` (${unit}${why})` : ''}`;
  const error = (issue: { input?: unknown }) => message + numberHint(what, issue.input, unit);
  return z.number({ error }).int().min(min).max(max);
};
/** Text of at least one character; empty text is that one line, not a second from a check after it (a pattern, a suffix). */
const text = (message: string) => z.string({ message }).min(1, { abort: true });

/** `proxy.http` / `proxy.https`: where the VMs (apt, curl, K3s, containerd) reach the internet. */
const proxyUrl = (key: string) =>
  z
    .string({ message: 'must be a proxy URL like http://proxy.example.com:3128' })
    .refine((value) => URL.canParse(value), { abort: true })
    .superRefine((value, ctx) => {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `must start with http:// or https:// (the scheme the ${key} proxy itself speaks)` });
      } else if (url.username || url.password) {
        ctx.addIssue({
          code: 'custom',
          message: 'must not hold a user name or password: it would be written into the VMs and Terraform state; use a proxy that allows the lab by address',
        });
      } else if (url.pathname !== '/' || url.search || url.hash) {
        // An http(s) URL's path is never empty (WHATWG URL): "/" when none was written.
        ctx.addIssue({ code: 'custom', message: 'must be only scheme, host and port, like http://proxy.example.com:3128' });
      }
    });
/** `*`, a host or .domain (an IPv4 address is one to this pattern too), or a CIDR network. */
const NO_PROXY_ENTRY = /^(\*|\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\d{1,3}(\.\d{1,3}){3}\/\d{1,2})$/;

const nodeSchema = z.strictObject({
  /** Hostname of the VM and name of the Kubernetes node. */
  name: hostname('a node name'),
  role: z.enum(['server', 'agent'], { message: "must be 'server' or 'agent'" }),
  /** Static address on the host-only network (NIC2, enp0s8); a VM node needs it, an existing host uses host.address. */
  ip: ipv4.optional(),
  cpus: wholeNumber('cpus', NODE_SIZE_LIMITS.cpus).optional(),
  memoryMb: wholeNumber('memoryMb', NODE_SIZE_LIMITS.memoryMb, 'MB').optional(),
  /** At least 10 GB: the Ubuntu image and K3s need the room. */
  diskGb: wholeNumber('diskGb', NODE_SIZE_LIMITS.diskGb, 'GB', '; the Ubuntu image and K3s need at least 10').optional(),
  /** An existing machine instead of a VM: SSH address, user, port and key (in .kubelab/). @default a VirtualBox VM */
  host: existingHostSchema.optional(),
}, { message: 'must be a mapping like { name: w1, role: agent, ip: 192.168.56.11 }' });

const componentSwitch = { enabled: z.boolean({ error: (issue) => `must be true or false${booleanHint('enabled', issue.input)}` }) };
const mapping = (keys: string) => ({ message: `must be a mapping with the keys ${keys}` });

export const labConfigSchema = z
  .strictObject({
    /** Lab name: VirtualBox group, VM name prefix, kubeconfig cluster/context/user name. */
    name: text(LAB_NAME_MESSAGE)
      .regex(LAB_NAME)
      .refine((v) => !RESERVED_LAB_NAMES.has(v), { error: (issue) => `is reserved: ${RESERVED_LAB_NAMES.get(issue.input as string)}; pick another name, like kubelab` }),
    network: z.strictObject(
      {
        /** The host-only network, e.g. 192.168.56.0/24. */
        cidr: z
          .string({ message: 'must be a network in CIDR form like 192.168.56.0/24' })
          .refine((v) => parseCidr(v) !== undefined, {
            message: 'must be a network in CIDR form whose address is the network address, prefix /8 to /30, like 192.168.56.0/24',
          })
          .superRefine((v, ctx) => {
            const special = specialRangeOf(v);
            if (special) ctx.addIssue({ code: 'custom', message: `overlaps ${special}, which a host-only network cannot use; pick a private range like 192.168.56.0/24` });
            const taken = parseCidr(v) && TAKEN_NETWORKS.filter((t) => subnetsOverlap(parseCidr(v)!, parseCidr(t.cidr)!));
            if (taken && taken.length > 0) {
              ctx.addIssue({ code: 'custom', message: `overlaps ${joinAnd(taken.map((t) => `${t.cidr} (${t.what})`))}; pick a network outside ${taken.length > 1 ? 'all of them' : 'it'}, like 192.168.56.0/24` });
            }
          }),
        /** The host's own address on that network (VirtualBox host-only adapter). */
        hostIp: ipv4,
      },
      mapping('cidr and hostIp'),
    ),
    image: z.strictObject(
      {
        /** Ubuntu cloud image release; only 24.04 "noble" is built and tested. */
        release: z.enum(['noble'], { message: "must be 'noble' (Ubuntu 24.04), the only release kubelab supports" }),
      },
      mapping('release'),
    ),
    k3s: z.strictObject(
      {
        version: z.string({ message: 'must be a K3s release tag like v1.36.4+k3s1' }).regex(K3S_VERSION),
        installer: z.strictObject(
          {
            /** online: get.k3s.io and GitHub over the VMs' NAT; local: files on this host, uploaded over SSH. */
            source: z.enum(['online', 'local'], { message: "must be 'online' or 'local'" }),
            /** With source local: path (relative to the project) of the k3s binary. */
            binary: text('must be the path of the k3s binary, relative to the project').optional(),
            /** With source local: path (relative to the project) of the install.sh script. */
            script: text('must be the path of install.sh, relative to the project').optional(),
            /** With source local: optional air-gap images tarball (k3s-airgap-images-amd64.tar.zst). */
            images: text('must be the path of the air-gap images tarball, relative to the project')
              .refine((p) => K3S_IMAGES_SUFFIXES.some((s) => p.toLowerCase().endsWith(s)), {
                message: `must end in ${K3S_IMAGES_SUFFIXES.join(', ')}: K3s picks how to unpack it by that suffix (the release's file is k3s-airgap-images-<arch>.tar.zst)`,
              })
              .optional(),
          },
          mapping('source, binary, script, images'),
        ),
        /**
         * K3s's embedded registry mirror (Spegel): nodes share the images they pulled, so an image
         * is pulled from the internet by one node (config/registries.ts labRegistries). @default true
         */
        embeddedRegistry: z.boolean().optional(),
      },
      mapping('version, installer and embeddedRegistry'),
    ),
    nodes: z.array(nodeSchema, { message: 'must be a list of nodes like - { name: cp1, role: server, ip: 192.168.56.10 }' }).min(1, { message: 'must list at least one node (a server)' }),
    /**
     * A proxy the VMs use for the internet (apt, curl, the K3s install, containerd image pulls).
     * @default none: the VMs reach the internet through VirtualBox NAT directly
     */
    proxy: z
      .strictObject(
        {
          http: proxyUrl('http'),
          /** @default the http proxy */
          https: proxyUrl('https').optional(),
          /** Extra hosts, domains (.corp.example) or networks (10.0.0.0/8) reached without the proxy; the lab's own are always added. */
          noProxy: z
            .array(
              z.string({ message: 'must be a host name, a .domain, an IPv4 address or a CIDR network' }).regex(NO_PROXY_ENTRY),
              { message: 'must be a list like [.corp.example, 10.0.0.0/8]' },
            )
            .optional(),
        },
        mapping('http, https, noProxy'),
      )
      .optional(),
    components: z.strictObject(
      {
        ingress: z.strictObject({ ...componentSwitch, chartVersion }, mapping('enabled, chartVersion')),
        metricsServer: z.strictObject({ ...componentSwitch, chartVersion }, mapping('enabled, chartVersion')),
        dashboard: z.strictObject(
          {
            ...componentSwitch,
            kind: z.enum(['headlamp', 'kubernetes-dashboard'], { message: "must be 'headlamp' or 'kubernetes-dashboard'" }),
            /** @default the pinned chart of the chosen kind */
            chartVersion: chartVersion.optional(),
          },
          mapping('enabled, kind, chartVersion'),
        ),
        hpaDemo: z.strictObject({ ...componentSwitch }, mapping('enabled')),
      },
      mapping('ingress, metricsServer, dashboard, hpaDemo'),
    ),
    /** Registry mirrors written to /etc/rancher/k3s/registries.yaml on every node. @default none */
    registries: registriesSchema.optional(),
  })
  .superRefine((cfg, ctx) => {
    const subnet = parseCidr(cfg.network.cidr);
    if (!subnet) return;
    // A network in a special range is refused on a line of its own; its addresses are not judged too.
    const networkRefused = specialRangeOf(cfg.network.cidr) !== undefined;
    const checkAddress = (ip: string, path: (string | number)[], what: string) => {
      if (!isIpv4(ip) || networkRefused) return;
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
      const reserved = RESERVED_NODE_NAMES.get(node.name);
      if (reserved && (node.name !== 'base' || !node.host)) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `is reserved: ${reserved(cfg.name)}; allowed: any other hostname, e.g. cp1, w1` });
      }
      if (node.host) {
        checkExistingHostNode(node, i, ctx);
        const addressAt = seenIps.get(node.host.address);
        if (addressAt !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['nodes', i, 'host', 'address'], message: `is already used by nodes[${addressAt}] (${cfg.nodes[addressAt].name}); node addresses must be unique` });
        } else seenIps.set(node.host.address, i);
        const nameAt = seenNames.get(node.name);
        if (nameAt !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `is already used by nodes[${nameAt}]; node names must be unique` });
        } else seenNames.set(node.name, i);
        return;
      }
      if (node.ip === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'ip'],
          message: `node ${node.name} needs ip: (its address on the host-only network) for its VM, or host: { address, user } to use an existing machine instead`,
        });
        return;
      }
      checkAddress(node.ip, ['nodes', i, 'ip'], `the address of node ${node.name}`);
      if (node.ip === cfg.network.hostIp) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'ip'],
          message: `is the host's own address (network.hostIp); give node ${node.name} another address`,
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
      if (node.cpus !== undefined && sizeTaken(node.cpus, NODE_SIZE_LIMITS.cpus) && node.cpus < min.cpus) {
        // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent: only a server gets here (an agent's K3s minimum, 1 CPU, is the schema's own)
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'cpus'], message: `is below the K3s minimum for ${node.role === 'agent' ? 'an' : 'a'} ${node.role}: at least ${min.cpus} (cpus: ${min.cpus})` });
      }
      if (node.memoryMb !== undefined && sizeTaken(node.memoryMb, NODE_SIZE_LIMITS.memoryMb) && node.memoryMb < min.memoryMb) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'memoryMb'], message: `is below the K3s minimum for ${node.role === 'agent' ? 'an' : 'a'} ${node.role}: at least ${min.memoryMb} MB (memoryMb: ${min.memoryMb})` });
      }
    });

    // With no nodes at all, "must list at least one node" says it already.
    if (cfg.nodes.length > 0) checkServerCount(cfg.nodes, ctx);
    checkNotMixed(cfg.nodes, ctx);

    const { installer } = cfg.k3s;
    if (installer.source === 'online') {
      for (const key of ['binary', 'script', 'images'] as const) {
        if (installer[key] === undefined) continue;
        ctx.addIssue({ code: 'custom', path: ['k3s', 'installer', key], message: 'is used only with k3s.installer.source: local; remove it, or set source: local' });
      }
    }
    if (installer.source === 'local' && (installer.binary === undefined || installer.script === undefined)) {
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

type ParsedNodeShape = z.output<typeof nodeSchema>;
type RefinementContext = z.core.$RefinementCtx<unknown>;

/** An existing host has the size it has: the VM keys do not apply, and it is not on the host-only network. */
function checkExistingHostNode(node: ParsedNodeShape, i: number, ctx: RefinementContext): void {
  const address = node.host!.address;
  const taken = isIpv4(address) ? TAKEN_NETWORKS.find((t) => t.k3s && subnetContains(parseCidr(t.cidr)!, address)) : undefined;
  if (taken) {
    ctx.addIssue({ code: 'custom', path: ['nodes', i, 'host', 'address'], message: `is inside ${taken.cidr} (${taken.what}); K3s cannot reach a node there: use a machine on another network` });
  }
  for (const key of ['ip', 'cpus', 'memoryMb', 'diskGb'] as const) {
    if (node[key] === undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['nodes', i, key],
      message:
        key === 'ip'
          ? `node ${node.name} is an existing host: its address is host.address; remove ip (ip is the address of a VM on the host-only network)`
          : `node ${node.name} is an existing host, which has the size it has; remove ${key} (it sizes VMs only)`,
    });
  }
}

/** 1, 3 or 5 servers: embedded etcd keeps quorum only with an odd number. */
function checkServerCount(nodes: readonly ParsedNodeShape[], ctx: RefinementContext): void {
  const servers = nodes.filter((n) => n.role === 'server');
  if (servers.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['nodes'], message: "has no node with role 'server'; give one node (or 3 or 5 for a highly available control plane) role: server" });
  } else if (!(SERVER_COUNTS as readonly number[]).includes(servers.length)) {
    const even = servers.length % 2 === 0;
    ctx.addIssue({
      code: 'custom',
      path: ['nodes'],
      message:
        `has ${servers.length} servers (${servers.map((s) => s.name).join(', ')}); allowed are ${SERVER_COUNTS.join(', ')}: ` +
        (even
          ? 'embedded etcd needs an odd number of servers to keep a quorum (an even number gains no fault tolerance and can split), so make one of them role: agent or add one'
          : `more than ${SERVER_COUNTS[SERVER_COUNTS.length - 1]} servers only slow etcd down in a lab; make the others role: agent`),
    });
  }
}

/**
 * A lab is VMs or existing hosts, not both: the VMs sit on a host-only network that only
 * this computer reaches, so other machines could not reach them (K3s needs every node to
 * reach every other on 8472/udp and 10250/tcp, and the servers on 6443/tcp).
 */
function checkNotMixed(nodes: readonly ParsedNodeShape[], ctx: RefinementContext): void {
  const hosts = nodes.filter((n) => n.host).map((n) => n.name);
  const vms = nodes.filter((n) => !n.host).map((n) => n.name);
  if (hosts.length > 0 && vms.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['nodes'],
      message:
        `mixes existing hosts (${hosts.join(', ')}) with VMs (${vms.join(', ')}); a lab is all VMs or all existing hosts, because the VMs' host-only network is reachable only from this computer ` +
        'and K3s needs every node to reach every other: give every node host: { address, user }, or none',
    });
  }
}

export type LabConfigInput = z.input<typeof labConfigSchema>;
type ParsedConfig = z.output<typeof labConfigSchema>;
type ParsedNode = ParsedConfig['nodes'][number];

/**
 * A node with every default filled in. `ip` is where kubelab and K3s reach it: the VM's
 * host-only address, or an existing host's address. The sizes apply to VMs only.
 */
export interface LabNode extends Omit<ParsedNode, 'host' | 'ip'> {
  readonly ip: string;
  /** Set when the node is an existing machine, not a VM. */
  readonly host?: ExistingHost;
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
      const { host, ip, ...rest } = n;
      // Validation guarantees: a VM node has ip, an existing host has host (and no ip).
      const where = host ? { ip: host.address, host: withHostDefaults(host) } : { ip: ip! };
      return { ...rest, ...where, cpus: n.cpus ?? size.cpus, memoryMb: n.memoryMb ?? size.memoryMb, diskGb: n.diskGb ?? size.diskGb };
    }),
  };
}

/** What this host has to give the VMs. */
export interface HostResources {
  readonly cpus: number;
  readonly memoryMb: number;
}

/** Memory the host itself keeps for its OS, VirtualBox and the browser (a rule of thumb, not a measured value). */
const HOST_RESERVE_MB = 2048;

/**
 * The local installer files that do not exist, one line each (with `source: local`; validation
 * leaves an online installer no paths). Checked at validation, so a typo fails before any
 * Terraform runs, not halfway through a deploy.
 */
export function localInstallerProblems(cfg: LabConfig, projectDir: string): string[] {
  const { installer } = cfg.k3s;
  const problems: string[] = [];
  for (const key of ['binary', 'script', 'images'] as const) {
    const rel = installer[key];
    if (rel === undefined) continue;
    const full = path.resolve(projectDir, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(full);
    } catch {
      problems.push(`k3s.installer.${key} = ${JSON.stringify(rel)} does not exist (looked for ${full}): give a path relative to the project, or set k3s.installer.source: online`);
      continue;
    }
    if (!st.isFile()) problems.push(`k3s.installer.${key} = ${JSON.stringify(rel)}: is not a file (${full}); give the path of the file itself`);
  }
  return problems;
}

/** Warnings: valid, but the user should know. With `host`, also sizes this host cannot give. */
export function configWarnings(cfg: LabConfig, host?: HostResources): string[] {
  const warnings: string[] = [];
  const vms = vmNodes(cfg);
  // A lab of existing machines asks this host for nothing: they have the size they have.
  if (host && vms.length > 0) {
    for (const node of vms) {
      if (node.cpus > host.cpus) {
        warnings.push(`nodes ${node.name}: cpus ${node.cpus} is more than this host's ${host.cpus} logical CPUs; VirtualBox may refuse to start the VM. Give it at most ${host.cpus}.`);
      }
    }
    const totalMb = vms.reduce((n, node) => n + node.memoryMb, 0);
    if (totalMb > host.memoryMb - HOST_RESERVE_MB) {
      warnings.push(
        `the nodes ask for ${totalMb} MB of memory in all; this host has ${host.memoryMb} MB, and about ${HOST_RESERVE_MB} MB should stay free for it. ` +
          'Expect swapping or VMs that fail to start: lower nodes[].memoryMb or use fewer agents.',
      );
    }
  }
  const subnet = parseCidr(cfg.network.cidr)!;
  // Never said to a lab of existing machines: it cannot set network: (config/load.ts), and the default lies inside the range.
  if (!subnetWithin(subnet, parseCidr(VBOX_DEFAULT_ALLOWED_RANGE)!)) {
    warnings.push(
      `network.cidr ${cfg.network.cidr} is outside ${VBOX_DEFAULT_ALLOWED_RANGE}, the only range VirtualBox allows for host-only networks on Linux and macOS by default. ` +
        `On those hosts add a line "* ${cfg.network.cidr}" to /etc/vbox/networks.conf (create the file as root), or pick a network inside ${VBOX_DEFAULT_ALLOWED_RANGE}. Windows hosts are not limited.`,
    );
  }
  const dhcpLow = ipv4ToInt(subnet.network) + 100;
  for (const node of vms) {
    const value = ipv4ToInt(node.ip);
    if (subnet.prefixLength === 24 && value >= dhcpLow) {
      warnings.push(
        `nodes ${node.name}: ip ${node.ip} is in the range VirtualBox's default DHCP server leases (.100 and up); a DHCP lease could collide with it. Prefer an address below .100.`,
      );
    }
  }
  const c = cfg.components;
  const dashboardPin = c.dashboard.kind === 'headlamp' ? PINNED.charts.headlamp.version : PINNED.charts.kubernetesDashboard.version;
  for (const [key, set, pin] of [
    ['ingress', c.ingress.chartVersion, PINNED.charts.traefik.version],
    ['metricsServer', c.metricsServer.chartVersion, PINNED.charts.metricsServer.version],
    ['dashboard', c.dashboard.chartVersion, dashboardPin],
  ] as const) {
    if (set === undefined || set === pin) continue;
    warnings.push(
      `components.${key}.chartVersion ${set} is not the pinned ${pin}: kubelab's values for this chart are checked against ${pin} only, so ${set} may reject them or ignore some. ` +
        `Write chartVersion: "${pin}" (or remove it) unless you mean to try ${set}.`,
    );
  }
  const servers = serverNodes(cfg);
  if (servers.length > 1) {
    for (const node of servers.filter((n) => !n.host && n.memoryMb < ETCD_SERVER_SIZING.memoryMb)) {
      warnings.push(
        `nodes ${node.name}: memoryMb ${node.memoryMb} is below the ${ETCD_SERVER_SIZING.memoryMb} MB K3s's server sizing guide lists for a server that also runs etcd; ` +
          `the HA lab starts, but may be slow or evict pods under load. Give the servers memoryMb: ${ETCD_SERVER_SIZING.memoryMb} if this computer has the RAM.`,
      );
    }
  }
  return warnings;
}

/** The servers in config order; validation guarantees 1, 3 or 5. */
export function serverNodes(cfg: Pick<LabConfig, 'nodes'>): LabNode[] {
  return cfg.nodes.filter((n) => n.role === 'server');
}

/**
 * The first server: it initializes the cluster (with --cluster-init when there are several),
 * the other servers join it, and agents and the kubeconfig reach the cluster through it.
 */
export function serverNode(cfg: Pick<LabConfig, 'nodes'>): LabNode {
  return serverNodes(cfg)[0];
}

/** Whether the lab has more than one server (an embedded-etcd HA control plane). */
export function isHighlyAvailable(cfg: Pick<LabConfig, 'nodes'>): boolean {
  return serverNodes(cfg).length > 1;
}

/** The nodes kubelab runs as VirtualBox VMs (all but existing hosts). */
export function vmNodes(cfg: Pick<LabConfig, 'nodes'>): LabNode[] {
  return cfg.nodes.filter((n) => !n.host);
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

/** Node names the system or kubelab uses, and why (as a function of the lab name). */
export const RESERVED_NODE_NAMES: ReadonlyMap<string, (lab: string) => string> = new Map([
  ['base', (lab: string) => `the VM ${lab}-base is the base image every node is cloned from`],
  ['localhost', () => 'every system resolves localhost to itself (127.0.0.1), so no other machine could be reached by that name'],
]);

/** Lab names that would collide with names others use. */
const RESERVED_LAB_NAMES: ReadonlyMap<string, string> = new Map([
  ['default', 'K3s and other tools name their kubeconfig cluster, context and user default, so merging the lab into your kubeconfig would replace theirs'],
]);

/**
 * Networks the lab's VMs and K3s already use, which the host-only network (or an existing
 * machine's address) must not overlap. K3s: k3s-io/docs docs/cli/server.md at 02434960,
 * "Networking": --cluster-cidr default 10.42.0.0/16, --service-cidr default 10.43.0.0/16
 * (read there, not confirmed at tag v1.36.4+k3s1); kubelab passes neither flag, so the
 * defaults apply. VirtualBox NAT gives a VM's first adapter 10.0.2.0/24 (the guest is 10.0.2.15;
 * VirtualBox manual, "Network Address Translation (NAT)", unverified at a tag); an existing
 * machine is not behind it.
 */
const TAKEN_NETWORKS: readonly { cidr: string; what: string; k3s: boolean }[] = [
  { cidr: '10.0.2.0/24', what: "VirtualBox's NAT network, every VM's first adapter", k3s: false },
  { cidr: '10.42.0.0/16', what: "K3s's default cluster CIDR, the pod network", k3s: true },
  { cidr: '10.43.0.0/16', what: "K3s's default service CIDR, the Service network", k3s: true },
];

function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  return subnetContains(a, b.network) || subnetContains(b, a.network);
}

/** `a`, `a and b`, `a, b and c`: a list of one or more, as a sentence says it. */
function joinAnd(items: readonly string[]): string {
  const last = items[items.length - 1];
  return items.length < 2 ? last : `${items.slice(0, -1).join(', ')} and ${last}`;
}

/** The VirtualBox VM name of a node: prefixed with the lab name so it never clashes with the user's own VMs. */
export function vmName(cfg: Pick<LabConfig, 'name'>, node: Pick<LabNode, 'name'>): string {
  return `${cfg.name}-${node.name}`;
}

import { ETCD_SERVER_SIZING, K3S_MINIMUMS, LabConfig, LabNode, isHighlyAvailable } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { NodeSession, connectToNode } from '../ssh/client';
import { describeTarget, labNodeSshTarget } from '../ssh/target';
import { onNode, SUDO } from '../k3s/remote';
import { Finding } from './checks';
import { checkMachinePorts, judgeMachineNet, netProbeScript, parseNetProbe } from './machine-network';

/** How long doctor tries to log in to one existing host. */
export const HOST_LOGIN_TIMEOUT_MS = 10_000;

/**
 * Architectures K3s ships (k3s-io/docs docs/installation/requirements.md at 005d2954:
 * x86_64, armhf, arm64/aarch64), as `uname -m` names them.
 */
export const K3S_ARCHITECTURES = ['x86_64', 'aarch64', 'armv7l'] as const;

/** What one probe of an existing host saw, from the lines `key=value` the probe prints. */
export interface HostFacts {
  readonly os: string;
  readonly osId: string;
  readonly arch: string;
  /** The name of PID 1: kubelab's steps run K3s as a systemd service. */
  readonly init: string;
  readonly cpus: number;
  readonly memoryMb: number;
  /** /usr/local/bin/k3s exists. */
  readonly k3sPresent: boolean;
  /** kubelab's record of its own K3s install exists (/var/lib/kubelab/k3s-<role>.applied). */
  readonly k3sFromKubelab: boolean;
}

/** Runs as the login user; reads through KUBELAB_NODE_ROOT so tests can give a fake host its files. */
export const HOST_PROBE_SCRIPT = [
  `set -u`,
  `if [ -r ${onNode('/etc/os-release')} ]; then . ${onNode('/etc/os-release')}; fi`,
  `echo "os=\${PRETTY_NAME:-unknown}"`,
  `echo "os_id=\${ID:-unknown}"`,
  `echo "arch=$(uname -m)"`,
  `echo "init=$(cat ${onNode('/proc/1/comm')} 2>/dev/null || echo unknown)"`,
  `echo "cpus=$(grep -c '^processor' ${onNode('/proc/cpuinfo')} 2>/dev/null || echo 0)"`,
  `echo "memory_kb=$(awk '/^MemTotal:/ {print $2}' ${onNode('/proc/meminfo')} 2>/dev/null || echo 0)"`,
  `if [ -e ${onNode('/usr/local/bin/k3s')} ]; then echo k3s=yes; else echo k3s=no; fi`,
  `if ls ${onNode('/var/lib/kubelab')}/k3s-*.applied >/dev/null 2>&1; then echo kubelab_k3s=yes; else echo kubelab_k3s=no; fi`,
  ``,
].join('\n');

export function parseHostProbe(stdout: string): HostFacts {
  const v = Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    os: v.os ?? 'unknown',
    osId: v.os_id ?? 'unknown',
    arch: v.arch ?? 'unknown',
    init: v.init ?? 'unknown',
    cpus: Number(v.cpus) || 0,
    memoryMb: Math.floor((Number(v.memory_kb) || 0) / 1024),
    k3sPresent: v.k3s === 'yes',
    k3sFromKubelab: v.kubelab_k3s === 'yes',
  };
}

/**
 * `kubelab doctor` for nodes that are existing machines: SSH logs in with the configured key,
 * sudo works without a password, the OS, architecture, init system and size suit K3s, and
 * what would break the cluster between them (machine-network.ts): the hostname, swap, the
 * interfaces and routes, and the ports K3s needs from one machine to another.
 * A host where K3s runs but kubelab did not install it fails: kubelab installs and removes
 * only its own K3s.
 */
export async function checkExistingHosts(cfg: LabConfig, paths: LabPaths, loginTimeoutMs = HOST_LOGIN_TIMEOUT_MS): Promise<Finding[]> {
  const findings: Finding[] = [];
  const sessions = new Map<string, NodeSession>();
  try {
    let addressesHeld = true;
    for (const node of cfg.nodes.filter((n) => n.host)) {
      const checked = await checkHost(cfg, paths, node, loginTimeoutMs);
      findings.push(...checked.findings);
      if (checked.session) sessions.set(node.name, checked.session);
      addressesHeld &&= checked.addressHeld === true;
    }
    // Between the machines: the ports K3s needs, each machine trying the others at once. Only
    // when every machine holds its configured address: the probes go to those addresses.
    if (addressesHeld) findings.push(...(await checkMachinePorts(cfg, sessions)));
  } finally {
    for (const s of sessions.values()) s.close();
  }
  return findings;
}

/** One machine's findings, and its session (left open for the checks between machines) when the login worked. */
async function checkHost(cfg: LabConfig, paths: LabPaths, node: LabNode, loginTimeoutMs: number): Promise<{ findings: Finding[]; session?: NodeSession; addressHeld?: boolean }> {
  const host = node.host!;
  const target = labNodeSshTarget(node);
  const where = `${node.name} (${host.user}@${host.address}${host.port === 22 ? '' : `:${host.port}`})`;
  let session: NodeSession;
  try {
    session = await connectToNode({ paths, target, timeoutMs: loginTimeoutMs, initialDelayMs: 300 });
  } catch (err) {
    if (!(err instanceof KubelabError)) throw err;
    const failed: Finding = {
        level: 'fail',
        check: 'ssh',
        message: `${where}: ${err.message}`,
        fix:
          `make sure ${host.address} is reachable from this computer and that ${host.user} accepts the key .kubelab/${host.keyFile}: ` +
          `npx kubelab ssh-key ${node.name} prints the line to run on the machine once`,
    };
    return { findings: [failed] };
  }
  const findings: Finding[] = [{ level: 'ok', check: 'ssh', message: `${where}: logged in as ${host.user} with .kubelab/${host.keyFile} (${describeTarget(target)})` }];
  try {
    const sudo = await session.exec(`${SUDO} true`);
    findings.push(
      sudo.code === 0
        ? { level: 'ok', check: 'sudo', message: `${where}: sudo works without a password` }
        : {
            level: 'fail',
            check: 'sudo',
            message: `${where}: sudo needs a password or is not allowed (${sudo.stderr.trim().split('\n')[0] || `exit status ${sudo.code}`}); kubelab runs every install step with sudo -n`,
            fix: `on ${host.address}, as root: echo '${host.user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/kubelab && chmod 0440 /etc/sudoers.d/kubelab`,
          },
    );
    const probe = await session.run(`bash -s`, { stdin: HOST_PROBE_SCRIPT, label: 'reading the OS and size' });
    findings.push(...judgeHost(cfg, node, where, parseHostProbe(probe.stdout)));
    const peers = cfg.nodes.filter((n) => n.host && n !== node);
    const net = await session.run(`bash -s`, { stdin: netProbeScript(node.ip, peers.map((p) => p.ip)), label: 'reading the hostname, swap and network interfaces' });
    const facts = parseNetProbe(net.stdout);
    findings.push(...judgeMachineNet(node, where, facts, peers));
    return { findings, session, addressHeld: facts.addressIface !== '' };
  } catch (err) {
    session.close();
    throw err;
  }
}

/** The findings about a host's OS, size and existing K3s. */
export function judgeHost(cfg: LabConfig, node: LabNode, where: string, facts: HostFacts): Finding[] {
  const findings: Finding[] = [];
  const archOk = (K3S_ARCHITECTURES as readonly string[]).includes(facts.arch);
  if (!archOk) {
    findings.push({ level: 'fail', check: 'os', message: `${where}: architecture ${facts.arch}; K3s ships for ${K3S_ARCHITECTURES.join(', ')} only`, fix: 'use another machine' });
  } else if (facts.init !== 'systemd') {
    findings.push({
      level: 'fail',
      check: 'os',
      message: `${where}: ${facts.os} runs '${facts.init}' as PID 1, not systemd; kubelab runs K3s as a systemd service`,
      fix: 'use a machine with systemd (Ubuntu, Debian, Fedora, …)',
    });
  } else if (!['ubuntu', 'debian'].includes(facts.osId)) {
    findings.push({
      level: 'warn',
      check: 'os',
      message: `${where}: ${facts.os} (${facts.arch}); K3s expects to work on most modern Linux systems, but kubelab is tested on Ubuntu and Debian`,
      fix: 'if K3s fails to start, see the OS notes in K3s requirements (firewalld, nm-cloud-setup)',
    });
  } else findings.push({ level: 'ok', check: 'os', message: `${where}: ${facts.os} (${facts.arch}, systemd)` });

  const min = K3S_MINIMUMS[node.role];
  const sized = isHighlyAvailable(cfg) && node.role === 'server' ? ETCD_SERVER_SIZING : undefined;
  if (facts.cpus < min.cpus || facts.memoryMb < min.memoryMb * 0.9) {
    // 0.9: the kernel keeps part of the RAM for itself, so a 2 GB machine reports a little less.
    findings.push({
      level: 'fail',
      check: 'resources',
      message: `${where}: ${facts.cpus} CPUs, ${facts.memoryMb} MB of RAM; a K3s ${node.role} needs at least ${min.cpus} CPUs and ${min.memoryMb} MB`,
      fix: `use a bigger machine for ${node.name}${node.role === 'server' ? ', or make it an agent' : ''}`,
    });
  } else if (sized && facts.memoryMb < sized.memoryMb * 0.9) {
    findings.push({
      level: 'warn',
      check: 'resources',
      message: `${where}: ${facts.memoryMb} MB of RAM, below the ${sized.memoryMb} MB K3s's server sizing guide lists for a server that also runs etcd`,
      fix: 'the lab starts, but may be slow; prefer machines with 4 GB for the servers',
    });
  } else findings.push({ level: 'ok', check: 'resources', message: `${where}: ${facts.cpus} CPUs, ${facts.memoryMb} MB of RAM` });

  if (facts.k3sPresent && !facts.k3sFromKubelab) {
    findings.push({
      level: 'fail',
      check: 'k3s',
      message: `${where}: K3s is already installed (/usr/local/bin/k3s) and kubelab did not install it; kubelab installs and removes only its own K3s and will not take over another`,
      fix: `remove that K3s first (/usr/local/bin/k3s-uninstall.sh or k3s-agent-uninstall.sh on ${node.host?.address ?? node.ip}), or use another machine`,
    });
  } else findings.push({ level: 'ok', check: 'k3s', message: `${where}: ${facts.k3sPresent ? "K3s is kubelab's own install" : 'no K3s installed yet'}` });
  return findings;
}

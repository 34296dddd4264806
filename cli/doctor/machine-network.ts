import { LabConfig, LabNode, isHighlyAvailable } from '../../config/lab-config';
import { shQuote } from '../k3s/node-script';
import { onNode } from '../k3s/remote';
import { NodeSession } from '../ssh/client';
import { Finding } from './checks';

/**
 * What breaks a cluster of existing machines although each machine on its own is fine: the
 * network between them, swap, and a hostname other than the node name. `kubelab doctor`
 * checks these once it is logged in to every machine.
 */

/** What the network probe of one machine saw. */
export interface MachineNetFacts {
  readonly hostname: string;
  readonly swapKb: number;
  /** The interface holding the machine's address from the config; empty when none does. */
  readonly addressIface: string;
  /** Interfaces of the IPv4 default routes, in the kernel's order (the first is flannel's default choice). */
  readonly defaultIfaces: readonly string[];
  /** The interface the kernel sends to each other machine's address through. */
  readonly routeTo: Readonly<Record<string, string>>;
}

/** Runs as the login user: hostname, swap, the interface of the machine's address, default routes, routes to the others. */
export function netProbeScript(address: string, peers: readonly string[]): string {
  const devOf = `awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }'`;
  return [
    // The kernel's hostname, and swap in use, through KUBELAB_NODE_ROOT so tests can give a fake machine its files.
    `echo "hostname=$(cat ${onNode('/proc/sys/kernel/hostname')} 2>/dev/null)"`,
    `if [ -r ${onNode('/proc/swaps')} ]; then echo "swap_kb=$(awk 'NR > 1 { s += $3 } END { print s + 0 }' ${onNode('/proc/swaps')})"; else echo swap_kb=0; fi`,
    `echo "address_iface=$(ip -o -4 addr show 2>/dev/null | awk -v a=${shQuote(address)} '{ split($4, p, "/"); if (p[1] == a) { print $2; exit } }')"`,
    `echo "default_ifaces=$(ip -4 route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | paste -sd, -)"`,
    ...peers.map((p) => `echo "route_${p}=$(ip -4 -o route get ${shQuote(p)} 2>/dev/null | ${devOf})"`),
    ``,
  ].join('\n');
}

export function parseNetProbe(stdout: string): MachineNetFacts {
  const v = new Map(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const),
  );
  const routeTo: Record<string, string> = {};
  for (const [k, val] of v) if (k.startsWith('route_')) routeTo[k.slice('route_'.length)] = val;
  return {
    hostname: v.get('hostname') ?? '',
    swapKb: Number(v.get('swap_kb')) || 0,
    addressIface: v.get('address_iface') ?? '',
    defaultIfaces: (v.get('default_ifaces') ?? '').split(',').filter(Boolean),
    routeTo,
  };
}

/** The findings about one machine's name, swap and network interfaces. */
export function judgeMachineNet(node: LabNode, where: string, facts: MachineNetFacts, peers: readonly LabNode[]): Finding[] {
  const findings: Finding[] = [];
  const address = node.ip;
  if (facts.hostname !== node.name) {
    findings.push({
      level: 'warn',
      check: 'hostname',
      message: `${where}: the hostname is '${facts.hostname}', not the node name '${node.name}'; K3s registers the node as ${node.name} (kubelab passes --node-name), while the machine, its prompt and its logs call it ${facts.hostname}, which confuses which machine a node is`,
      fix: `on ${address}: sudo hostnamectl set-hostname ${node.name} (or rename the node in kubelab.config.yaml)`,
    });
  } else findings.push({ level: 'ok', check: 'hostname', message: `${where}: the hostname is the node name` });

  if (facts.swapKb > 0) {
    // The kubelet refuses to start with swap unless failSwapOn is false; K3s starts it with
    // "fail-swap-on": "false" (k3s-io/k3s pkg/daemons/agent/agent_linux.go kubeletArgs, read at
    // commit 82394d7d; not read at v1.36.4+k3s1, so the message says unverified).
    findings.push({
      level: 'warn',
      check: 'swap',
      message: `${where}: swap is on (${Math.round(facts.swapKb / 1024)} MB); K3s starts its kubelet with fail-swap-on=false (read in older K3s sources; unverified for K3s ${'v1.36'}), but pod memory limits and evictions count RAM only, so a busy node slows down instead of evicting pods`,
      fix: `on ${address}: sudo swapoff -a, and remove the swap line from /etc/fstab`,
    });
  } else findings.push({ level: 'ok', check: 'swap', message: `${where}: no swap` });

  if (!facts.addressIface) {
    findings.push({
      level: 'fail',
      check: 'interfaces',
      message: `${where}: no network interface there holds ${address}; K3s registers the node with --node-ip ${address}, which must be the machine's own address (a machine reached through NAT or a port forward has another one)`,
      fix: `use as host.address the address the machine has on the network the other nodes share (ip -4 addr on the machine)`,
    });
    return findings;
  }
  const wrongWay = peers.filter((p) => facts.routeTo[p.ip] && facts.routeTo[p.ip] !== facts.addressIface);
  if (wrongWay.length > 0) {
    findings.push({
      level: 'fail',
      check: 'interfaces',
      message:
        `${where}: traffic to ${wrongWay.map((p) => `${p.name} (${p.ip}) leaves through ${facts.routeTo[p.ip]}`).join(', ')}, not through ${facts.addressIface}, which holds ${address}; ` +
        `flannel's VXLAN packets and the kubelet would reach the other nodes from another address`,
      fix: `give the machines addresses on one network, or route the other nodes' addresses through ${facts.addressIface} (ip route add <address> dev ${facts.addressIface})`,
    });
  }
  const first = facts.defaultIfaces[0];
  if (first && first !== facts.addressIface) {
    findings.push({
      level: 'ok',
      check: 'interfaces',
      message:
        `${where}: the default route leaves through ${first}, while ${address} is on ${facts.addressIface}; without --flannel-iface, K3s's flannel would carry pod traffic over ${first}, ` +
        `so kubelab starts K3s there with --flannel-iface ${facts.addressIface}`,
    });
  } else if (wrongWay.length === 0) findings.push({ level: 'ok', check: 'interfaces', message: `${where}: ${address} is on ${facts.addressIface}${first ? ', which holds the default route' : ''}; the other nodes are reached through it` });
  return findings;
}

/**
 * The ports K3s needs open between the machines, from K3s's requirements page
 * (k3s-io/docs docs/installation/requirements.md at 32212bd9, "Inbound Rules for K3s Nodes"):
 * 6443/tcp agents → servers (supervisor and API; servers joining the first use it too),
 * 8472/udp all ↔ all (flannel VXLAN, K3s's default backend), 10250/tcp all ↔ all (kubelet
 * metrics), 2379-2380/tcp servers ↔ servers (HA with embedded etcd only). The Wireguard and
 * Spegel ports are for options kubelab does not use.
 */
export interface PortRule {
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
  readonly why: string;
}

export function inboundRules(cfg: LabConfig, to: LabNode, from: LabNode): PortRule[] {
  const rules: PortRule[] = [];
  if (to.role === 'server') rules.push({ proto: 'tcp', port: 6443, why: 'K3s supervisor and Kubernetes API' });
  rules.push({ proto: 'udp', port: 8472, why: 'flannel VXLAN' }, { proto: 'tcp', port: 10250, why: 'kubelet metrics' });
  if (isHighlyAvailable(cfg) && to.role === 'server' && from.role === 'server') {
    rules.push({ proto: 'tcp', port: 2379, why: 'embedded etcd' }, { proto: 'tcp', port: 2380, why: 'embedded etcd' });
  }
  return rules;
}

/** How long each machine keeps trying a port of another, and so how long the check takes. */
export const PORT_PROBE_WINDOW_S = 10;

/**
 * On the receiving machine (as the login user; the ports are above 1024): listens on the
 * given ports that nothing else holds, prints what arrives, and ends when every expected
 * sender was seen on every port (`<port>:<address>` for TCP, `<port>:<node name>` for UDP,
 * whose datagrams name their sender) or after `seconds`. A port already held (K3s runs) is
 * reported as busy: the senders then reach the real service, or not.
 */
export const PORT_LISTENER = `
import select, socket, sys, time
seconds = float(sys.argv[1])
expected = set(sys.argv[3].split(',')) if len(sys.argv) > 3 and sys.argv[3] else set()
socks = {}
for spec in sys.argv[2].split(','):
    proto, port = spec[0], int(spec[1:])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == 't' else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(('0.0.0.0', port))
    except OSError:
        print('busy %s %d' % ('tcp' if proto == 't' else 'udp', port), flush=True)
        expected = set(e for e in expected if not e.startswith('%d:' % port))
        continue
    if proto == 't':
        s.listen(16)
    socks[s] = (proto, port)
seen = set()
end = time.time() + seconds
while socks and time.time() < end and not expected <= seen:
    ready, _, _ = select.select(list(socks), [], [], 0.5)
    for s in ready:
        proto, port = socks[s]
        if proto == 't':
            c, addr = s.accept()
            c.close()
            seen.add('%d:%s' % (port, addr[0]))
            print('tcp %d %s' % (port, addr[0]), flush=True)
        else:
            data, addr = s.recvfrom(256)
            name = data.decode('ascii', 'replace').split()[-1] if data.split() else '?'
            seen.add('%d:%s' % (port, name))
            print('udp %d %s %s' % (port, name, addr[0]), flush=True)
`;

/**
 * On a receiving machine, before anyone sends: waits until each port is bound (by the
 * listener, or by K3s already running there), reading the kernel's socket tables (LISTEN is
 * 0A for TCP, 07 is a bound UDP socket; IPv4 and IPv6 tables, as Go's listeners are dual-stack).
 * Exit 0 ready, 2 without python3 (no listener), 1 not ready within `seconds`.
 */
export function portsBoundScript(ports: readonly PortRule[], seconds: number): string {
  const checks = ports.map((r) =>
    r.proto === 'tcp'
      ? `awk -v p=':${r.port.toString(16).toUpperCase().padStart(4, '0')}' 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp /proc/net/tcp6 || bound=no`
      : `awk -v p=':${r.port.toString(16).toUpperCase().padStart(4, '0')}' 'substr($2, length($2) - 4) == p && $4 == "07" { f = 1 } END { exit !f }' /proc/net/udp /proc/net/udp6 || bound=no`,
  );
  return [
    `command -v python3 >/dev/null 2>&1 || exit 2`,
    `for _ in $(seq ${seconds * 2}); do`,
    `  bound=yes`,
    ...checks.map((c) => `  ${c}`),
    `  [ "$bound" = yes ] && exit 0`,
    `  sleep 0.5`,
    `done`,
    `exit 1`,
    ``,
  ].join('\n');
}

/** On a sending machine, once every port listens: tries each TCP port until it connects or the window ends; sends three datagrams naming itself. */
export function portProbeScript(self: string, targets: readonly { address: string; rule: PortRule }[], windowS = PORT_PROBE_WINDOW_S): string {
  return [
    `deadline=$((SECONDS + ${windowS}))`,
    `tcp() { while [ $SECONDS -lt $deadline ]; do if timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; then echo "tcp $1 $2 open"; return; fi; sleep 1; done; echo "tcp $1 $2 unanswered"; }`,
    `udp() { for _ in 1 2 3; do echo "kubelab ${self}" 2>/dev/null >/dev/udp/$1/$2 || true; sleep 1; done; }`,
    ...targets.map((t) => `${t.rule.proto} ${shQuote(t.address)} ${t.rule.port} &`),
    `wait`,
    ``,
  ].join('\n');
}

/** How long a listener may take to start (python3 under a loaded machine is slow). */
const LISTENER_START_S = 60;

/**
 * Whether each machine reaches the others on the ports K3s needs: every machine listens on
 * its inbound ports; once all listen, every other one tries them, all at once (a window of
 * PORT_PROBE_WINDOW_S seconds; the listeners end as soon as they saw every sender). A TCP
 * port counts as reachable when the sender connected; a UDP port when the receiver saw the
 * sender's datagram. A firewall that drops or rejects the traffic shows as not reached; a
 * UDP port already in use by K3s is reported as not checked.
 */
export async function checkMachinePorts(cfg: LabConfig, sessions: ReadonlyMap<string, NodeSession>): Promise<Finding[]> {
  const nodes = cfg.nodes.filter((n) => sessions.has(n.name));
  if (nodes.length < 2) return [];
  const inbound = (to: LabNode) => [...new Map(nodes.filter((n) => n !== to).flatMap((f) => inboundRules(cfg, to, f)).map((r) => [`${r.proto}${r.port}`, r])).values()];
  const listeners = nodes.map((to) => {
    const expected = nodes.filter((n) => n !== to).flatMap((f) => inboundRules(cfg, to, f).map((r) => `${r.port}:${r.proto === 'udp' ? f.name : f.ip}`));
    // Its clock starts once it listens; the senders start after every receiver listens, which the wait below sees within seconds.
    const cmd = `python3 - ${PORT_PROBE_WINDOW_S + 20} ${inbound(to).map((r) => `${r.proto[0]}${r.port}`).join(',')} ${expected.join(',')}`;
    return sessions.get(to.name)!.exec(cmd, { stdin: PORT_LISTENER });
  });
  const ready = await Promise.all(nodes.map((to) => sessions.get(to.name)!.exec('bash -s', { stdin: portsBoundScript(inbound(to), LISTENER_START_S) })));
  const senders = nodes.map((from) =>
    sessions.get(from.name)!.exec(`bash -s`, {
      stdin: portProbeScript(from.name, nodes.filter((n) => n !== from).flatMap((to) => inboundRules(cfg, to, from).map((rule) => ({ address: to.ip, rule })))),
    }),
  );
  const [heard, sent] = await Promise.all([Promise.all(listeners), Promise.all(senders)]);
  const findings: Finding[] = [];
  nodes.forEach((to, i) => {
    const listener = heard[i];
    const noPython = ready[i].code === 2;
    const notListening = ready[i].code === 1;
    for (const [j, from] of nodes.entries()) {
      if (from === to) continue;
      const reached: string[] = [];
      const blocked: PortRule[] = [];
      const unchecked: string[] = [];
      for (const rule of inboundRules(cfg, to, from)) {
        const label = `${rule.port}/${rule.proto}`;
        if (notListening) unchecked.push(`${label} (the listener there did not start within ${LISTENER_START_S} s)`);
        else if (rule.proto === 'tcp') {
          if (sent[j].stdout.includes(`tcp ${to.ip} ${rule.port} open`)) reached.push(label);
          else if (noPython) unchecked.push(`${label} (nothing listens, and no python3 there to listen)`);
          else blocked.push(rule);
        } else if (new RegExp(`^udp ${rule.port} ${from.name} `, 'm').test(listener.stdout)) reached.push(label);
        else if (noPython) unchecked.push(`${label} (no python3 there to listen)`);
        else if (listener.stdout.includes(`busy udp ${rule.port}`)) unchecked.push(`${label} (in use there, K3s runs)`);
        else blocked.push(rule);
      }
      const pair = `${from.name} → ${to.name} (${to.ip})`;
      if (blocked.length > 0) {
        findings.push({
          level: 'fail',
          check: 'ports',
          message: `${pair}: ${blocked.map((r) => `${r.port}/${r.proto} (${r.why})`).join(', ')} not reached within ${PORT_PROBE_WINDOW_S} s; K3s needs ${blocked.length > 1 ? 'them' : 'it'} open from ${from.name} (K3s requirements, "Inbound Rules for K3s Nodes")`,
          fix: `allow ${blocked.map((r) => `${r.port}/${r.proto}`).join(', ')} from ${from.ip} in ${to.name}'s firewall (e.g. ${blocked.map((r) => `sudo ufw allow from ${from.ip} to any port ${r.port} proto ${r.proto}`).join('; ')}) and in any firewall between the machines`,
        });
      }
      if (unchecked.length > 0) findings.push({ level: 'warn', check: 'ports', message: `${pair}: not checked: ${unchecked.join(', ')}` });
      if (reached.length > 0 && blocked.length === 0) findings.push({ level: 'ok', check: 'ports', message: `${pair}: ${reached.join(', ')} reached` });
    }
  });
  return findings;
}

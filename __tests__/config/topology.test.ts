import { resolveLabConfig } from '../../config/load';
import { isHighlyAvailable, serverNode, serverNodes, vmNodes } from '../../config/lab-config';
import { HA_NODES, HOSTS_ONLY_NODES, hostNode, vmNode } from '../support/lab-shapes';
import { problemsOf } from '../support/config-problems';


describe('servers: 1, 3 or 5', () => {
  test('3 servers + 2 agents validate; the first server is the one the others join', () => {
    const { config } = resolveLabConfig({ nodes: HA_NODES });
    expect(serverNodes(config).map((n) => n.name)).toEqual(['cp1', 'cp2', 'cp3']);
    expect(serverNode(config).name).toBe('cp1');
    expect(isHighlyAvailable(config)).toBe(true);
    expect(isHighlyAvailable(resolveLabConfig({}).config)).toBe(false);
  });

  test.each([2, 4, 6])('%i servers are refused with the reason (etcd quorum)', (count) => {
    const nodes = Array.from({ length: count }, (_, i) => vmNode(`cp${i + 1}`, 'server', 10 + i));
    const problems = problemsOf({ nodes });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`nodes: has ${count} servers (`);
    expect(problems[0]).toContain('allowed are 1, 3, 5');
    expect(problems[0]).toContain('odd number of servers to keep a quorum');
  });

  test('7 servers are refused as more than a lab needs', () => {
    const problems = problemsOf({ nodes: Array.from({ length: 7 }, (_, i) => vmNode(`cp${i + 1}`, 'server', 10 + i)) });
    expect(problems).toEqual([expect.stringContaining('more than 5 servers only slow etcd down')]);
  });

  test('HA servers below the etcd sizing guide get a warning; at 4096 MB they do not', () => {
    const low = resolveLabConfig({ nodes: HA_NODES });
    expect(low.warnings.filter((w) => w.includes("K3s's server sizing guide"))).toHaveLength(3);
    const sized = resolveLabConfig({ nodes: HA_NODES.map((n) => (n.role === 'server' ? { ...n, memoryMb: 4096 } : n)) });
    expect(sized.warnings).toEqual([]);
  });

  test('a single server with 2048 MB gets no etcd warning (it runs no etcd cluster)', () => {
    expect(resolveLabConfig({}).warnings).toEqual([]);
  });
});

describe('existing hosts as nodes', () => {
  test('a lab of only existing hosts validates, with defaults for port and key', () => {
    const { config, warnings } = resolveLabConfig({ nodes: HOSTS_ONLY_NODES });
    expect(warnings).toEqual([]);
    expect(vmNodes(config)).toEqual([]);
    const [pi1, pi2] = config.nodes;
    expect(pi1.ip).toBe('10.20.0.11');
    expect(pi1.host).toEqual({ address: '10.20.0.11', user: 'ubuntu', port: 22, keyFile: 'ssh/id_ed25519' });
    expect(pi2.host).toEqual({ address: '10.20.0.12', user: 'ubuntu', port: 2222, keyFile: 'ssh/pi-key' });
  });

  test.each<[string, unknown, string]>([
    ['a host without address', { nodes: [{ name: 'pi1', role: 'server', host: { user: 'ubuntu' } }] }, 'nodes[0].host.address: is missing'],
    ['a host address that is not IPv4', { nodes: [hostNode('pi1', 'server', 'pi1.lan')] }, 'nodes[0].host.address = "pi1.lan": must be the IPv4 address of the machine'],
    ['a host without user', { nodes: [{ name: 'pi1', role: 'server', host: { address: '10.20.0.11' } }] }, 'nodes[0].host.user: is missing'],
    ['a port out of range', { nodes: [hostNode('pi1', 'server', '10.20.0.11', { port: 70000 })] }, 'nodes[0].host.port = 70000: must be a TCP port, 1 to 65535'],
    ['a key outside .kubelab/', { nodes: [hostNode('pi1', 'server', '10.20.0.11', { keyFile: '../id_rsa' })] }, 'nodes[0].host.keyFile = "../id_rsa": keyFile must be a path relative to the lab state dir .kubelab/'],
    ['a key by absolute path', { nodes: [hostNode('pi1', 'server', '10.20.0.11', { keyFile: '/home/me/.ssh/id_rsa' })] }, 'nodes[0].host.keyFile = "/home/me/.ssh/id_rsa": keyFile must be a path relative'],
    ['a key in the home dir', { nodes: [hostNode('pi1', 'server', '10.20.0.11', { keyFile: '~/.ssh/id_rsa' })] }, 'nodes[0].host.keyFile = "~/.ssh/id_rsa": keyFile must be a path relative'],
    ['a host with a VM size', { nodes: [hostNode('pi1', 'server', '10.20.0.11'), { ...hostNode('pi2', 'agent', '10.20.0.12'), memoryMb: 4096 }] }, 'nodes[1].memoryMb = 4096: node pi2 is an existing host, which has the size it has'],
    ['a host with a VM ip', { nodes: [{ ...hostNode('pi1', 'server', '10.20.0.11'), ip: '192.168.56.10' }] }, 'nodes[0].ip = "192.168.56.10": node pi1 is an existing host: its address is host.address'],
    ['two hosts at one address', { nodes: [hostNode('pi1', 'server', '10.20.0.11'), hostNode('pi2', 'agent', '10.20.0.11')] }, 'nodes[1].host.address = "10.20.0.11": is already used by nodes[0] (pi1)'],
    ['an unknown key in host', { nodes: [hostNode('pi1', 'server', '10.20.0.11', { password: 'x' })] }, 'nodes[0].host.password: unknown key (a typo?); allowed here: address, user, port, keyFile'],
    ['a node that is neither VM nor host', { nodes: [{ name: 'cp1', role: 'server' }] }, 'nodes[0].ip: is missing; node cp1 needs ip: (its address on the host-only network) for its VM, or host: { address, user }'],
  ])('%s: one clear line', (_what, overrides, expected) => {
    const problems = problemsOf(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test('a mixed lab (VMs and existing hosts) is refused, naming both sides and why', () => {
    const problems = problemsOf({ nodes: [vmNode('cp1', 'server', 10), hostNode('pi1', 'agent', '10.20.0.12')] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('nodes: mixes existing hosts (pi1) with VMs (cp1)');
    expect(problems[0]).toContain('host-only network is reachable only from this computer');
  });

  test('3 existing servers + 2 existing agents validate (HA on real machines)', () => {
    const nodes = [hostNode('s1', 'server', '10.20.0.1'), hostNode('s2', 'server', '10.20.0.2'), hostNode('s3', 'server', '10.20.0.3'), hostNode('a1', 'agent', '10.20.0.4'), hostNode('a2', 'agent', '10.20.0.5')];
    const { config, warnings } = resolveLabConfig({ nodes });
    expect(serverNodes(config)).toHaveLength(3);
    // Their RAM is the machines': no VM sizing warning.
    expect(warnings).toEqual([]);
  });
});

describe('registries', () => {
  const mirrors = { 'registry.example.com': { endpoint: ['https://mirror.example.com:5000'] } };

  test('mirrors and credentials by file reference validate', () => {
    const { config } = resolveLabConfig({ registries: { mirrors, configs: { 'mirror.example.com:5000': { credentialsFile: 'registries/mirror.yaml', insecureSkipVerify: false } } } });
    expect(config.registries?.mirrors?.['registry.example.com'].endpoint).toEqual(['https://mirror.example.com:5000']);
    expect(config.registries?.configs?.['mirror.example.com:5000'].credentialsFile).toBe('registries/mirror.yaml');
  });

  test.each<[string, unknown, string]>([
    ['a mirror without endpoints', { mirrors: { 'registry.example.com': { endpoint: [] } } }, 'registries.mirrors.registry.example.com.endpoint: must list at least one mirror URL'],
    ['an endpoint that is not a URL', { mirrors: { 'registry.example.com': { endpoint: ['mirror:5000'] } } }, 'registries.mirrors.registry.example.com.endpoint[0] = "mirror:5000": must be an http:// or https:// URL'],
    ['credentials inside a URL', { mirrors: { 'registry.example.com': { endpoint: ['https://me:secret@mirror.example.com'] } } }, 'without a user or password in it'],
    ['a password in the config', { configs: { 'mirror.example.com': { password: 'secret' } } }, "registries.configs.mirror.example.com.password: unknown key (a typo?); allowed here: credentialsFile, insecureSkipVerify"],
    ['a credentials file outside .kubelab/', { configs: { 'mirror.example.com': { credentialsFile: '/etc/passwd' } } }, 'credentialsFile must be a path relative to the lab state dir .kubelab/'],
  ])('%s: one clear line', (_what, registries, expected) => {
    const problems = problemsOf({ registries });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test('a registry name with a path is refused', () => {
    const problems = problemsOf({ registries: { mirrors: { 'registry.example.com/library': { endpoint: ['https://mirror.example.com'] } } } });
    expect(problems.join('\n')).toContain('registries.mirrors.registry.example.com/library: "registry.example.com/library" is not a registry name');
  });
});

import { resolveLabConfig } from '../../config/load';
import { problemsOf } from '../support/config-problems';

/**
 * Addresses, names and sizes of the lab's nodes as the whole config judges them (each node against the
 * network and the others): one line each, naming the field, the value and what is allowed.
 */
const vm = (name: string, role: string, ip: string) => ({ name, role, ip });
const machine = (name: string, role: string, address: string) => ({ name, role, host: { address, user: 'ubuntu' } });
const lab3 = (ips: [string, string, string]) => [vm('cp1', 'server', ips[0]), vm('w1', 'agent', ips[1]), vm('w2', 'agent', ips[2])];

describe('the host address and node addresses against the network', () => {
  test.each<[string, object, string[]]>([
    ['the host at the network address', { network: { cidr: '192.168.56.0/24', hostIp: '192.168.56.0' } }, ['network.hostIp = "192.168.56.0": the host address must not be the network address (192.168.56.0) or the broadcast address (192.168.56.255) of 192.168.56.0/24']],
    ['the host at the broadcast address', { network: { cidr: '192.168.56.0/24', hostIp: '192.168.56.255' } }, ['network.hostIp = "192.168.56.255": the host address must not be the network address (192.168.56.0) or the broadcast address (192.168.56.255) of 192.168.56.0/24']],
    ['the host outside', { network: { cidr: '192.168.56.0/24', hostIp: '192.168.57.1' } }, ['network.hostIp = "192.168.57.1": the host address must lie inside network.cidr 192.168.56.0/24']],
    ['a node at the network address', { nodes: lab3(['192.168.56.10', '192.168.56.0', '192.168.56.12']) }, ['nodes[1].ip = "192.168.56.0": the address of node w1 must not be the network address (192.168.56.0) or the broadcast address (192.168.56.255) of 192.168.56.0/24']],
    ['a node outside', { nodes: lab3(['192.168.56.10', '192.168.56.11', '192.168.60.12']) }, ['nodes[2].ip = "192.168.60.12": the address of node w2 must lie inside network.cidr 192.168.56.0/24']],
    ['a node at the host address', { nodes: lab3(['192.168.56.1', '192.168.56.11', '192.168.56.12']) }, ["nodes[0].ip = \"192.168.56.1\": is the host's own address (network.hostIp); give node cp1 another address"]],
    ['two nodes at one address', { nodes: lab3(['192.168.56.10', '192.168.56.11', '192.168.56.10']) }, ['nodes[2].ip = "192.168.56.10": is already used by nodes[0] (cp1); node addresses must be unique']],
  ])('%s: one line', (_what, overrides, lines) => {
    expect(problemsOf(overrides)).toEqual(lines);
  });

  test('an address in a special range outside an ordinary network is refused like any address outside it', () => {
    expect(problemsOf({ nodes: lab3(['192.168.56.10', '127.0.0.5', '192.168.56.12']) })).toEqual(['nodes[1].ip = "127.0.0.5": the address of node w1 must lie inside network.cidr 192.168.56.0/24']);
    expect(problemsOf({ network: { cidr: '192.168.56.0/24', hostIp: '169.254.1.1' } })).toEqual(['network.hostIp = "169.254.1.1": the host address must lie inside network.cidr 192.168.56.0/24']);
  });

  test('a network in a special range: one line for it, none for the addresses in it', () => {
    expect(problemsOf({ network: { cidr: '127.0.0.0/24', hostIp: '127.0.0.0' }, nodes: [vm('cp1', 'server', '127.0.0.255')] })).toEqual([
      expect.stringMatching(/^network\.cidr = "127\.0\.0\.0\/24": overlaps the loopback range/),
    ]);
  });

  test('addresses inside the network, off its ends and the host, are fine', () => {
    expect(resolveLabConfig({ network: { cidr: '192.168.56.0/24', hostIp: '192.168.56.254' }, nodes: lab3(['192.168.56.1', '192.168.56.2', '192.168.56.253']) }).config.nodes.map((n) => n.ip)).toEqual(['192.168.56.1', '192.168.56.2', '192.168.56.253']);
  });
});

describe('node names and existing machines', () => {
  test('a reserved name says why, with the lab name in it', () => {
    expect(problemsOf({ name: 'mylab', nodes: [vm('cp1', 'server', '192.168.56.10'), vm('base', 'agent', '192.168.56.11')] })).toEqual([
      'nodes[1].name = "base": is reserved: the VM mylab-base is the base image every node is cloned from; allowed: any other hostname, e.g. cp1, w1',
    ]);
  });

  test('an existing machine may be called base (there is no base VM to collide with); never localhost', () => {
    expect(resolveLabConfig({ nodes: [machine('base', 'server', '192.168.1.50')] }).config.nodes[0].name).toBe('base');
    expect(problemsOf({ nodes: [machine('localhost', 'server', '192.168.1.50')] })).toEqual([
      expect.stringMatching(/^nodes\[0\]\.name = "localhost": is reserved: every system resolves localhost to itself/),
    ]);
  });

  test('two existing machines at one address, or under one name: one line each', () => {
    expect(problemsOf({ nodes: [machine('pi1', 'server', '192.168.1.50'), machine('pi2', 'agent', '192.168.1.50')] })).toEqual([
      'nodes[1].host.address = "192.168.1.50": is already used by nodes[0] (pi1); node addresses must be unique',
    ]);
    expect(problemsOf({ nodes: [machine('pi1', 'server', '192.168.1.50'), machine('pi1', 'agent', '192.168.1.51')] })).toEqual([
      'nodes[1].name = "pi1": is already used by nodes[0]; node names must be unique',
    ]);
  });

  test('two VMs under one name: one line', () => {
    expect(problemsOf({ nodes: [vm('cp1', 'server', '192.168.56.10'), vm('w1', 'agent', '192.168.56.11'), vm('w1', 'agent', '192.168.56.12')] })).toEqual([
      'nodes[2].name = "w1": is already used by nodes[1]; node names must be unique',
    ]);
  });
});

// K3s's minimum hardware: server 2 CPUs and 2 GB of RAM, agent 1 CPU and 512 MB (k3s-io/docs
// docs/installation/requirements.md, "Hardware"; unverified at a tag).
describe('node sizes against the K3s minimums', () => {
  const sized = (i: number, size: object) => lab3(['192.168.56.10', '192.168.56.11', '192.168.56.12']).map((n, j) => (j === i ? { ...n, ...size } : n));

  test.each<[string, object, string]>([
    ['a server with 1 CPU', sized(0, { cpus: 1 }), 'nodes[0].cpus = 1: is below the K3s minimum for a server: at least 2 (cpus: 2)'],
    ['a server with 2047 MB', sized(0, { memoryMb: 2047 }), 'nodes[0].memoryMb = 2047: is below the K3s minimum for a server: at least 2048 MB (memoryMb: 2048)'],
    ['an agent with 511 MB', sized(1, { memoryMb: 511 }), 'nodes[1].memoryMb = 511: is below the K3s minimum for an agent: at least 512 MB (memoryMb: 512)'],
  ])('%s: one line with the minimum', (_what, nodes, line) => {
    expect(problemsOf({ nodes })).toEqual([line]);
  });

  test('exactly the minimums are fine', () => {
    const nodes = sized(0, { cpus: 2, memoryMb: 2048 }).map((n, j) => (j === 2 ? { ...n, cpus: 1, memoryMb: 512 } : n));
    expect(resolveLabConfig({ nodes }).config.nodes.map((n) => [n.cpus, n.memoryMb])).toEqual([[2, 2048], [2, 2048], [1, 512]]);
  });
});

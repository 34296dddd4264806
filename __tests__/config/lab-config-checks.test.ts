import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveLabConfig } from '../../config/load';
import { PINNED } from '../../config/versions';
import { problemsOf } from '../support/config-problems';
import { HOSTS_ONLY_NODES, hostNode, vmNode } from '../support/lab-shapes';

/**
 * The checks between a lab's nodes (servers, existing machines, VMs), the warnings a valid lab
 * still gets, and the local installer files: each message whole, as the user reads it.
 */

describe('the servers a lab may have', () => {
  test('an even count names every server, comma-separated, and why an odd count is needed', () => {
    const nodes = [vmNode('cp1', 'server', 10), vmNode('cp2', 'server', 11), vmNode('cp3', 'server', 12), vmNode('cp4', 'server', 13), vmNode('w1', 'agent', 20)];
    expect(problemsOf({ nodes })).toEqual([
      'nodes: has 4 servers (cp1, cp2, cp3, cp4); allowed are 1, 3, 5: embedded etcd needs an odd number of servers to keep a quorum ' +
        '(an even number gains no fault tolerance and can split), so make one of them role: agent or add one',
    ]);
  });

  test('more than five: the largest count allowed, and what to do', () => {
    const nodes = Array.from({ length: 7 }, (_, i) => vmNode(`cp${i + 1}`, 'server', 10 + i));
    expect(problemsOf({ nodes })).toEqual([
      'nodes: has 7 servers (cp1, cp2, cp3, cp4, cp5, cp6, cp7); allowed are 1, 3, 5: more than 5 servers only slow etcd down in a lab; make the others role: agent',
    ]);
  });

  test('agents only: what to give a server', () => {
    expect(problemsOf({ nodes: [vmNode('w1', 'agent', 11), vmNode('w2', 'agent', 12)] })).toEqual([
      "nodes: has no node with role 'server'; give one node (or 3 or 5 for a highly available control plane) role: server",
    ]);
  });

  test('five servers are a lab', () => {
    const nodes = Array.from({ length: 5 }, (_, i) => vmNode(`cp${i + 1}`, 'server', 10 + i, { memoryMb: 4096 }));
    expect(resolveLabConfig({ nodes }).config.nodes.map((n) => n.role)).toEqual(['server', 'server', 'server', 'server', 'server']);
  });
});

describe('existing machines', () => {
  test('each VM key written on a machine is its own line, ip with where its address goes', () => {
    const nodes = [hostNode('pi1', 'server', '10.20.0.11'), { ...hostNode('pi2', 'agent', '10.20.0.12'), ip: '192.168.56.12', cpus: 2, memoryMb: 4096, diskGb: 40 }];
    expect(problemsOf({ nodes })).toEqual([
      'nodes[1].ip = "192.168.56.12": node pi2 is an existing host: its address is host.address; remove ip (ip is the address of a VM on the host-only network)',
      'nodes[1].cpus = 2: node pi2 is an existing host, which has the size it has; remove cpus (it sizes VMs only)',
      'nodes[1].memoryMb = 4096: node pi2 is an existing host, which has the size it has; remove memoryMb (it sizes VMs only)',
      'nodes[1].diskGb = 40: node pi2 is an existing host, which has the size it has; remove diskGb (it sizes VMs only)',
    ]);
  });

  test("a machine in K3s's pod network: the network, what it is, and what to do", () => {
    expect(problemsOf({ nodes: [hostNode('pi1', 'server', '10.42.3.4')] })).toEqual([
      `nodes[0].host.address = "10.42.3.4": is inside 10.42.0.0/16 (K3s's default cluster CIDR, the pod network); K3s cannot reach a node there: use a machine on another network`,
    ]);
  });

  test('a machine just outside the pod and service networks is a node', () => {
    const nodes = [hostNode('pi1', 'server', '10.41.255.254'), hostNode('pi2', 'agent', '10.44.0.1')];
    expect(resolveLabConfig({ nodes }).config.nodes.map((n) => n.ip)).toEqual(['10.41.255.254', '10.44.0.1']);
  });

  test('a mixed lab names every machine and every VM', () => {
    const nodes = [vmNode('cp1', 'server', 10), hostNode('pi1', 'agent', '10.20.0.11'), vmNode('w1', 'agent', 11), hostNode('pi2', 'agent', '10.20.0.12')];
    expect(problemsOf({ nodes })).toEqual([
      "nodes: mixes existing hosts (pi1, pi2) with VMs (cp1, w1); a lab is all VMs or all existing hosts, because the VMs' host-only network is reachable only from this computer " +
        'and K3s needs every node to reach every other: give every node host: { address, user }, or none',
    ]);
  });

  test("machines are not sized against this host: their size is their own", () => {
    expect(resolveLabConfig({ nodes: HOSTS_ONLY_NODES }, 'kubelab.config.yaml', { host: { cpus: 1, memoryMb: 1024 } }).warnings).toEqual([]);
  });
});

describe('warnings a valid lab gets', () => {
  const warningsFor = (overrides: object) => resolveLabConfig(overrides, 'kubelab.config.yaml', { host: { cpus: 64, memoryMb: 1_048_576 } }).warnings;
  // The pins (config/versions.ts) as input: the warning names the version written and the pin.
  const { traefik, metricsServer, headlamp } = PINNED.charts;
  const chartLine = (key: string, set: string, pin: string) =>
    `components.${key}.chartVersion ${set} is not the pinned ${pin}: kubelab's values for this chart are checked against ${pin} only, so ${set} may reject them or ignore some. ` +
    `Write chartVersion: "${pin}" (or remove it) unless you mean to try ${set}.`;

  test('every chart off its pin: one line each, in the order of components', () => {
    const components = { ingress: { chartVersion: '1.0.0' }, metricsServer: { chartVersion: '2.0.0' }, dashboard: { chartVersion: '3.0.0' } };
    expect(warningsFor({ components })).toEqual([chartLine('ingress', '1.0.0', traefik.version), chartLine('metricsServer', '2.0.0', metricsServer.version), chartLine('dashboard', '3.0.0', headlamp.version)]);
  });

  test('charts at their pins: none', () => {
    const components = { ingress: { chartVersion: traefik.version }, metricsServer: { chartVersion: metricsServer.version }, dashboard: { chartVersion: headlamp.version } };
    expect(warningsFor({ components })).toEqual([]);
  });

  test('an HA server below the etcd sizing: the whole advice', () => {
    const nodes = [vmNode('cp1', 'server', 10, { memoryMb: 4096 }), vmNode('cp2', 'server', 11, { memoryMb: 3072 }), vmNode('cp3', 'server', 12, { memoryMb: 4096 }), vmNode('w1', 'agent', 20, { memoryMb: 1024 })];
    expect(warningsFor({ nodes })).toEqual([
      "nodes cp2: memoryMb 3072 is below the 4096 MB K3s's server sizing guide lists for a server that also runs etcd; " +
        'the HA lab starts, but may be slow or evict pods under load. Give the servers memoryMb: 4096 if this computer has the RAM.',
    ]);
  });

  test('a network outside the VirtualBox range: the whole advice', () => {
    const warnings = warningsFor({ network: { cidr: '172.20.0.0/24', hostIp: '172.20.0.1' }, nodes: [{ name: 'cp1', role: 'server', ip: '172.20.0.10' }] });
    expect(warnings).toEqual([
      'network.cidr 172.20.0.0/24 is outside 192.168.56.0/21, the only range VirtualBox allows for host-only networks on Linux and macOS by default. ' +
        'On those hosts add a line "* 172.20.0.0/24" to /etc/vbox/networks.conf (create the file as root), or pick a network inside 192.168.56.0/21. Windows hosts are not limited.',
    ]);
  });
});

describe('local installer files', () => {
  const project = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-installer-'));
  const local = (paths: object) => ({ k3s: { installer: { source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh', ...paths } } });
  const problemsIn = (projectDir: string, overrides: object) => problemsOf(overrides, { projectDir });

  test('every missing file is a line, in the order binary, script, images', () => {
    const dir = project();
    expect(problemsIn(dir, local({ images: 'airgap/images.tar.zst' }))).toEqual(
      ['binary', 'script', 'images'].map((key, i) => {
        const rel = ['airgap/k3s', 'airgap/install.sh', 'airgap/images.tar.zst'][i];
        return `k3s.installer.${key} = "${rel}" does not exist (looked for ${path.join(dir, rel)}): give a path relative to the project, or set k3s.installer.source: online`;
      }),
    );
  });

  test('a directory where a file belongs: which key, and where it looked', () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, 'airgap', 'install.sh'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'airgap', 'images.tar.zst'));
    fs.writeFileSync(path.join(dir, 'airgap', 'k3s'), 'k3s');
    expect(problemsIn(dir, local({ images: 'airgap/images.tar.zst' }))).toEqual([
      `k3s.installer.script = "airgap/install.sh": is not a file (${path.join(dir, 'airgap', 'install.sh')}); give the path of the file itself`,
      `k3s.installer.images = "airgap/images.tar.zst": is not a file (${path.join(dir, 'airgap', 'images.tar.zst')}); give the path of the file itself`,
    ]);
  });

  test('a path through a file (not a directory) does not exist either', () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, 'airgap'));
    fs.writeFileSync(path.join(dir, 'airgap', 'k3s'), 'k3s');
    fs.writeFileSync(path.join(dir, 'airgap', 'install.sh'), '#!/bin/sh\n');
    expect(problemsIn(dir, local({ images: 'airgap/k3s/images.tar' }))).toEqual([
      `k3s.installer.images = "airgap/k3s/images.tar" does not exist (looked for ${path.join(dir, 'airgap', 'k3s', 'images.tar')}): give a path relative to the project, or set k3s.installer.source: online`,
    ]);
  });

  test('files that are there, images left out: the lab', () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, 'airgap'));
    fs.writeFileSync(path.join(dir, 'airgap', 'k3s'), 'k3s');
    fs.writeFileSync(path.join(dir, 'airgap', 'install.sh'), '#!/bin/sh\n');
    expect(resolveLabConfig(local({}), 'kubelab.config.yaml', { projectDir: dir }).config.k3s.installer).toEqual({ source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh' });
  });
});

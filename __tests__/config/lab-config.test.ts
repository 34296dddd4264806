import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { agentNodes, findNode, vmName } from '../../config/lab-config';
import { loadLabConfig, resolveLabConfig } from '../../config/load';
import { PINNED } from '../../config/versions';
import { problemsOf } from '../support/config-problems';

const node = (name: string, role: string, ip: string, extra: object = {}) => ({ name, role, ip, ...extra });
const threeNodes = (overrides: Record<number, object> = {}) =>
  [node('cp1', 'server', '192.168.56.10'), node('w1', 'agent', '192.168.56.11'), node('w2', 'agent', '192.168.56.12')].map((n, i) => ({ ...n, ...overrides[i] }));


describe('the built-in default', () => {
  test("reproduces the study notes' lab with no file at all", () => {
    const { config, warnings, source } = resolveLabConfig({}, 'built-in default');
    expect(source).toBe('built-in default');
    expect(warnings).toEqual([]);
    expect(config.network).toEqual({ cidr: '192.168.56.0/24', hostIp: '192.168.56.1' });
    expect(config.nodes.map((n) => [n.name, n.role, n.ip])).toEqual([
      ['cp1', 'server', '192.168.56.10'],
      ['w1', 'agent', '192.168.56.11'],
      ['w2', 'agent', '192.168.56.12'],
    ]);
    const server = config.nodes[0];
    expect(server.cpus).toBeGreaterThanOrEqual(2);
    expect(server.memoryMb).toBeGreaterThanOrEqual(2048);
    expect(config.k3s.version).toMatch(/^v1\.36\.\d+\+k3s1$/);
    expect(config.image.release).toBe('noble');
    expect(config.components.dashboard.kind).toBe('headlamp');
  });

  test('overrides merge key by key; nodes replace the list', () => {
    const { config } = resolveLabConfig({ components: { dashboard: { kind: 'kubernetes-dashboard' } }, nodes: [node('cp1', 'server', '192.168.56.10')] });
    expect(config.components.dashboard).toEqual({ enabled: true, kind: 'kubernetes-dashboard' });
    expect(config.components.ingress.enabled).toBe(true);
    expect(config.nodes).toHaveLength(1);
  });
});

describe('each bad value gets one message naming the field, the value and what is allowed', () => {
  test.each<[string, unknown, string]>([
    ['an IP outside the subnet', { nodes: threeNodes({ 1: { ip: '192.168.57.11' } }) }, 'nodes[1].ip = "192.168.57.11": the address of node w1 must lie inside network.cidr 192.168.56.0/24'],
    ['the network address', { nodes: threeNodes({ 2: { ip: '192.168.56.0' } }) }, 'nodes[2].ip = "192.168.56.0": the address of node w2 must not be the network address (192.168.56.0) or the broadcast address (192.168.56.255) of 192.168.56.0/24'],
    ['the broadcast address', { nodes: threeNodes({ 2: { ip: '192.168.56.255' } }) }, 'nodes[2].ip = "192.168.56.255": the address of node w2 must not be the network address'],
    ['the host address', { nodes: threeNodes({ 0: { ip: '192.168.56.1' } }) }, "nodes[0].ip = \"192.168.56.1\": is the host's own address (network.hostIp)"],
    ['a duplicate IP', { nodes: threeNodes({ 2: { ip: '192.168.56.11' } }) }, 'nodes[2].ip = "192.168.56.11": is already used by nodes[1] (w1)'],
    ['a duplicate name', { nodes: threeNodes({ 2: { name: 'w1' } }) }, 'nodes[2].name = "w1": is already used by nodes[1]'],
    ['a name that is not a hostname', { nodes: threeNodes({ 1: { name: 'Worker_1' } }) }, 'nodes[1].name = "Worker_1": a node name must be a valid hostname'],
    ['no server', { nodes: [node('w1', 'agent', '192.168.56.11')] }, "nodes: has no node with role 'server'"],
    ['two servers', { nodes: threeNodes({ 1: { role: 'server' } }) }, 'nodes: has 2 servers (cp1, w1); allowed are 1, 3, 5: embedded etcd needs an odd number of servers'],
    ['server RAM below the K3s minimum', { nodes: threeNodes({ 0: { memoryMb: 1024 } }) }, 'nodes[0].memoryMb = 1024: is below the K3s minimum for a server: at least 2048 MB (memoryMb: 2048)'],
    ['server CPUs below the K3s minimum', { nodes: threeNodes({ 0: { cpus: 1 } }) }, 'nodes[0].cpus = 1: is below the K3s minimum for a server: at least 2'],
    ['agent RAM below the K3s minimum', { nodes: threeNodes({ 1: { memoryMb: 256 } }) }, 'nodes[1].memoryMb = 256: is below the K3s minimum for an agent: at least 512 MB (memoryMb: 512)'],
    ['a malformed K3s version', { k3s: { version: '1.36' } }, 'k3s.version = "1.36": must be a K3s release tag like v1.36.4+k3s1'],
    ['an unknown key at the top', { nodez: [] }, 'nodez: unknown key (a typo?); allowed here: name, network, image, k3s, nodes, proxy, components'],
    ['an unknown key in a component', { components: { dashbord: { enabled: false } } }, 'components.dashbord: unknown key (a typo?); allowed here: ingress, metricsServer, dashboard, hpaDemo'],
    ['an unknown key in a node', { nodes: threeNodes({ 1: { memory: 4096 } }) }, 'nodes[1].memory: unknown key (a typo?); allowed here: name, role, ip, cpus, memoryMb, diskGb'],
    ['a bad CIDR', { network: { cidr: '192.168.56.1/24' } }, 'network.cidr = "192.168.56.1/24": must be a network in CIDR form'],
    ['an unknown dashboard kind', { components: { dashboard: { kind: 'lens' } } }, "components.dashboard.kind = \"lens\": must be 'headlamp' or 'kubernetes-dashboard'"],
    ['a dashboard without ingress', { components: { ingress: { enabled: false }, hpaDemo: { enabled: false } } }, 'components.dashboard.enabled = true: needs components.ingress.enabled: true'],
    ['a node without an ip', { nodes: [{ name: 'cp1', role: 'server' }] }, 'nodes[0].ip: is missing'],
  ])('%s', (_what, overrides, expected) => {
    const problems = problemsOf(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test('a config that is not a mapping', () => {
    expect(problemsOf(['cp1'])).toEqual(['must be a mapping of keys (like name:, nodes:), not a list']);
  });

  test('several bad values give several messages', () => {
    expect(problemsOf({ k3s: { version: 'latest' }, nodes: threeNodes({ 1: { ip: '10.0.2.15' } }) })).toHaveLength(2);
  });
});

describe('warnings', () => {
  test('a subnet outside 192.168.56.0/21 is a warning that explains /etc/vbox/networks.conf, not an error', () => {
    const { warnings } = resolveLabConfig({
      network: { cidr: '10.10.0.0/24', hostIp: '10.10.0.1' },
      nodes: [node('cp1', 'server', '10.10.0.10'), node('w1', 'agent', '10.10.0.11')],
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('10.10.0.0/24 is outside 192.168.56.0/21');
    expect(warnings[0]).toContain('/etc/vbox/networks.conf');
    expect(resolveLabConfig({ network: { cidr: '192.168.60.0/24', hostIp: '192.168.60.1' }, nodes: [node('cp1', 'server', '192.168.60.10')] }).warnings).toEqual([]);
  });
});

describe('the config file', () => {
  const project = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-config-'));

  test('kubelab.config.yaml overrides the default', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), 'components:\n  hpaDemo:\n    enabled: false\n');
    const loaded = loadLabConfig(dir);
    expect(loaded.source).toBe('kubelab.config.yaml');
    expect(loaded.config.components.hpaDemo.enabled).toBe(false);
  });

  test('kubelab.config.json works too', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'kubelab.config.json'), JSON.stringify({ name: 'lab2' }));
    expect(loadLabConfig(dir).config.name).toBe('lab2');
  });

  test('YAML that does not parse names the file', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), 'nodes: [\n');
    expect(() => loadLabConfig(dir)).toThrow(/kubelab\.config\.yaml is not a valid kubelab configuration:\n {2}- cannot be parsed/);
  });

  test('two config files are an error, not a guess', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), 'name: a\n');
    fs.writeFileSync(path.join(dir, 'kubelab.config.json'), '{"name":"b"}');
    expect(() => loadLabConfig(dir)).toThrow('keep exactly one lab config file');
  });

  test('an empty file is one clear error, not silently the default lab', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), '');
    expect(() => loadLabConfig(dir)).toThrow(/kubelab\.config\.yaml is not a valid kubelab configuration:\n {2}- is empty; .*delete it to use the built-in default/);
  });
});

describe('warnings at their edges', () => {
  const warningsFor = (overrides: object, host = { cpus: 64, memoryMb: 1_048_576 }) => resolveLabConfig(overrides, 'kubelab.config.yaml', { host }).warnings;

  test('a node with as many CPUs as the host is fine; one more is said', () => {
    expect(warningsFor({}, { cpus: 2, memoryMb: 1_048_576 })).toEqual([]);
    expect(warningsFor({ nodes: threeNodes({ 2: { cpus: 3 } }) }, { cpus: 2, memoryMb: 1_048_576 })).toEqual([
      "nodes w2: cpus 3 is more than this host's 2 logical CPUs; VirtualBox may refuse to start the VM. Give it at most 2.",
    ]);
  });

  test('memory: the nodes may take all but 2048 MB of the host; 1 MB more is said', () => {
    // The default lab: three nodes of 2048 MB, 6144 MB in all.
    expect(warningsFor({}, { cpus: 64, memoryMb: 6144 + 2048 })).toEqual([]);
    expect(warningsFor({}, { cpus: 64, memoryMb: 6144 + 2047 })).toEqual([
      'the nodes ask for 6144 MB of memory in all; this host has 8191 MB, and about 2048 MB should stay free for it. Expect swapping or VMs that fail to start: lower nodes[].memoryMb or use fewer agents.',
    ]);
  });

  test("a node address in VirtualBox's DHCP range of a /24 (.100 and up) is said; .99 and other prefixes are not", () => {
    expect(warningsFor({ nodes: threeNodes({ 1: { ip: '192.168.56.99' }, 2: { ip: '192.168.56.100' } }) })).toEqual([
      "nodes w2: ip 192.168.56.100 is in the range VirtualBox's default DHCP server leases (.100 and up); a DHCP lease could collide with it. Prefer an address below .100.",
    ]);
    expect(warningsFor({ network: { cidr: '192.168.56.0/23', hostIp: '192.168.56.1' }, nodes: threeNodes({ 2: { ip: '192.168.57.150' } }) })).toEqual([]);
  });

  test("every component's chart version other than its pin is said; the dashboard's pin is its kind's", () => {
    const metrics = warningsFor({ components: { metricsServer: { chartVersion: '0.0.1' } } });
    expect(metrics).toEqual([expect.stringMatching(/^components\.metricsServer\.chartVersion 0\.0\.1 is not the pinned \d+\.\d+\.\d+: /)]);
    // The two dashboards' pins (config/versions.ts) as input: each kind warns about the other's, not its own.
    const { headlamp, kubernetesDashboard } = PINNED.charts;
    expect(warningsFor({ components: { dashboard: { kind: 'kubernetes-dashboard', chartVersion: kubernetesDashboard.version } } })).toEqual([]);
    expect(warningsFor({ components: { dashboard: { kind: 'kubernetes-dashboard', chartVersion: headlamp.version } } })).toEqual([
      expect.stringMatching(new RegExp(`^components\\.dashboard\\.chartVersion ${headlamp.version.replace(/\./g, '\\.')} is not the pinned ${kubernetesDashboard.version.replace(/\./g, '\\.')}:`)),
    ]);
  });

  test('an HA server of exactly 4096 MB (the sizing guide) gets no etcd warning; 4095 does', () => {
    const ha = (memoryMb: number) => [node('cp1', 'server', '192.168.56.10', { memoryMb }), node('cp2', 'server', '192.168.56.11', { memoryMb: 4096 }), node('cp3', 'server', '192.168.56.12', { memoryMb: 4096 })];
    expect(warningsFor({ nodes: ha(4096) })).toEqual([]);
    expect(warningsFor({ nodes: ha(4095) })).toEqual([expect.stringMatching(/^nodes cp1: memoryMb 4095 is below the 4096 MB K3s's server sizing guide lists/)]);
  });
});

describe('rules between keys', () => {
  test('an existing machine may be named base (no base VM is cloned for it); localhost never', () => {
    const host = (name: string) => [{ name, role: 'server', host: { address: '10.20.0.11', user: 'ubuntu' } }];
    expect(resolveLabConfig({ nodes: host('base') }).config.nodes[0].name).toBe('base');
    expect(problemsOf({ nodes: host('localhost') })).toEqual([expect.stringMatching(/^nodes\[0\]\.name = "localhost": is reserved: /)]);
  });

  test('two existing machines of one name: the second is named', () => {
    const nodes = [{ name: 'pi1', role: 'server', host: { address: '10.20.0.11', user: 'ubuntu' } }, { name: 'pi1', role: 'agent', host: { address: '10.20.0.12', user: 'ubuntu' } }];
    expect(problemsOf({ nodes })).toEqual(['nodes[1].name = "pi1": is already used by nodes[0]; node names must be unique']);
  });

  test('with the online installer, each local path written is a line of its own', () => {
    expect(problemsOf({ k3s: { installer: { source: 'online', script: 'airgap/install.sh', images: 'airgap/i.tar.zst' } } })).toEqual([
      'k3s.installer.script = "airgap/install.sh": is used only with k3s.installer.source: local; remove it, or set source: local',
      'k3s.installer.images = "airgap/i.tar.zst": is used only with k3s.installer.source: local; remove it, or set source: local',
    ]);
  });

  test('a local installer needs the script as much as the binary', () => {
    for (const installer of [{ source: 'local', binary: 'airgap/k3s' }, { source: 'local', script: 'airgap/install.sh' }]) {
      expect(problemsOf({ k3s: { installer } })).toEqual(['k3s.installer: with source: local needs both binary (the k3s binary) and script (install.sh) paths']);
    }
  });

  test('the HPA demo needs metrics-server as much as the ingress', () => {
    expect(problemsOf({ components: { metricsServer: { enabled: false } } })).toEqual([
      'components.hpaDemo.enabled = true: needs components.ingress.enabled and components.metricsServer.enabled: true (the HPA reads CPU from metrics-server; the demo is reached through the ingress)',
    ]);
  });
});

describe('what the config yields', () => {
  // Made inside each test, not when the file is read: Stryker counts what runs outside a test as covered by every test.
  const lab2 = () => resolveLabConfig({ name: 'lab2', nodes: threeNodes({ 1: { cpus: 3, memoryMb: 3072, diskGb: 30 } }) }).config;

  test('nodes by role, sizes given or defaulted, VM names prefixed by the lab', () => {
    const config = lab2();
    expect(agentNodes(config).map((n) => n.name)).toEqual(['w1', 'w2']);
    expect(config.nodes.map((n) => [n.name, n.cpus, n.memoryMb, n.diskGb])).toEqual([
      ['cp1', 2, 2048, 20],
      ['w1', 3, 3072, 30],
      ['w2', 2, 2048, 20],
    ]);
    expect(vmName(config, findNode(config, 'w2'))).toBe('lab2-w2');
  });

  test('a node that is not there: one line naming it and the nodes there are', () => {
    const config = lab2();
    expect(() => findNode(config, 'w9')).toThrow(new Error("No node named 'w9' in the lab config; the nodes are: cp1, w1, w2."));
  });
});

describe('names and networks others use', () => {
  const host = (name: string, address: string, extra: object = {}) => ({ name, role: 'server', host: { address, user: 'ubuntu' }, ...extra });

  test('a VM named base or localhost: why, with the lab name where it matters', () => {
    expect(problemsOf({ name: 'lab2', nodes: threeNodes({ 2: { name: 'base' } }) })).toEqual([
      'nodes[2].name = "base": is reserved: the VM lab2-base is the base image every node is cloned from; allowed: any other hostname, e.g. cp1, w1',
    ]);
    expect(problemsOf({ nodes: threeNodes({ 1: { name: 'localhost' } }) })).toEqual([
      'nodes[1].name = "localhost": is reserved: every system resolves localhost to itself (127.0.0.1), so no other machine could be reached by that name; allowed: any other hostname, e.g. cp1, w1',
    ]);
  });

  test("an existing machine may sit in 10.0.2.0/24 (VirtualBox NAT is only the VMs'), not in K3s's service network", () => {
    expect(resolveLabConfig({ nodes: [host('pi1', '10.0.2.50')] }).config.nodes[0].ip).toBe('10.0.2.50');
    expect(problemsOf({ nodes: [host('pi1', '10.43.0.5')] })).toEqual([expect.stringMatching(/^nodes\[0\]\.host\.address = "10\.43\.0\.5": is inside 10\.43\.0\.0\/16 \(.*[Ss]ervice.*\); K3s cannot reach a node there/)]);
  });

  test('a network in a special range is that one line: the addresses in it are not judged against it too', () => {
    expect(problemsOf({ network: { cidr: '169.254.10.0/24', hostIp: '192.168.56.1' } })).toEqual([
      expect.stringMatching(/^network\.cidr = "169\.254\.10\.0\/24": overlaps the link-local range/),
    ]);
  });

  test('a network over two taken ones names both, joined by "and"', () => {
    const nodes = [node('cp1', 'server', '10.42.0.10')];
    expect(problemsOf({ network: { cidr: '10.42.0.0/15', hostIp: '10.42.0.1' }, nodes })).toEqual([
      expect.stringMatching(/^network\.cidr = "10\.42\.0\.0\/15": overlaps 10\.42\.0\.0\/16 \([^)]*\) and 10\.43\.0\.0\/16 \([^)]*\); pick a network outside all of them/),
    ]);
  });

  test('a mixed lab says what to do: every node a machine, or none', () => {
    expect(problemsOf({ nodes: [node('cp1', 'server', '192.168.56.10'), host('pi1', '10.20.0.12', { role: 'agent' })] })).toEqual([
      expect.stringMatching(/^nodes: mixes existing hosts \(pi1\) with VMs \(cp1\); .*K3s needs every node to reach every other: give every node host: \{ address, user \}, or none$/),
    ]);
  });

  test('an existing machine with VM sizes: a line for each size', () => {
    expect(problemsOf({ nodes: [host('pi1', '10.20.0.11', { cpus: 4, diskGb: 40 })] })).toEqual([
      'nodes[0].cpus = 4: node pi1 is an existing host, which has the size it has; remove cpus (it sizes VMs only)',
      'nodes[0].diskGb = 40: node pi1 is an existing host, which has the size it has; remove diskGb (it sizes VMs only)',
    ]);
  });

  test('the smallest sizes the schema allows are still held to the K3s minimum', () => {
    expect(problemsOf({ nodes: threeNodes({ 0: { memoryMb: 1 } }) })).toEqual(['nodes[0].memoryMb = 1: is below the K3s minimum for a server: at least 2048 MB (memoryMb: 2048)']);
  });
});

describe('what each pattern lets through, at its edges', () => {
  const accepted = (overrides: object) => expect(problemsOf.bind(null, overrides)).toThrow('expected the config to be rejected');
  const refused = (overrides: object, line: RegExp) => expect(problemsOf(overrides)).toEqual([expect.stringMatching(line)]);

  test('a node name: 1 to 63 characters (RFC 1123 label), a letter or digit at each end', () => {
    for (const name of ['a', '7', 'w-1', `a${'b'.repeat(61)}c`]) accepted({ nodes: threeNodes({ 1: { name } }) });
    for (const name of [`a${'b'.repeat(62)}c`, '-w1', 'w1-', 'w1.lab', 'w 1']) refused({ nodes: threeNodes({ 1: { name } }) }, /^nodes\[1\]\.name = ".*": a node name must be a valid hostname/);
  });

  test('a lab name: 1 to 31 characters, a letter first, a letter or digit last', () => {
    for (const name of ['a', 'a1', 'my-lab', `a${'b'.repeat(29)}c`]) accepted({ name });
    for (const name of [`a${'b'.repeat(30)}c`, '1lab', '-lab', 'lab-', 'my_lab', 'my lab', '']) refused({ name }, /^name = ".*": must start with a lower-case letter/);
  });

  test('a K3s version: a release tag, release candidates too, numbers of any length', () => {
    for (const version of ['v1.36.4+k3s1', 'v10.360.41-rc12+k3s23']) accepted({ k3s: { version } });
    for (const version of ['v1.36.4', 'v1.36+k3s1', 'xv1.36.4+k3s1', 'v1.36.4+k3s1x', 'v1.36.4-beta1+k3s1', 'v1.36.4-rc+k3s1', 'v1.36.4+k3s']) {
      refused({ k3s: { version } }, /^k3s\.version = ".*": must be a K3s release tag like v1\.36\.4\+k3s1$/);
    }
  });

  test('a chart version: exact, with a pre-release or build suffix allowed', () => {
    for (const chartVersion of ['1.2.3', '10.20.30', '1.2.3-rc.1', '1.2.3+build-7']) accepted({ components: { ingress: { chartVersion } } });
    for (const chartVersion of ['1.2', '^1.2.3', '1.2.3.', '1.2.3-', '1.2.3_x', 'v1.2.3', '1.2.3 ']) {
      refused({ components: { ingress: { chartVersion } } }, /^components\.ingress\.chartVersion = ".*": must be an exact chart version like 1\.2\.3/);
    }
  });

  test('a noProxy entry: *, a host, a .domain, an address or a CIDR network', () => {
    for (const entry of ['*', 'proxy', 'Build-01', '.corp.example', 'a.b.c', '10.1.2.3', '10.0.0.0/8', '172.16.0.0/12']) accepted({ proxy: { http: 'http://p.example:3128', noProxy: [entry] } });
    for (const entry of ['*.corp', 'a..b', '.', 'a.', 'my host', '10.0.0.0/123', 'http://x', '10.0.0.0/8/8']) {
      refused({ proxy: { http: 'http://p.example:3128', noProxy: [entry] } }, /^proxy\.noProxy\[0\] = ".*": must be a host name, a \.domain, an IPv4 address or a CIDR network$/);
    }
  });

  test('an air-gap images file: any suffix K3s unpacks, in any case', () => {
    const installer = (images: string) => ({ k3s: { installer: { source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh', images } } });
    for (const images of ['i.tar', 'i.tar.lz4', 'i.tar.bz2', 'i.tbz', 'i.tar.gz', 'i.tgz', 'i.tar.zst', 'I.TZST']) accepted(installer(images));
    refused(installer('i.zip'), /^k3s\.installer\.images = "i\.zip": must end in \.tar, \.tar\.lz4, .*, \.tzst: K3s picks how to unpack it by that suffix/);
  });
});

describe('a proxy URL: scheme, host and port only', () => {
  const proxyProblems = (proxy: object) => problemsOf({ proxy });
  test('http and https proxies are taken, with or without a trailing /', () => {
    expect(resolveLabConfig({ proxy: { http: 'https://p.example:3128/', https: 'http://p.example' } }).config.proxy).toEqual({ http: 'https://p.example:3128/', https: 'http://p.example' });
  });

  test.each<[string, object, string]>([
    ['a path', { http: 'http://p.example:3128/proxy' }, 'proxy.http = "http://p.example:3128/proxy": must be only scheme, host and port, like http://proxy.example.com:3128'],
    ['a query', { http: 'http://p.example:3128?x=1' }, 'proxy.http = "http://p.example:3128?x=1": must be only scheme, host and port, like http://proxy.example.com:3128'],
    ['a fragment', { http: 'http://p.example:3128#x' }, 'proxy.http = "http://p.example:3128#x": must be only scheme, host and port, like http://proxy.example.com:3128'],
    ['another scheme', { http: 'ftp://p.example:21' }, 'proxy.http = "ftp://p.example:21": must start with http:// or https:// (the scheme the http proxy itself speaks)'],
    ['another scheme, on https', { http: 'http://p.example:3128', https: 'socks5://p.example:1080' }, 'proxy.https = "socks5://p.example:1080": must start with http:// or https:// (the scheme the https proxy itself speaks)'],
    ['not a URL, on https', { http: 'http://p.example:3128', https: 'p.example' }, 'proxy.https = "p.example": must be a proxy URL like http://proxy.example.com:3128'],
  ])('%s: one line saying what is allowed', (_what, proxy, line) => {
    expect(proxyProblems(proxy)).toEqual([line]);
  });
});

describe('a value of the wrong kind: what belongs there, in our words', () => {
  test.each<[string, object, string]>([
    ['image as text', { image: 'noble' }, 'image = "noble": must be a mapping with the keys release'],
    ['k3s as text', { k3s: 'v1.36.4+k3s1' }, 'k3s = "v1.36.4+k3s1": must be a mapping with the keys version, installer and embeddedRegistry'],
    ['the installer as text', { k3s: { installer: 'online' } }, 'k3s.installer = "online": must be a mapping with the keys source, binary, script, images'],
    ['proxy as text', { proxy: 'http://p.example:3128' }, 'proxy = "http://p.example:3128": must be a mapping with the keys http, https, noProxy'],
    ['components as a list', { components: [] }, 'components = a list: must be a mapping with the keys ingress, metricsServer, dashboard, hpaDemo'],
    ['the ingress switch as a boolean', { components: { ingress: true } }, 'components.ingress = true: must be a mapping with the keys enabled, chartVersion'],
    ['metrics-server as a boolean', { components: { metricsServer: false } }, 'components.metricsServer = false: must be a mapping with the keys enabled, chartVersion'],
    ['the dashboard as text', { components: { dashboard: 'headlamp' } }, 'components.dashboard = "headlamp": must be a mapping with the keys enabled, kind, chartVersion'],
    ['a node ip as a number', { nodes: threeNodes({ 1: { ip: 11 } }) }, 'nodes[1].ip = 11: must be an IPv4 address like 192.168.56.10'],
    ['the binary path as a number', { k3s: { installer: { source: 'local', binary: 5, script: 'install.sh' } } }, 'k3s.installer.binary = 5: must be the path of the k3s binary, relative to the project'],
    ['the script path empty', { k3s: { installer: { source: 'local', binary: 'k3s', script: '' } } }, 'k3s.installer.script = "": must be the path of install.sh, relative to the project'],
    ['the images path empty', { k3s: { installer: { source: 'local', binary: 'k3s', script: 'install.sh', images: '' } } }, 'k3s.installer.images = "": must be the path of the air-gap images tarball, relative to the project'],
    ['embeddedRegistry as text', { k3s: { embeddedRegistry: 'yes' } }, 'k3s.embeddedRegistry = "yes": must be true or false'],
    ['a proxy URL as a number', { proxy: { http: 3128 } }, 'proxy.http = 3128: must be a proxy URL like http://proxy.example.com:3128'],
    ['a noProxy entry as a number', { proxy: { http: 'http://p.example:3128', noProxy: [10] } }, 'proxy.noProxy[0] = 10: must be a host name, a .domain, an IPv4 address or a CIDR network'],
    ['a disk too small, with why', { nodes: threeNodes({ 1: { diskGb: 9 } }) }, 'nodes[1].diskGb = 9: diskGb must be a whole number from 10 to 2048 (GB; the Ubuntu image and K3s need at least 10)'],
    ['a server with 1.5 CPUs: the whole-number rule only', { nodes: threeNodes({ 0: { cpus: 1.5 } }) }, 'nodes[0].cpus = 1.5: cpus must be a whole number from 1 to 64'],
    ['the host address as a number', { network: { hostIp: 1 } }, 'network.hostIp = 1: must be an IPv4 address like 192.168.56.10'],
    // Numbers that read as addresses elsewhere (a leading zero): only the form is said, not where they would lie.
    ['a node ip with a leading zero, outside the network', { nodes: threeNodes({ 1: { ip: '10.0.2.015' } }) }, 'nodes[1].ip = "10.0.2.015": must be an IPv4 address like 192.168.56.10'],
    ['a machine address with a leading zero, in the pod network', { nodes: [{ name: 'pi1', role: 'server', host: { address: '10.42.0.05', user: 'ubuntu' } }] }, 'nodes[0].host.address = "10.42.0.05": must be the IPv4 address of the machine, like 192.168.1.50 (K3s registers the node with it)'],
  ])('%s', (_what, overrides, line) => {
    expect(problemsOf(overrides)).toEqual([line]);
  });
});

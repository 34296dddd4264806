/**
 * The K3s step's decisions, in this process (so mutation testing sees them): which node it
 * waits for, when it takes the lab-wide lock, when K3s restarts, how it waits for the node's
 * return, retries and what it says. Nodes are local bash sessions (../support/local-node.ts)
 * with the same K3s stand-ins as the fake nodes over sshd (./stand-ins.ts); the SSH transport,
 * VirtualBox and the node scripts' own runs over SSH are tested in steps.test.ts and ha-steps.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { CliContext } from '../../cli/context';
import { fillCache, k3sInstallerCacheDir } from '../../cli/k3s/installer-files';
import { ensureK3sImages } from '../../cli/k3s/release-cache';
import { K3sStepTiming, runK3sStep } from '../../cli/k3s/step';
import { answers } from '../../cli/k3s/ssh-port';
import { ConnectionLostError, NodeSession } from '../../cli/ssh/client';
import { SshTarget } from '../../cli/ssh/target';
import { vmState } from '../../cli/virtualbox/lab-vm';
import { LocalNode, localNode } from '../support/local-node';
import { hostNode, vmNode } from '../support/lab-shapes';
import { ReleaseStandIn, startReleaseStandIn } from './release-standin';
import { STAND_IN_SYSTEMCTL, installRecordsOn, recordingStandInInstallScript, restartsOn, standInCurl, standInK3sBinary } from './stand-ins';

/** The nodes' sessions by node name; a command matching a node's drop pattern loses the connection once. */
const mockNodes = new Map<string, NodeSession>();
const mockDrops = new Map<string, RegExp>();
/** Sessions the step opened and closed: each one it opens, it closes (a real one holds an SSH connection). */
const mockSessions = { opened: 0, closed: 0 };
jest.mock('../../cli/ssh/client', () => {
  const actual = jest.requireActual('../../cli/ssh/client');
  const dropping = (name: string, session: NodeSession) => {
    const maybeDrop = (command: string) => {
      if (!mockDrops.get(name)?.test(command)) return;
      mockDrops.delete(name);
      throw new actual.ConnectionLostError(`the SSH connection to ${name} dropped while running: ${command}`);
    };
    mockSessions.opened++;
    return {
      ...session,
      target: session.target,
      exec: async (command: string, o: object) => (maybeDrop(command), session.exec(command, o)),
      run: async (command: string, o: object) => (maybeDrop(command), session.run(command, o)),
      upload: session.upload,
      download: session.download,
      close: () => (mockSessions.closed++, session.close()),
    };
  };
  return { ...actual, connectToNode: jest.fn(async (o: { target: SshTarget }) => dropping(o.target.nodeName, mockNodes.get(o.target.nodeName)!)) };
});
jest.mock('../../cli/k3s/ssh-port', () => ({ answers: jest.fn(async () => true) }));
jest.mock('../../cli/virtualbox/lab-vm', () => ({ ...jest.requireActual('../../cli/virtualbox/lab-vm'), vmState: jest.fn() }));

const FAST: K3sStepTiming = { connectTimeoutMs: 1000, readyTimeoutMs: 5000, pollMs: 5, attempts: 3, retryDelayMs: 5, answerTimeoutMs: 100, changeLock: { pollMs: 5 } };
const VERSION = 'v1.36.4+k3s1';

interface Lab {
  readonly projectDir: string;
  readonly clusterDir: string;
  readonly nodes: Record<string, LocalNode>;
  readonly out: string[];
  readonly warn: string[];
  /** A context that reads the lab config as `configure` last wrote it. */
  readonly ctx: CliContext;
  /** Writes the lab config: these nodes, this K3s version, and more top-level keys. */
  configure(version: string, more?: object): void;
  cleanup(): void;
}

function makeLab(nodes: object[]): Lab {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-step-flow-'));
  const clusterDir = path.join(projectDir, 'stand-in-cluster');
  fs.mkdirSync(clusterDir);
  fs.mkdirSync(path.join(projectDir, 'stand-ins'));
  // install.sh says what it does as it goes (its info lines; their text here is the stand-in's): the step shows only the node script's last line.
  fs.writeFileSync(path.join(projectDir, 'stand-ins', 'install.sh'), `${recordingStandInInstallScript(clusterDir)}echo "[INFO]  stand-in install.sh: done"\n`);
  const locals: Record<string, LocalNode> = {};
  for (const n of nodes as { name: string; ip?: string }[]) {
    locals[n.name] = localNode(n.name, n.ip ?? '192.168.56.250');
    locals[n.name].addStandIn('systemctl', STAND_IN_SYSTEMCTL);
    mockNodes.set(n.name, locals[n.name].session);
  }
  const out: string[] = [];
  const warn: string[] = [];
  let ctx = new CliContext(projectDir, (l) => out.push(l), (l) => warn.push(l));
  return {
    projectDir,
    clusterDir,
    nodes: locals,
    out,
    warn,
    get ctx() {
      return ctx;
    },
    configure(version, more = {}) {
      ctx = new CliContext(projectDir, (l) => out.push(l), (l) => warn.push(l));
      fs.writeFileSync(path.join(projectDir, 'stand-ins', 'k3s'), standInK3sBinary(clusterDir, version), { mode: 0o755 });
      fs.writeFileSync(
        path.join(projectDir, 'kubelab.config.yaml'),
        stringify({ k3s: { version, installer: { source: 'local', binary: 'stand-ins/k3s', script: 'stand-ins/install.sh' } }, nodes, ...more }),
      );
    },
    cleanup() {
      for (const [name, n] of Object.entries(locals)) {
        n.cleanup();
        mockNodes.delete(name);
      }
      fs.rmSync(projectDir, { recursive: true, force: true });
    },
  };
}

const mirror = (url: string) => ({ registries: { mirrors: { 'docker.io': { endpoint: [url] } } } });
const lockFile = (lab: Lab) => path.join(lab.projectDir, '.kubelab', 'locks', 'k3s-node-change.lock');

// Every test stands on its own (Stryker runs only the tests that cover a mutant): each has a fresh lab.
describe('a server and an agent', () => {
  let lab: Lab;
  const records = (name: string) => installRecordsOn(lab.nodes[name].root);
  const restarts = (name: string) => restartsOn(lab.nodes[name].root).map((r) => r.service);
  /** What the K3s that runs read from registries.yaml at its last start (the stand-in systemctl keeps it). */
  const registriesRead = (name: string, service = 'k3s') => fs.readFileSync(path.join(lab.nodes[name].root, 'run', `registries-read-${service}`), 'utf8');
  const bootReads = () => fs.readFileSync(path.join(lab.clusterDir, 'kubelet-boot-reads'), 'utf8').trim();
  /** The server installed at VERSION with the default registries; what it said is forgotten. */
  const serverUp = async () => {
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    lab.out.length = 0;
    lab.warn.length = 0;
    jest.mocked(answers).mockClear();
  };
  /** systemctl whose restart leaves the unit failed: K3s does not come back. */
  const k3sWillNotStart = () => lab.nodes.cp1.addStandIn('systemctl', STAND_IN_SYSTEMCTL.replace('restart)', 'restart)\n    rm -f "$marker"; exit 0 ;;\n  no-restart)'));

  beforeEach(() => {
    lab = makeLab([vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 11)]);
    lab.configure(VERSION);
    jest.mocked(answers).mockClear();
  });
  afterEach(() => lab.cleanup());

  test('a node that is not in the config, or has the other role, is one line saying what to run', async () => {
    await expect(runK3sStep(lab.ctx, 'server', 'cp9', FAST)).rejects.toThrow(/^No node named 'cp9' in the lab config; the nodes are: cp1, w1\.$/);
    await expect(runK3sStep(lab.ctx, 'agent', 'cp1', FAST)).rejects.toThrow(/^Node cp1 has role server in the lab config; use: npx kubelab k3s server cp1$/);
    await expect(runK3sStep(lab.ctx, 'server', 'w1', FAST)).rejects.toThrow(/^Node w1 has role agent in the lab config; use: npx kubelab k3s agent w1$/);
  });

  test('an agent before the server: the lab token does not exist yet, and nothing is done', async () => {
    await expect(runK3sStep(lab.ctx, 'agent', 'w1', FAST)).rejects.toThrow(
      `The lab token ${path.join(lab.projectDir, '.kubelab', 'k3s-token')} does not exist yet; install the server first: npx kubelab k3s server cp1`,
    );
    expect(records('w1')).toEqual([]);
    expect(jest.mocked(answers)).not.toHaveBeenCalled();
  });

  test('the first install of the server: uploads the installer, starts K3s once with the registries in place, takes no lock, waits for /readyz and Ready', async () => {
    mockSessions.opened = mockSessions.closed = 0;
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(jest.mocked(answers).mock.calls.map(([t, ms]) => [t.nodeName, ms])).toEqual([['cp1', 100]]);
    expect(records('cp1')).toHaveLength(1);
    expect(restarts('cp1')).toEqual(['k3s']);
    expect(registriesRead('cp1')).toContain('docker.io');
    const said = lab.out.join('\n');
    expect(lab.out[0]).toBe(`kubelab: cp1: K3s ${VERSION} server, installer: local files from k3s.installer (air-gapped install)`);
    expect(said).toContain('kubelab: cp1: uploading the K3s installer and binary\n');
    expect(said).toContain(`kubelab: cp1: installing K3s ${VERSION} (k3s)\n`);
    expect(lab.out[lab.out.indexOf(`kubelab: cp1: installing K3s ${VERSION} (k3s)`) + 1]).toBe(`kubelab: installed K3s ${VERSION} (k3s) on cp1`);
    expect(said).not.toContain('[INFO]');
    expect(said).not.toContain('lab-wide lock');
    // Local files: nothing for the host to keep.
    expect(said).not.toContain('cached K3s');
    expect(said).toMatch(/cp1: K3s API answers \/readyz\n[\s\S]*kubelab: cp1: node is Ready with InternalIP 192\.168\.56\.10$/);
    expect(mockSessions.opened).toBeGreaterThanOrEqual(2);
    expect(mockSessions.closed).toBe(mockSessions.opened);
    // The staging dir is gone.
    expect(fs.readdirSync(path.join(path.dirname(lab.nodes.cp1.root), 'tmp'))).toEqual([]);
  });

  test('an agent waits for its own SSH port and the first server\'s (30 s each by default), joins, takes no lock, and does not wait for a lease renewal', async () => {
    await serverUp();
    // Were the step to wait for a renewal, the lease stand-in would count these down.
    fs.writeFileSync(path.join(lab.clusterDir, 'kubelet-boot-reads'), '5');
    await runK3sStep(lab.ctx, 'agent', 'w1', { ...FAST, answerTimeoutMs: undefined });
    expect(jest.mocked(answers).mock.calls.map(([t, ms]) => [t.nodeName, ms])).toEqual([['w1', 30_000], ['cp1', 30_000]]);
    expect(records('w1')[0]).toContain('K3S_URL=https://192.168.56.10:6443\n');
    expect(restarts('w1')).toEqual(['k3s-agent']);
    expect(bootReads()).toBe('5');
    const said = lab.out.join('\n');
    expect(said).not.toContain('lab-wide lock');
    // The API is the server step's to wait for.
    expect(said).not.toContain('answers /readyz');
    expect(lab.out.at(-1)).toBe('kubelab: w1: node is Ready with InternalIP 192.168.56.11');
  });

  test('a re-run with nothing changed: no install, no restart, no lock; it says unchanged', async () => {
    await serverUp();
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(records('cp1')).toHaveLength(1);
    expect(restarts('cp1')).toEqual(['k3s']);
    expect(lab.out).toContain('kubelab: cp1: registries unchanged');
    expect(lab.out).toContain(`kubelab: unchanged: K3s ${VERSION} (k3s) on cp1 already runs with these flags; nothing to do`);
    expect(lab.out.join('\n')).not.toContain('lab-wide lock');
  });

  test('an upgrade: under the lab-wide lock, K3s restarts once, and the step waits until the kubelet renewed its lease', async () => {
    await serverUp();
    lab.configure('v1.36.5+k3s1');
    fs.writeFileSync(path.join(lab.clusterDir, 'kubelet-boot-reads'), '2');
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(records('cp1').at(-1)).toContain('INSTALL_K3S_VERSION=v1.36.5+k3s1\n');
    expect(restarts('cp1')).toEqual(['k3s', 'k3s']);
    expect(bootReads()).toBe('0');
    expect(lab.out.join('\n')).toMatch(/cp1: K3s already runs here; changing it while no other node changes \(lab-wide lock\)[\s\S]*cp1: node is Ready/);
    expect(fs.existsSync(lockFile(lab))).toBe(false);
  });

  test('a change of only the registries: one restart, from the step, under the lock, and the wait for the lease', async () => {
    await serverUp();
    lab.configure(VERSION, mirror('https://mirror-a.example.com'));
    // The node still says Ready (from the K3s before the restart); the restarted kubelet renews its lease only from the 3rd look on.
    fs.writeFileSync(path.join(lab.clusterDir, 'kubelet-boot-reads'), '2');
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(records('cp1')).toHaveLength(1);
    expect(restarts('cp1')).toEqual(['k3s', 'k3s']);
    expect(registriesRead('cp1')).toContain('https://mirror-a.example.com');
    expect(bootReads()).toBe('0');
    expect(lab.out.join('\n')).toMatch(
      /kubelab: cp1: wrote \/etc\/rancher\/k3s\/registries\.yaml \(mode 0600\)\n[\s\S]*cp1: K3s already runs here; changing it while no other node changes \(lab-wide lock\)\nkubelab: cp1: restarting k3s so that K3s reads the new registries\n[\s\S]*cp1: node is Ready/,
    );
    expect(fs.existsSync(lockFile(lab))).toBe(false);
  });

  test('registries and the version together: one restart, by the install, which read the new registries', async () => {
    await serverUp();
    lab.configure('v1.36.5+k3s1', mirror('https://mirror-b.example.com'));
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(restarts('cp1')).toEqual(['k3s', 'k3s']);
    expect(registriesRead('cp1')).toContain('https://mirror-b.example.com');
    expect(lab.out.join('\n')).not.toContain('so that K3s reads the new registries');
  });

  test('a dropped connection: the step is retried, says so, and the registries written before the drop still restart K3s once', async () => {
    await serverUp();
    lab.configure(VERSION, mirror('https://mirror-c.example.com'));
    // The connection drops after the file was written, before anything restarted K3s.
    mockDrops.set('cp1', /--check$/);
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(lab.warn).toHaveLength(1);
    expect(lab.warn[0]).toMatch(/^kubelab: warning: cp1: the SSH connection to cp1 dropped while running: sudo -n bash \S+\/k3s-server\.sh --check; retrying \(attempt 2 of 3\)$/);
    expect(restarts('cp1')).toEqual(['k3s', 'k3s']);
    expect(registriesRead('cp1')).toContain('https://mirror-c.example.com');
  });

  test('a connection that keeps dropping: after the last attempt the step fails with that error, having paused between attempts', async () => {
    let drops = 0;
    const keepDropping = { test: () => (drops++, true) } as unknown as RegExp;
    const session = mockNodes.get('cp1')!;
    mockNodes.set('cp1', { ...session, target: session.target, exec: async (c: string, o: object) => (mockDrops.set('cp1', keepDropping), session.exec(c, o)) } as unknown as NodeSession);
    mockDrops.set('cp1', keepDropping);
    const started = Date.now();
    try {
      await expect(runK3sStep(lab.ctx, 'server', 'cp1', { ...FAST, attempts: 2, retryDelayMs: 300 })).rejects.toThrow(ConnectionLostError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      mockDrops.delete('cp1');
    }
    expect(drops).toBe(2);
    expect(lab.warn).toHaveLength(1);
    expect(lab.warn[0]).toMatch(/retrying \(attempt 2 of 2\)$/);
  });

  test('registries changed, and the install ran but did not restart K3s (it runs these files): the step restarts it', async () => {
    await serverUp();
    lab.configure(VERSION, mirror('https://mirror-e.example.com'));
    // What kubelab applied last is unknown (the record is gone), so the install runs; the files K3s runs from are the same.
    fs.rmSync(path.join(lab.nodes.cp1.root, 'var', 'lib', 'kubelab', 'k3s-server.applied'));
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    expect(records('cp1')).toHaveLength(2);
    expect(lab.out).toContain('kubelab: cp1: restarting k3s so that K3s reads the new registries');
    expect(restarts('cp1')).toEqual(['k3s', 'k3s']);
    expect(registriesRead('cp1')).toContain('https://mirror-e.example.com');
  });

  test('a K3s that does not come back after the registries restart: the step fails naming the service, with its last log lines; the lock is released', async () => {
    await serverUp();
    lab.configure(VERSION, mirror('https://mirror-f.example.com'));
    // K3s refuses to start (a registries.yaml it cannot use, say): the restart leaves the unit failed.
    k3sWillNotStart();
    lab.nodes.cp1.addStandIn('journalctl', '#!/bin/bash\necho "level=fatal msg=\\"stand-in: cannot read registries.yaml\\""\n');
    await expect(runK3sStep(lab.ctx, 'server', 'cp1', { ...FAST, readyTimeoutMs: 300 })).rejects.toThrow(
      /K3s server \(k3s\) on cp1 to report ready to systemd.*k3s is inactive.*stand-in: cannot read registries\.yaml/s,
    );
    expect(fs.existsSync(lockFile(lab))).toBe(false);
  });

  test('a K3s that does not come back after an upgrade: the step fails naming the service; the lock is released', async () => {
    await serverUp();
    lab.configure('v1.36.5+k3s1');
    k3sWillNotStart();
    await expect(runK3sStep(lab.ctx, 'server', 'cp1', { ...FAST, readyTimeoutMs: 300 })).rejects.toThrow(/K3s server \(k3s\) on cp1 to report ready to systemd.*k3s is inactive/s);
    expect(fs.existsSync(lockFile(lab))).toBe(false);
  });

  test('an install that fails: one line naming the install and the node, with its output; the lock is released', async () => {
    await serverUp();
    lab.configure('v1.36.5+k3s1');
    lab.nodes.cp1.addStandIn('sh', '#!/bin/bash\necho "stand-in install.sh: no space left on device" >&2\nexit 3\n');
    await expect(runK3sStep(lab.ctx, 'server', 'cp1', FAST)).rejects.toThrow(/^on cp1 \(.*\): k3s-server\.sh \(K3s server install\) failed with exit status 3 .*no space left on device/s);
    expect(fs.existsSync(lockFile(lab))).toBe(false);
  });

  test('a node script whose check fails otherwise: one line naming the script, the node and its output; not retried', async () => {
    lab.nodes.cp1.addStandIn('bash', `#!/bin/bash\n[ "\${*: -1}" = --check ] && { echo "the check itself failed" >&2; exit 7; }\nexec /bin/bash "$@"\n`);
    await expect(runK3sStep(lab.ctx, 'server', 'cp1', FAST)).rejects.toThrow(/^on cp1 \(.*\): k3s-server\.sh --check failed with exit status 7 .*the check itself failed/s);
    expect(lab.warn).toEqual([]);
  });
});

describe('three servers at once', () => {
  let lab: Lab;
  const SERVERS = ['cp1', 'cp2', 'cp3'];
  beforeAll(async () => {
    lab = makeLab(SERVERS.map((name, i) => vmNode(name, 'server', 10 + i)));
    fs.writeFileSync(path.join(lab.projectDir, 'stand-ins', 'images.tar.zst'), 'stand-in air-gap images\n');
    lab.configure(VERSION, { k3s: { version: VERSION, installer: { source: 'local', binary: 'stand-ins/k3s', script: 'stand-ins/install.sh', images: 'stand-ins/images.tar.zst' } } });
    for (const name of SERVERS) await runK3sStep(lab.ctx, 'server', name, FAST);
  });

  test('local air-gap images: uploaded with the installer, in K3s\'s images dir before it starts', () => {
    expect(lab.out.filter((l) => l.includes('uploading'))).toEqual(SERVERS.map((name) => `kubelab: ${name}: uploading the K3s installer and binary and the K3s air-gap images`));
    for (const name of SERVERS) {
      expect(fs.readFileSync(path.join(lab.nodes[name].root, 'var/lib/rancher/k3s/agent/images/k3s-airgap-images.tar.zst'), 'utf8')).toBe('stand-in air-gap images\n');
    }
  });
  afterAll(() => lab.cleanup());

  test('a change of only the registries on all of them: one K3s restarts at a time, the next once the one before is back', async () => {
    lab.configure(VERSION, { ...mirror('https://mirror.example.com'), k3s: { version: VERSION, installer: { source: 'local', binary: 'stand-ins/k3s', script: 'stand-ins/install.sh', images: 'stand-ins/images.tar.zst' } } });
    const said: { line: string; atMs: number }[] = [];
    const ctx = new CliContext(lab.projectDir, (line) => said.push({ line, atMs: Date.now() }), () => undefined);
    await Promise.all(SERVERS.map((name) => runK3sStep(ctx, 'server', name, FAST)));
    const order = SERVERS.map((name, i) => {
      const mine = restartsOn(lab.nodes[name].root);
      expect({ name, restarts: mine.length }).toEqual({ name, restarts: 2 });
      const back = said.find((s) => s.line === `kubelab: ${name}: node is Ready with InternalIP 192.168.56.${10 + i}`);
      return { name, restartedMs: mine[1].atMs, backMs: back!.atMs };
    }).sort((a, b) => a.restartedMs - b.restartedMs);
    for (let i = 1; i < order.length; i++) expect({ [order[i].name]: order[i].restartedMs >= order[i - 1].backMs }).toEqual({ [order[i].name]: true });
    // Two of them waited, naming the one they waited for.
    expect(said.filter((s) => /K3s already runs here; waiting until cp\d is done/.test(s.line))).toHaveLength(2);
  });
});

describe('online installs', () => {
  let lab: Lab;
  let release: ReleaseStandIn;
  let hostDir: string;
  let tmpdir: jest.SpiedFunction<typeof os.tmpdir>;
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, KUBELAB_K3S_RELEASE_BASE_URL: process.env.KUBELAB_K3S_RELEASE_BASE_URL };
  const online = { k3s: { version: VERSION, installer: { source: 'online' } } };
  /** The files in the host's caches. */
  const cached = () => (fs.readdirSync(path.join(hostDir, 'cache'), { recursive: true }) as string[]).sort();
  const setUp = async (nodes: object[]) => {
    lab = makeLab(nodes);
    lab.configure(VERSION, online);
    // What the nodes' curl gets from get.k3s.io, and what install.sh then downloads.
    fs.mkdirSync(path.join(lab.clusterDir, 'online-download'));
    fs.writeFileSync(path.join(lab.clusterDir, 'online-download', 'k3s'), standInK3sBinary(lab.clusterDir, VERSION), { mode: 0o755 });
    for (const n of Object.values(lab.nodes)) n.addStandIn('curl', standInCurl(path.join(lab.projectDir, 'stand-ins', 'install.sh')));
  };
  beforeAll(async () => {
    release = await startReleaseStandIn();
    process.env.KUBELAB_K3S_RELEASE_BASE_URL = release.baseUrl;
  });
  // A fresh host (its caches and temp dir) for each test.
  beforeEach(() => {
    hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-step-flow-host-'));
    fs.mkdirSync(path.join(hostDir, 'cache'));
    process.env.XDG_CACHE_HOME = path.join(hostDir, 'cache');
    // os.tmpdir() reads the real environment, not jest's copy of it: point it at this host's own.
    fs.mkdirSync(path.join(hostDir, 'tmp'));
    tmpdir = jest.spyOn(jest.requireActual<typeof os>('os'), 'tmpdir').mockReturnValue(path.join(hostDir, 'tmp'));
  });
  afterEach(() => {
    tmpdir.mockRestore();
    lab.cleanup();
    fs.rmSync(hostDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await release.close();
  });

  test('VMs: the host fetches the air-gap images once; the first node downloads the installer, which the host then keeps for the next', async () => {
    await setUp([vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 11)]);
    const tmpBefore = fs.readdirSync(os.tmpdir());
    await runK3sStep(lab.ctx, 'server', 'cp1', FAST);
    // What the host fetched from the node on its way into the cache is not left in the host's temp dir.
    expect(fs.readdirSync(os.tmpdir())).toEqual(tmpBefore);
    const cache = k3sInstallerCacheDir(VERSION, 'amd64');
    expect(lab.out).toContain(`kubelab: cp1: K3s ${VERSION} server, installer: online (get.k3s.io over the VM NAT)`);
    expect(lab.out).toContain('kubelab: cp1: uploading the K3s air-gap images');
    expect(lab.out).toContain(`kubelab: cached K3s ${VERSION} install.sh and binary with checksums in ${cache}; later installs of any lab on this host upload them instead of downloading`);
    const byNode = lab.ctx.downloads.filter((d) => d.by !== 'host');
    expect(byNode.map((d) => [d.artifact, d.by])).toEqual([['install.sh and k3s', 'cp1']]);
    expect(byNode[0].bytes).toBe(fs.statSync(path.join(cache, 'install.sh')).size + fs.statSync(path.join(cache, 'k3s')).size);
    expect(fs.readFileSync(path.join(cache, 'k3s'), 'utf8')).toBe(standInK3sBinary(lab.clusterDir, VERSION));
    const served = release.totalServed();
    await runK3sStep(lab.ctx, 'agent', 'w1', FAST);
    expect(release.totalServed()).toBe(served);
    expect(lab.out).toContain(`kubelab: w1: K3s ${VERSION} agent, installer: the host's cache ${cache} (sha256 checked)`);
    expect(lab.out).toContain('kubelab: w1: uploading the K3s installer and binary and the K3s air-gap images');
    expect(installRecordsOn(lab.nodes.w1.root)[0]).toContain('INSTALL_K3S_SKIP_DOWNLOAD=true\n');
    expect(fs.existsSync(path.join(lab.nodes.w1.root, 'curl.log'))).toBe(false);
  });

  test('existing machines: each downloads what fits it; the host fetches and keeps nothing, uploads nothing, and records the machine for prune', async () => {
    await setUp([hostNode('pi1', 'server', '10.20.0.11')]);
    lab.configure(VERSION, { k3s: { ...online.k3s, embeddedRegistry: false } });
    // The host's caches hold the installer and images: for this host's CPU, not necessarily the machine's.
    fillCache(VERSION, 'amd64', { installScript: path.join(lab.projectDir, 'stand-ins', 'install.sh'), binary: path.join(lab.projectDir, 'stand-ins', 'k3s') });
    await ensureK3sImages(VERSION, 'amd64', new CliContext(lab.projectDir, () => undefined, () => undefined));
    const inCache = cached();
    expect(inCache.join('\n')).toMatch(/install\.sh[\s\S]*k3s-airgap-images/);
    const served = release.totalServed();
    await runK3sStep(lab.ctx, 'server', 'pi1', FAST);
    expect(release.totalServed()).toBe(served);
    expect(lab.out).toContain(`kubelab: pi1: K3s ${VERSION} server, installer: online (get.k3s.io over the VM NAT)`);
    expect(lab.out.join('\n')).not.toMatch(/uploading|cached K3s/);
    // No registries: the registries script had nothing to say, and no empty line was printed.
    expect(lab.out).not.toContain('');
    expect(lab.ctx.downloads).toEqual([]);
    expect(fs.existsSync(path.join(lab.nodes.pi1.root, 'curl.log'))).toBe(true);
    expect(cached()).toEqual(inCache);
    expect(JSON.parse(fs.readFileSync(path.join(lab.projectDir, '.kubelab', 'machines', 'pi1.json'), 'utf8'))).toMatchObject({ node: 'pi1', role: 'server', address: '10.20.0.11' });
  });
});

/** The lab token, as the server's step leaves it: agents may run. */
const withToken = (lab: Lab) => {
  fs.mkdirSync(path.join(lab.projectDir, '.kubelab'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(lab.projectDir, '.kubelab', 'k3s-token'), 'f'.repeat(64), { mode: 0o600 });
};

describe('a node whose SSH port is silent: one line saying what to do, from what VirtualBox says of its VM', () => {
  let lab: Lab;
  const saved = process.env.VBOX_INSTALL_PATH;
  beforeAll(() => {
    lab = makeLab([vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 11)]);
    lab.configure(VERSION);
    withToken(lab);
    // Where kubelab finds VBoxManage; it never runs (vmState answers), VirtualBox need not be installed.
    const vbox = path.join(lab.projectDir, 'virtualbox');
    fs.mkdirSync(vbox);
    fs.writeFileSync(path.join(vbox, 'VBoxManage'), '#!/bin/sh\nexit 99\n', { mode: 0o755 });
    process.env.VBOX_INSTALL_PATH = vbox;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.VBOX_INSTALL_PATH;
    else process.env.VBOX_INSTALL_PATH = saved;
    lab.cleanup();
  });
  beforeEach(() => jest.mocked(answers).mockImplementation(async (t: SshTarget) => t.nodeName !== 'w1' && t.nodeName !== 'pi1'));
  afterEach(() => {
    jest.mocked(answers).mockImplementation(async () => true);
    jest.mocked(vmState).mockReset();
  });

  const silentW1 = async (state: string | Error) => {
    if (state instanceof Error) jest.mocked(vmState).mockRejectedValue(state);
    else jest.mocked(vmState).mockResolvedValue(state);
    const err = await runK3sStep(lab.ctx, 'agent', 'w1', FAST).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(jest.mocked(vmState).mock.calls.map(([, vm]) => vm)).toEqual(['kubelab-w1']);
    expect(installRecordsOn(lab.nodes.w1.root)).toEqual([]);
    return err!.message;
  };
  const SILENT = 'w1 (192.168.56.11) does not answer on SSH port 22 within 0 s';
  const RESTART = 'npx kubelab vm stop w1 --force, then npx kubelab vm start w1';

  test('VirtualBox cannot say: its message, and how to look and start the VM', async () => {
    expect(await silentW1(new Error('VBoxManage is not installed'))).toBe(
      `${SILENT}, and VirtualBox could not say whether its VM kubelab-w1 runs (VBoxManage is not installed). ` +
        'Check it with npx kubelab vm status w1; start it with npx kubelab vm start w1 (or re-create it with npm run up -- vms), then run npm run up again',
    );
  });

  test('no VM: create it', async () => {
    expect(await silentW1('absent')).toBe(`${SILENT}: its VM kubelab-w1 does not exist. Create it with npm run up -- vms (or npx kubelab vm create w1), then run npm run up again`);
  });

  test.each(['poweroff', 'saved', 'aborted'])('VM %s: start it', async (state) => {
    expect(await silentW1(state)).toBe(`${SILENT}: its VM kubelab-w1 is not running (VirtualBox says ${state}). Start it with npx kubelab vm start w1, then run npm run up again`);
  });

  test('VM running but silent: still booting or stuck, with its boot log and how to restart it', async () => {
    expect(await silentW1('running')).toBe(
      `${SILENT}, though its VM kubelab-w1 is running: the guest is still booting or is stuck (its boot log: ${path.join(lab.projectDir, '.kubelab', 'logs', 'w1-serial.log')}). ` +
        `Run npm run up again in a minute; if it stays silent, restart the VM: ${RESTART}`,
    );
  });

  test('VM paused: resume it, never a forced power-off', async () => {
    expect(await silentW1('paused')).toBe(`${SILENT}: its VM kubelab-w1 is paused. Resume it in VirtualBox Manager, then run npm run up again`);
  });

  test('a crashed guest (guru meditation): restart it', async () => {
    expect(await silentW1('gurumeditation')).toBe(`${SILENT}: VirtualBox says its VM kubelab-w1 is gurumeditation: the guest crashed. Restart it: ${RESTART}, then run npm run up again`);
  });

  test('VirtualBox busy with the VM: wait', async () => {
    expect(await silentW1('livesnapshotting')).toBe(`${SILENT}: VirtualBox is busy with its VM kubelab-w1 (livesnapshotting). Wait until that ends, then run npm run up again`);
  });

  test('an existing machine: no VirtualBox to ask; check it with doctor', async () => {
    const hosts = makeLab([hostNode('pi1', 'server', '10.20.0.11'), hostNode('pi2', 'agent', '10.20.0.12')]);
    try {
      hosts.configure(VERSION);
      withToken(hosts);
      jest.mocked(answers).mockImplementation(async (t: SshTarget) => t.nodeName !== 'pi2');
      const err = await runK3sStep(hosts.ctx, 'agent', 'pi2', FAST).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toBe(
        'pi2 (10.20.0.12) does not answer on SSH port 22 within 0 s: the existing machine pi2 is off or unreachable from here. Check it with npx kubelab doctor, then run npm run up again',
      );
      expect(jest.mocked(vmState)).not.toHaveBeenCalled();
    } finally {
      hosts.cleanup();
    }
  });
});

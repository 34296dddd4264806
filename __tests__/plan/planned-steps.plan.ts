/**
 * THE PLAN IS THE SINGLE TRUTH (`npm run test:plan`, not part of `npm test`: it synthesizes two
 * labs and makes a few hundred VBoxManage stand-in calls). For every step Terraform runs (create
 * and destroy, every stack) of labs that set every optional field to a value other than the
 * default, the step's command line is taken from the synthesized JSON with its `${self.triggers.*}`
 * filled in from the planned triggers, and run twice, one world each:
 *   planned:    in a project whose kubelab.config.yaml is ANOTHER valid lab (other name, network,
 *               nodes, roles), with the planned arguments;
 *   configured: in a project whose kubelab.config.yaml is the lab that was planned, with the same
 *               arguments less `--spec` (the verb as a user runs it from the config).
 * A step never reads kubelab.config.yaml, and what each does must be the same: its output, the VBoxManage calls it makes (against the
 * stand-in, ../support/vboxmanage-standin.js), what it sends over SSH (the node scripts, the
 * registries file, which node it logs in to), where it waits for a VM, what it probes, and the
 * files it leaves in .kubelab/ (seed ISOs, kubeconfig, network record).
 *
 * SSH is recorded, not spoken: connectToNode returns a recorder session, so no packet leaves
 * for a node address. It answers as a node that already runs what the step wants (the step's
 * `--check` exits 0) and as a server whose API is ready with every node Ready at its address:
 * the outcome a K3s step waits for, so the step runs to its end. That is all it plays.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { CliContext } from '../../cli/context';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { ensureK3sToken } from '../../cli/k3s/token';
import { main } from '../../cli/main';
import type { SshTarget } from '../../cli/ssh/target';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { labPaths } from '../../config/paths';
import { allResources, synthLab } from '../app/synth-lab';
import { ImageServer, startImageServer } from '../image/image-server';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';
import { hostNode, vmNode } from '../support/lab-shapes';
import { StandInEnv, standInEnv } from '../support/vboxmanage-standin-env';

/** What the recorder seams saw during one verb, and whether it read kubelab.config.yaml. */
const mockSeen: { lines: string[]; nodeIps: Map<string, string>; configReads: number } = { lines: [], nodeIps: new Map(), configReads: 0 };

jest.mock('../../config/load', () => {
  const actual = jest.requireActual('../../config/load');
  return {
    ...actual,
    loadLabConfig: jest.fn((...args: unknown[]) => {
      mockSeen.configReads++;
      return actual.loadLabConfig(...args);
    }),
  };
});

jest.mock('../../cli/ssh/client', () => {
  const actual = jest.requireActual('../../cli/ssh/client');
  return { ...actual, connectToNode: jest.fn(async (o: { target: SshTarget; vmId?: string }) => mockSession(o.target, o.vmId)) };
});
jest.mock('../../cli/k3s/ssh-port', () => ({
  answers: jest.fn(async (target: SshTarget) => {
    mockSeen.lines.push(`answers? ${where(target)}`);
    return true;
  }),
}));
jest.mock('../../cli/ssh/wait', () => {
  const actual = jest.requireActual('../../cli/ssh/wait');
  return {
    ...actual,
    // Nothing answers at a probed address (a free one, to the doctor).
    probeTcp: jest.fn(async (host: string, port: number) => {
      mockSeen.lines.push(`probe ${host}:${port}`);
      return 'ETIMEDOUT';
    }),
    waitForSshAndCloudInit: jest.fn(async (o: { host: string; nodeName: string; vmId?: string }) => {
      mockSeen.lines.push(`wait for ${o.nodeName} at ${o.host}${o.vmId ? ' (VM id given)' : ''}`);
    }),
  };
});

function where(t: SshTarget): string {
  return `${t.nodeName} ${t.user}@${t.host}:${t.port}${t.keyFile ? ` key ${t.keyFile}` : ''}`;
}

const done = (stdout = '', code = 0) => ({ code, stdout, stderr: code ? 'recorded: not found' : '', durationMs: 0 });

/**
 * The recorder's answer to one command: see the file comment for what it plays. `/readyz`
 * answers "ok" as kube-apiserver's health endpoints do (kubernetes.io, "Kubernetes API health
 * endpoints"); the node query prints what kubectl prints for readiness.ts's jsonpath on a Node
 * whose Ready condition is True and whose InternalIP is the node's address (core/v1 Node status).
 */
function mockAnswer(command: string) {
  if (/^mktemp -d/.test(command)) return done('/tmp/kubelab.recorded\n');
  if (/ --check$/.test(command)) return done('kubelab: unchanged: recorded\n');
  if (/get --raw \/readyz/.test(command)) return done('ok');
  const ready = /get node (\S+) -o jsonpath=/.exec(command);
  if (ready) return done(`True ${mockSeen.nodeIps.get(ready[1]) ?? 'unknown'}`);
  // Not in the cluster: an uninstall drains nothing and goes on to the node itself.
  if (/get node \S+ -o name/.test(command)) return done('', 1);
  if (/ cat .*\/etc\/rancher\/k3s\/k3s\.yaml/.test(command)) return done(K3S_STYLE_KUBECONFIG);
  return done();
}

function mockSession(target: SshTarget, vmId?: string) {
  const at = where(target);
  mockSeen.lines.push(`login ${at}${vmId ? ' (VM id given)' : ''}`);
  const { RemoteCommandError } = jest.requireActual('../../cli/ssh/client');
  const answer = (command: string, stdin?: string | Buffer) => {
    mockSeen.lines.push(`${at} $ ${command}${stdin === undefined ? '' : `\n  <<< ${String(stdin).replace(/\n/g, '\n  <<< ')}`}`);
    return mockAnswer(command);
  };
  return {
    target,
    exec: async (command: string, o: { stdin?: string | Buffer } = {}) => answer(command, o.stdin),
    run: async (command: string, o: { stdin?: string | Buffer; label?: string } = {}) => {
      const r = answer(command, o.stdin);
      if (r.code !== 0) throw new RemoteCommandError(target, o.label ?? command, r);
      return r;
    },
    upload: async (remote: string, content: { data: Buffer | string } | { localFile: string }, mode = 0o600) => {
      const body = 'data' in content ? String(content.data) : `file with sha256 ${createHash('sha256').update(fs.readFileSync(content.localFile)).digest('hex')}`;
      mockSeen.lines.push(`${at} upload ${remote} mode ${mode.toString(8)}\n  | ${body.replace(/\n/g, '\n  | ')}`);
    },
    download: async (remote: string) => {
      mockSeen.lines.push(`${at} download ${remote}`);
      throw new Error('the recorder session has nothing to download');
    },
    close: () => undefined,
  };
}

/** Every optional field set, none to its default: a lab of VMs, and one of existing machines (a lab cannot mix them). */
const PROXY = { http: 'http://proxy.corp.example:3128', https: 'http://proxy.corp.example:3129', noProxy: ['.corp.example', '10.0.0.0/8'] };
const REGISTRIES = {
  mirrors: { 'docker.io': { endpoint: ['https://mirror.corp.example:5000'], rewrite: { '^library/(.*)': 'hub/library/$1' } } },
  configs: { 'mirror.corp.example:5000': { credentialsFile: 'registry-login.yaml', insecureSkipVerify: true } },
};
const COMMON = {
  k3s: { version: 'v1.36.9+k3s1', installer: { source: 'local', binary: 'files/k3s', script: 'files/install.sh', images: 'files/k3s-airgap-images-amd64.tar.zst' } },
  proxy: PROXY,
  registries: REGISTRIES,
  components: {
    ingress: { enabled: true, chartVersion: '41.0.0' },
    metricsServer: { enabled: true, chartVersion: '3.12.0' },
    dashboard: { enabled: true, kind: 'kubernetes-dashboard', chartVersion: '7.12.0' },
    hpaDemo: { enabled: false },
  },
};
const at57 = (name: string, role: string, last: number, extra: object = {}) => ({ ...vmNode(name, role, last, extra), ip: `192.168.57.${last}` });
const LABS: Record<string, object> = {
  'a lab of VMs': {
    name: 'fulllab',
    network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.1' },
    image: { release: 'noble' },
    nodes: [
      // 2 CPUs (the default) for servers: their minimum, and as many as a CI machine has.
      at57('cp1', 'server', 10, { memoryMb: 4096, diskGb: 30 }),
      at57('cp2', 'server', 11, { memoryMb: 4096, diskGb: 30 }),
      at57('cp3', 'server', 12, { memoryMb: 4096, diskGb: 30 }),
      at57('w1', 'agent', 21, { cpus: 1, memoryMb: 1024, diskGb: 25 }),
    ],
    ...COMMON,
  },
  'a lab of existing machines': {
    name: 'hostlab',
    // No network: a lab of existing machines has no host-only network (the config refuses one).
    nodes: [
      hostNode('pi1', 'server', '10.20.0.11', { port: 2201, keyFile: 'ssh/pi-key' }),
      hostNode('pi2', 'server', '10.20.0.12', { port: 2202, keyFile: 'ssh/pi-key' }),
      hostNode('pi3', 'server', '10.20.0.13', { port: 2203, keyFile: 'ssh/pi-key' }),
      hostNode('pi4', 'agent', '10.20.0.14', { port: 2204, keyFile: 'ssh/pi-key' }),
    ],
    ...COMMON,
    // The embedded registry mirror off here (OTHER_LAB has it on, the default); the lab of VMs keeps it on, merged with REGISTRIES.
    k3s: { ...COMMON.k3s, embeddedRegistry: false },
  },
};
/** The lab the planned world's kubelab.config.yaml holds instead: every value differs, and w1 is its first server. */
const OTHER_LAB = {
  name: 'otherlab',
  network: { cidr: '192.168.58.0/24', hostIp: '192.168.58.1' },
  nodes: [
    { name: 'w1', role: 'server', ip: '192.168.58.10' },
    { name: 'cp1', role: 'agent', ip: '192.168.58.11' },
  ],
};

interface Step {
  readonly stack: string;
  readonly resource: string;
  readonly phase: 'create' | 'destroy';
  /** The command line's arguments after `bin/kubelab.js`, with the planned trigger values filled in. */
  readonly argv: string[];
}

/** Every kubelab command Terraform would run for the lab, creates in dependency order, then destroys in reverse. */
function plannedSteps(lab: object): Step[] {
  const synth = synthLab(lab);
  fs.rmSync(synth.outdir, { recursive: true, force: true });
  const creates: Step[] = [];
  const destroys: Step[] = [];
  for (const stack of ['vms', 'k3s', 'ingress', 'metrics-server', 'dashboard', 'workloads']) {
    const resources = allResources(synth.stacks[stack]).filter((r) => r.body.provisioner);
    const placed = new Set<string>();
    while (placed.size < resources.length) {
      const ready = resources.filter((r) => !placed.has(r.name) && (r.body.depends_on ?? []).every((d: string) => !d.startsWith('null_resource.') || placed.has(d.slice('null_resource.'.length))));
      if (ready.length === 0) throw new Error(`${stack}: a dependency cycle among ${resources.map((r) => r.name).join(', ')}`);
      for (const r of ready) {
        placed.add(r.name);
        for (const p of r.body.provisioner) {
          const { command, when } = p['local-exec'];
          const line = command.replace(/\$\{self\.triggers\.([a-z_]+)\}/g, (_: string, name: string) => {
            const value = r.body.triggers[name];
            if (typeof value !== 'string' || value.includes('${')) throw new Error(`${r.name}: trigger ${name} is not a planned value: ${value}`);
            return value;
          });
          const [node, entry, ...argv] = line.split(' ');
          expect([node, entry]).toEqual(['node', '../../../bin/kubelab.js']);
          (when === 'destroy' ? destroys : creates).push({ stack, resource: r.name, phase: when === 'destroy' ? 'destroy' : 'create', argv });
        }
      }
    }
  }
  return [...creates, ...destroys.reverse()];
}

/** One project with its kubelab.config.yaml, its .kubelab/ (made from the same template) and its own VBoxManage stand-in. */
interface World {
  readonly name: string;
  readonly project: string;
  readonly standIn: StandInEnv;
  readonly env: NodeJS.ProcessEnv;
}

function makeWorld(root: string, name: string, config: object, template: string, imageBaseUrl: string): World {
  const project = path.join(root, name, 'project');
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), stringify(config));
  fs.cpSync(template, path.join(project, '.kubelab'), { recursive: true });
  // The installer files a local install uploads (the same host files in both worlds).
  fs.mkdirSync(path.join(project, 'files'));
  for (const f of ['k3s', 'install.sh', 'k3s-airgap-images-amd64.tar.zst']) fs.writeFileSync(path.join(project, 'files', f), `stand-in ${f}\n`);
  const standIn = standInEnv({ KUBELAB_IMAGE_BASE_URL: imageBaseUrl, VBOXMANAGE_STANDIN_MACS: 'by-name' });
  const home = path.join(root, name, 'home');
  fs.mkdirSync(home);
  return { name, project, standIn, env: { ...standIn.env, HOME: home, KUBECONFIG: path.join(home, '.kube', 'config') } };
}

/**
 * Every file under .kubelab/ by path, as mode and content digest; not vms/, where the
 * VBoxManage stand-in keeps the VMs' own files (named after random UUIDs, as VirtualBox does).
 */
function stateFiles(project: string): Map<string, string> {
  const dir = labPaths(project).stateDir;
  const found = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (full !== path.join(dir, 'vms')) walk(full);
      } else found.set(path.relative(dir, full), `${(fs.statSync(full).mode & 0o777).toString(8)} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16)}`);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/** What a step changed in .kubelab/. */
function stateChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [file, now] of after) if (before.get(file) !== now) changes.push(`.kubelab/${file} ${before.has(file) ? 'changed' : 'written'}: ${now}`);
  for (const file of before.keys()) if (!after.has(file)) changes.push(`.kubelab/${file} removed`);
  return changes.sort();
}

/** Runs one verb in a world, in this process (so the recorder seams see it); what it did, with the world's own paths made neutral. */
async function runIn(world: World, argv: string[]): Promise<{ code: number; did: string[]; readConfig: boolean }> {
  const out: string[] = [];
  mockSeen.lines = [];
  mockSeen.configReads = 0;
  const callsBefore = world.standIn.calls().length;
  const filesBefore = stateFiles(world.project);
  const saved = process.env;
  process.env = world.env;
  let code: number;
  try {
    code = await main(argv, world.project, new CliContext(world.project, (l) => out.push(l), (l) => out.push(l)));
  } finally {
    process.env = saved;
  }
  const neutral = (s: string) =>
    s
      .split(world.standIn.root)
      .join('<stand-in>')
      .split(path.dirname(world.project))
      .join('<world>')
      .replace(/\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/g, '<uuid>');
  const calls = world.standIn.calls().slice(callsBefore);
  return {
    code,
    did: [
      // Config warnings come from reading kubelab.config.yaml, which a planned step never does: not part of what it does.
      ...out.filter((l) => !l.startsWith('kubelab: warning: ')).map((l) => `out: ${neutral(l)}`),
      ...calls.map((c) => `VBoxManage ${neutral(c)}`),
      ...mockSeen.lines.map((l) => `ssh: ${neutral(l)}`),
      ...stateChanges(filesBefore, stateFiles(world.project)),
    ],
    readConfig: mockSeen.configReads > 0,
  };
}

// Belt and braces: should anything get past the recorder seams, no socket may leave loopback.
const loopbackOnly = net.Socket.prototype.connect;
beforeAll(() => {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string; path?: string } | number;
    const host = typeof first === 'object' ? first.host : (args[1] as string | undefined);
    if (!(typeof first === 'object' && first.path) && host && !/^(127\.|localhost$|::1$)/.test(host)) throw new Error(`test guard: a connection to ${host} left the recorder seams`);
    return (loopbackOnly as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
});
afterAll(() => {
  net.Socket.prototype.connect = loopbackOnly;
});

let image: ImageServer;
let root: string;
let template: string;
beforeAll(async () => {
  image = await startImageServer({ fileName: UBUNTU_OVA_FILE });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-planned-'));
  // One .kubelab/ for both worlds: the same SSH key, token, registry login and existing machines' key.
  const templateProject = path.join(root, 'template');
  fs.mkdirSync(templateProject);
  const paths = labPaths(templateProject);
  ensureLabKeyPair(paths);
  ensureK3sToken(paths);
  fs.writeFileSync(path.join(paths.stateDir, 'registry-login.yaml'), 'username: lab\npassword: recorded-secret\n', { mode: 0o600 });
  fs.copyFileSync(path.join(paths.stateDir, 'ssh', 'id_ed25519'), path.join(paths.stateDir, 'ssh', 'pi-key'));
  template = paths.stateDir;
});
afterAll(async () => {
  await image.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.each(Object.entries(LABS))('%s: every step Terraform runs does what the plan says, whatever kubelab.config.yaml says at apply', (label, lab) => {
  const steps = plannedSteps(lab);
  let planned: World;
  let configured: World;
  const results = new Map<Step, { planned: Awaited<ReturnType<typeof runIn>>; configured: Awaited<ReturnType<typeof runIn>> }>();

  beforeAll(async () => {
    const slug = label.replace(/\W+/g, '-');
    planned = makeWorld(root, `${slug}-planned`, OTHER_LAB, template, image.baseUrl);
    configured = makeWorld(root, `${slug}-configured`, lab, template, image.baseUrl);
    mockSeen.nodeIps = new Map((lab as { nodes: { name: string; ip?: string; host?: { address: string } }[] }).nodes.map((n) => [n.name, n.ip ?? n.host!.address]));
    for (const step of steps) {
      results.set(step, { planned: await runIn(planned, step.argv), configured: await runIn(configured, step.argv.filter((a) => !a.startsWith('--spec='))) });
    }
  });
  afterAll(() => {
    planned?.standIn.cleanup();
    configured?.standIn.cleanup();
  });

  test('the lab has steps in both directions', () => {
    expect(steps.filter((s) => s.phase === 'create').length).toBeGreaterThan(3);
    expect(steps.filter((s) => s.phase === 'destroy').length).toBeGreaterThan(3);
  });

  test.each(steps.map((s) => [`${s.stack} ${s.resource} (${s.phase}): kubelab ${s.argv[0].startsWith('--spec=') ? '--spec=… ' : ''}${s.argv.filter((a) => !a.startsWith('--spec=')).join(' ')}`, s] as const))(
    '%s',
    (_name, step) => {
      const { planned: p, configured: c } = results.get(step)!;
      expect({ readConfig: p.readConfig, code: p.code, did: p.did }).toEqual({ readConfig: false, code: c.code, did: c.did });
    },
  );

  test('what they did is the planned lab: its proxy in every K3s step and seed, its network, its base VM, its first server', () => {
    const all = (pick: (s: Step) => boolean) => steps.filter(pick).flatMap((s) => results.get(s)!.planned.did).join('\n');
    const cfg = lab as { name: string; network?: { hostIp: string }; nodes: { name: string; role: string; host?: object }[] };
    const k3sSteps = steps.filter((s) => /^k3s (server|agent) /.test(s.argv.filter((a) => !a.startsWith('--spec=')).join(' ')));
    expect(k3sSteps).toHaveLength(cfg.nodes.length);
    for (const s of k3sSteps) {
      const did = results.get(s)!.planned;
      expect(did.code).toBe(0);
      expect(did.did.join('\n')).toContain(`HTTPS_PROXY=${PROXY.https}`);
      expect(did.did.join('\n')).toContain('mirror.corp.example:5000');
    }
    if (!cfg.nodes[0].host) {
      expect(all((s) => s.resource === 'network' && s.phase === 'create')).toMatch(new RegExp(`hostonlyif ipconfig \\S+ --ip ${cfg.network!.hostIp.replace(/\./g, '\\.')} `));
      expect(all((s) => s.resource === 'image' && s.phase === 'create')).toContain(`${cfg.name}-base`);
      for (const s of steps.filter((x) => x.resource.startsWith('vm-') && x.phase === 'create')) expect(results.get(s)!.planned.code).toBe(0);
    }
    // The first server leaves last, through no other server: nothing is drained anywhere for it.
    const first = steps.find((s) => s.resource === `server-${cfg.nodes[0].name}_install` && s.phase === 'destroy')!;
    expect(results.get(first)!.planned.did.join('\n')).not.toMatch(/drain|get node/);
  });
});

/**
 * A kubelab project in a temp dir that the real cdktf CLI and the real terraform binary
 * deploy, diff and destroy. Nothing here is VirtualBox, K3s or the hashicorp/null provider:
 * VMs are the VBoxManage STAND-IN, nodes are SSH fake nodes (real sshd, stand-in K3s), and
 * null_resource is served by the null provider STAND-IN from a filesystem mirror that only
 * this test's Terraform CLI config names.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { LabPaths, labPaths } from '../../config/paths';
import { ImageServer, startImageServer } from '../image/image-server';
import { STAND_IN_SYSTEMCTL, recordingStandInInstallScript, standInK3sBinary } from '../k3s/stand-ins';
import { FakeNode, sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { StandInEnv, StandInState, standInEnv } from '../support/vboxmanage-standin-env';

const REPO = path.resolve(__dirname, '..', '..');
const PROVIDER_STANDIN = path.join(__dirname, 'null-provider-standin', 'null-provider-standin.js');
const VBOXMANAGE_WRAPPER = path.join(__dirname, 'vboxmanage-with-disks.js');
const CDKTF = path.join(REPO, 'node_modules', '.bin', 'cdktf');

/** The provider version @cdktf/provider-null 11.0.1 pins (its package.json cdktf.provider.version). */
const NULL_PROVIDER_VERSION = '3.2.4';

/** Every node a scenario may have; each gets its own fake node. */
export const NODES = {
  cp1: { role: 'server', ip: '192.168.56.10' },
  w1: { role: 'agent', ip: '192.168.56.11' },
  w2: { role: 'agent', ip: '192.168.56.12' },
  w3: { role: 'agent', ip: '192.168.56.13' },
} as const;
export type NodeName = keyof typeof NODES;

export interface LabSpec {
  nodes: NodeName[];
  k3sVersion: string;
  /** Memory of the server VM. */
  serverMemoryMb?: number;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved, without terminal colours. */
  out: string;
  ms: number;
}

export class TerraformLab {
  readonly project: string;
  readonly paths: LabPaths;
  readonly userKubeconfig: string;
  readonly clusterDir: string;
  readonly nodes = {} as Record<NodeName, FakeNode>;
  private vbox!: StandInEnv;
  private images!: ImageServer;
  private env!: NodeJS.ProcessEnv;
  private readonly root: string;
  private running?: ChildProcess;

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-tf-'));
    this.project = path.join(this.root, 'project');
    this.paths = labPaths(this.project);
    this.userKubeconfig = path.join(this.root, 'home', '.kube', 'config');
    this.clusterDir = path.join(this.root, 'stand-in-cluster');
  }

  async start(): Promise<void> {
    makeLabProject(this.project);
    fs.mkdirSync(this.clusterDir);
    ensureLabKeyPair(this.paths);
    const standIns = { systemctl: STAND_IN_SYSTEMCTL, 'cloud-init': STAND_IN_CLOUD_INIT };
    for (const name of Object.keys(NODES) as NodeName[]) this.nodes[name] = await startFakeNode(this.paths, standIns);
    this.images = await startImageServer({ fileName: UBUNTU_OVA_FILE });
    const wrapperBin = path.join(this.root, 'vbox-bin');
    fs.mkdirSync(wrapperBin);
    fs.symlinkSync(VBOXMANAGE_WRAPPER, path.join(wrapperBin, 'VBoxManage'));
    this.vbox = standInEnv({ KUBELAB_IMAGE_BASE_URL: this.images.baseUrl });
    const fakeNodes = Object.fromEntries(
      (Object.keys(NODES) as NodeName[]).map((n) => [`kubelab-${n}`, { root: this.nodes[n].root, sshdDir: this.nodes[n].sshd.dir, ...(NODES[n].role === 'server' ? { clusterDir: this.clusterDir } : {}) }]),
    );
    this.env = {
      ...this.vbox.env,
      PATH: `${wrapperBin}${path.delimiter}${this.vbox.env.PATH}`,
      ...sshEndpointsEnv(Object.fromEntries((Object.keys(NODES) as NodeName[]).map((n) => [NODES[n].ip, this.nodes[n]]))),
      KUBELAB_TF_FAKE_NODES: JSON.stringify(fakeNodes),
      KUBECONFIG: this.userKubeconfig,
      HOME: path.join(this.root, 'home'),
      CHECKPOINT_DISABLE: '1',
      CI: '1',
      TF_CLI_CONFIG_FILE: makeProviderMirror(this.root),
      TF_IN_AUTOMATION: '1',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    };
    delete this.env.TF_PLUGIN_CACHE_DIR;
  }

  async stop(): Promise<void> {
    this.running?.kill('SIGKILL');
    await Promise.all(Object.values(this.nodes).map((n) => n.stop()));
    await this.images?.close();
    this.vbox?.cleanup();
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** Writes kubelab.config.yaml (the K3s installer: the recording stand-ins, uploaded from the host). */
  configure(spec: LabSpec): void {
    const standIns = path.join(this.project, 'stand-ins');
    fs.mkdirSync(standIns, { recursive: true });
    // Plus one test hook: a `fail-install-once` file in the cluster dir makes the next install fail.
    const failOnce = path.join(this.clusterDir, 'fail-install-once');
    const installer = recordingStandInInstallScript(this.clusterDir).replace(
      'set -eu\n',
      `set -eu\nif [ -e '${failOnce}' ]; then rm '${failOnce}'; echo 'stand-in install.sh: failing once, as the test asked' >&2; exit 1; fi\n`,
    );
    fs.writeFileSync(path.join(standIns, 'recording-stand-in-install.sh'), installer);
    fs.writeFileSync(path.join(standIns, 'stand-in-k3s'), standInK3sBinary(this.clusterDir, spec.k3sVersion), { mode: 0o755 });
    const nodeLines = spec.nodes.map((n) => {
      const memory = NODES[n].role === 'server' && spec.serverMemoryMb ? `, memoryMb: ${spec.serverMemoryMb}` : NODES[n].role === 'agent' ? ', memoryMb: 1024, cpus: 1' : '';
      return `  - { name: ${n}, role: ${NODES[n].role}, ip: ${NODES[n].ip}${memory} }`;
    });
    fs.writeFileSync(
      path.join(this.project, 'kubelab.config.yaml'),
      `k3s:\n  version: ${spec.k3sVersion}\n  installer:\n    source: local\n    binary: stand-ins/stand-in-k3s\n    script: stand-ins/recording-stand-in-install.sh\n` +
        `nodes:\n${nodeLines.join('\n')}\n`,
    );
  }

  /** Runs the real cdktf CLI in the project; `interruptWhen` sends it SIGINT once its output matches. */
  cdktf(args: string[], opts: { interruptWhen?: RegExp; timeoutMs?: number } = {}): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve) => {
      // cdktf runs `terraform providers lock -platform=linux_amd64` after a first init, which asks
      // the registry even when a mirror installed the provider: the stand-in is served only from the mirror.
      const child = spawn(CDKTF, [...args, '--skip-provider-lock'], { cwd: this.project, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.running = child;
      let out = '';
      let interrupted = false;
      const onData = (d: Buffer) => {
        out += d.toString().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
        if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(out)) {
          interrupted = true;
          // A user's Ctrl-C reaches the whole foreground process group.
          process.kill(-child.pid!, 'SIGINT');
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), opts.timeoutMs ?? 280_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.running = undefined;
        resolve({ code, signal, out, ms: Date.now() - started });
      });
    });
  }

  /**
   * `npm run <script> -- <extra>` as a user runs it (bin/lab.js, what package.json's scripts run).
   * cdktf gets --skip-provider-lock (see cdktf() above).
   */
  npmRun(script: 'up' | 'down' | 'diff', extra: string[] = [], timeoutMs = 280_000): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(this.project, 'bin', 'lab.js'), script, ...extra, '--skip-provider-lock'], { cwd: this.project, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.running = child;
      let out = '';
      const onData = (d: Buffer) => (out += d.toString().replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''));
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.running = undefined;
        resolve({ code, signal, out, ms: Date.now() - started });
      });
    });
  }

  /** `terraform show -json` of a stack's state: the addresses and triggers Terraform keeps. */
  stateOf(stack: 'vms' | 'k3s'): { address: string; triggers: Record<string, string> }[] {
    const file = path.join(this.project, `terraform.${stack}.tfstate`);
    if (!fs.existsSync(file)) return [];
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { resources: { type: string; name: string; instances: { attributes: { triggers: Record<string, string> } }[] }[] };
    return state.resources.flatMap((r) => r.instances.map((i) => ({ address: `${r.type}.${r.name}`, triggers: i.attributes.triggers })));
  }

  vboxState(): StandInState {
    return this.vbox.state();
  }

  /** Names of the nodes the stand-in cluster has registered. */
  clusterNodes(): string[] {
    const dir = path.join(this.clusterDir, 'nodes');
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  }

  /** What the stand-in `k3s kubectl` was asked, in order. */
  kubectlCalls(): string[] {
    const file = path.join(this.clusterDir, 'kubectl.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  }

  /** Calls of the recording stand-in installer (and its uninstall scripts) on a node: '--- call …', '--- uninstall …'. */
  installRecords(node: NodeName): string[] {
    const file = path.join(this.nodes[node].root, 'install-record.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(/^--- /m).filter(Boolean) : [];
  }

  readUserKubeconfig(): string {
    return fs.existsSync(this.userKubeconfig) ? fs.readFileSync(this.userKubeconfig, 'utf8') : '';
  }

  /** A kubelab verb run by hand in the project (not through Terraform). */
  kubelab(...args: string[]): { code: number; out: string } {
    try {
      return { code: 0, out: execFileSync(process.execPath, [path.join(this.project, 'bin', 'kubelab.js'), ...args], { cwd: this.project, env: this.env, encoding: 'utf8', stdio: 'pipe' }) };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: `${e.stdout}${e.stderr}` };
    }
  }

}

/** A lab project in `project`: the app's sources linked from the repo; bin/ copied, because the CLI finds the project from its own path. */
export function makeLabProject(project: string): void {
  fs.mkdirSync(project);
  for (const entry of ['cli', 'config', 'constructs', 'stacks', 'node_modules']) fs.symlinkSync(path.join(REPO, entry), path.join(project, entry));
  for (const file of ['main.ts', 'lab.ts', 'cdktf.json', 'package.json', 'tsconfig.json']) fs.copyFileSync(path.join(REPO, file), path.join(project, file));
  fs.cpSync(path.join(REPO, 'bin'), path.join(project, 'bin'), { recursive: true });
}

/**
 * The providers of the chart stacks, as their @cdktf/provider-* packages pin them
 * (package.json cdktf.provider.version of @cdktf/provider-kubernetes 12.1.1 and -helm 12.1.2).
 * Served by the stand-in only while those stacks are empty (all components off).
 */
export const CHART_PROVIDERS = { kubernetes: '2.38.0', helm: '3.1.1' } as const;

/**
 * A Terraform CLI config (written under `root`) whose only provider source is a filesystem
 * mirror (unpacked layout: <host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_…)
 * holding the null provider stand-in, and with `chartProviders` the same stand-in as the
 * kubernetes and helm providers (KUBELAB_PROVIDER_STANDIN). The providers' host name is asked
 * of terraform itself (`terraform providers` prints provider[<host>/hashicorp/null]), not written here.
 */
export function makeProviderMirror(root: string, opts: { chartProviders?: boolean } = {}): string {
  const probe = path.join(root, 'provider-probe');
  fs.mkdirSync(probe);
  fs.writeFileSync(path.join(probe, 'main.tf.json'), JSON.stringify({ terraform: { required_providers: { null: { source: 'hashicorp/null' } } } }));
  const emptyConfig = path.join(root, 'empty.tfrc');
  fs.writeFileSync(emptyConfig, '');
  const listed = execFileSync('terraform', ['providers'], { cwd: probe, env: { ...process.env, TF_CLI_CONFIG_FILE: emptyConfig, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8' });
  const address = /provider\[([^\]]+\/hashicorp\/null)\]/.exec(listed)?.[1];
  if (!address) throw new Error(`terraform providers did not name the null provider's address:\n${listed}`);
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const served: [string, string][] = [['null', NULL_PROVIDER_VERSION], ...(opts.chartProviders ? Object.entries(CHART_PROVIDERS) : [])];
  for (const [type, version] of served) {
    const dir = path.join(root, 'provider-mirror', address.replace(/\/null$/, `/${type}`), version, platform);
    fs.mkdirSync(dir, { recursive: true });
    const as = type === 'null' ? '' : `export KUBELAB_PROVIDER_STANDIN=${type}\n`;
    fs.writeFileSync(path.join(dir, `terraform-provider-${type}_v${version}_x5`), `#!/bin/sh\n${as}exec '${process.execPath}' '${PROVIDER_STANDIN}' "$@"\n`, { mode: 0o755 });
  }
  const config = path.join(root, 'provider-mirror.tfrc');
  fs.writeFileSync(config, `provider_installation {\n  filesystem_mirror {\n    path = "${path.join(root, 'provider-mirror')}"\n  }\n}\n`);
  return config;
}

/** STAND-IN for cloud-init on the fake nodes: first boot is always done (cloud-init's `status --wait` exit 0). */
const STAND_IN_CLOUD_INIT = `#!/bin/bash
# STAND-IN for cloud-init (kubelab tests): first-boot setup is always done.
[ "$1 $2" = "status --wait" ] || { echo "stand-in cloud-init: unexpected args: $*" >&2; exit 99; }
echo "status: done"
`;

/** Resource addresses in Terraform's plan text, by what the plan does to them. */
export function plannedChanges(out: string): { create: string[]; replace: string[]; destroy: string[]; update: string[] } {
  // "# null_resource.vm-cp1 (vm-cp1/step) must be replaced": the address, then cdktf's construct path.
  const pick = (action: string) => [...out.matchAll(new RegExp(`# (null_resource\\.\\S+)(?: \\([^)]*\\))? ${action}`, 'g'))].map((m) => m[1]).sort();
  return { create: pick('will be created'), replace: pick('must be replaced'), destroy: pick('will be destroyed'), update: pick('will be updated in-place') };
}

/** An apply line of Terraform about a resource, e.g. "null_resource.vm-cp1 (vm-cp1/step): Creating...". */
export function applyEvent(name: string, event: 'Creating' | 'Creation complete' | 'Destroying' | 'Destruction complete'): RegExp {
  return new RegExp(`null_resource\\.${name}(?: \\([^)]*\\))?: ${event}`);
}

/** Position of the first line matching `re` in the output (Infinity when none): for order checks. */
export function firstLine(out: string, re: RegExp): number {
  const i = out.split('\n').findIndex((l) => re.test(l));
  return i < 0 ? Infinity : i;
}

/** Position of the last line matching `re` (-1 when none). */
export function lastLine(out: string, re: RegExp): number {
  const lines = out.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i])) return i;
  return -1;
}

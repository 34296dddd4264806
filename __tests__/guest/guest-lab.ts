/** What the real-guest suites share: the image server, the timed child process, the stand-in K3s files, the skip rule. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { makeProviderMirror } from '../terraform/terraform-lab';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * The test guest image exactly as kubelab downloads Ubuntu's: the image file (the amd64 OVA unless
 * another is named) and SHA256SUMS over HTTP on loopback.
 */
export async function serveGuestImage(guestDir: string, imageFile: string = UBUNTU_OVA_FILE): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = path.join(guestDir, path.basename(req.url ?? ''));
    if (![`/${imageFile}`, '/SHA256SUMS'].includes(req.url ?? '') || !fs.existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The qemu-backed VBoxManage stand-in for a suite whose scratch folder is `root`: VBoxManage on PATH
 * from root/bin, its state in root/vbox, its guests booted from the image in guestDir. Returns the
 * environment entries a kubelab process needs to use it.
 */
export function qemuVirtualBox(root: string, guestDir: string): NodeJS.ProcessEnv {
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(path.join(REPO, '__tests__', 'support', 'vboxmanage-standin.js'), path.join(bin, 'VBoxManage'));
  return { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, VBOXMANAGE_STANDIN_DIR: path.join(root, 'vbox'), VBOXMANAGE_STANDIN_QEMU: guestDir };
}

/** The process still runs: not gone, not a zombie nobody reaped yet (the stand-in's qemu daemonizes). */
export function qemuRuns(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Kills whatever qemu processes of the stand-in's VMs a failed test left running. */
export function killLeftoverGuests(root: string): void {
  const stateFile = path.join(root, 'vbox', 'state.json');
  const vms: { qemuPid?: number }[] = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')).vms : [];
  for (const vm of vms) if (vm.qemuPid && qemuRuns(vm.qemuPid)) process.kill(vm.qemuPid, 'SIGKILL');
}

/** What a command run by runTimed did. */
export interface TimedRun {
  readonly code: number | null;
  /** stdout and stderr as they interleaved. */
  readonly text: string;
  readonly stdout: string;
  readonly seconds: number;
  /** It was still running at its time limit and was killed. */
  readonly killed: boolean;
}

/**
 * Runs a command in its own process, kills it after boundMs, and records how long it took in
 * `timings`. jest shows console output only when a file ends, so KUBELAB_TEST_GUEST_LOG (when set)
 * follows each run as it finishes.
 */
export function runTimed(
  what: string,
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; boundMs: number; timings: [string, number][] },
): Promise<TimedRun> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd });
    let text = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      text += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (text += d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, opts.boundMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = Math.round((Date.now() - t0) / 1000);
      opts.timings.push([what, seconds]);
      if (process.env.KUBELAB_TEST_GUEST_LOG) {
        fs.appendFileSync(process.env.KUBELAB_TEST_GUEST_LOG, `--- ${what} → ${killed ? 'killed' : `exit ${code}`} after ${seconds} s\n${text}\n`);
      }
      resolve({ code, text, stdout, seconds, killed });
    });
  });
}

/**
 * Puts the stand-in k3s (k3s-standin.py reporting `version`) and install.sh (install-standin.sh)
 * into the project and returns the config lines that make kubelab upload them.
 */
export function standInK3sInstaller(project: string, version: string): string[] {
  const binary = `k3s-${version}`;
  const source = fs.readFileSync(path.join(__dirname, 'k3s-standin.py'), 'utf8');
  fs.writeFileSync(path.join(project, binary), source.replace("VERSION = 'v0.0.0+standin'", `VERSION = '${version}'`), { mode: 0o755 });
  fs.copyFileSync(path.join(__dirname, 'install-standin.sh'), path.join(project, 'install.sh'));
  return [`k3s:`, `  version: ${version}`, `  installer: { source: local, binary: ${binary}, script: install.sh }`];
}

/** Config lines that turn every component off: no chart can deploy offline, so the chart stacks stay empty. */
export const CHARTLESS_COMPONENTS: readonly string[] = [
  `components:`,
  `  ingress: { enabled: false }`,
  `  metricsServer: { enabled: false }`,
  `  dashboard: { enabled: false }`,
  `  hpaDemo: { enabled: false }`,
];

/**
 * `describe` when the guest image is there (run.sh built it and named its folder in `dirVariable`),
 * else skipped with the reason (failed under KUBELAB_REQUIRE_TOOLS=1).
 */
export function guestDescribe(suite: string, script: string, dirVariable = 'KUBELAB_TEST_GUEST_DIR'): jest.Describe {
  const missing = process.env.KUBELAB_TEST_GUEST_MISSING || (process.env[dirVariable] ? '' : `${dirVariable} (run it with npm run ${script}, which builds the guest image)`);
  if (!missing) return describe;
  const reason = `the ${suite} needs ${missing}, which this machine lacks (CI installs it in .ci/run)`;
  if (process.env.KUBELAB_REQUIRE_TOOLS === '1') throw new Error(`KUBELAB_REQUIRE_TOOLS=1 but ${reason}`);
  console.warn(`SKIPPED: ${reason}`);
  return describe.skip;
}

const RUN_CLI = `require(${JSON.stringify(path.join(REPO, 'bin', 'run-ts.js'))}).loadTs(${JSON.stringify(path.join(REPO, 'cli', 'main.ts'))})
  .main(JSON.parse(process.argv[1]), process.argv[2])
  .then((c) => { process.exitCode = c; }, (e) => { console.error(e && e.stack ? e.stack : String(e)); process.exitCode = 1; });`;

/** node's arguments that run `kubelab <args>` from this checkout's TypeScript in `project`. */
export function kubelabNodeArgs(args: string[], project: string): string[] {
  return ['-e', RUN_CLI, JSON.stringify(args), project];
}

/**
 * The environment `npm run up` / `down` and kubelab run in for a lab project under `root`: HOME and
 * KUBECONFIG inside root, Terraform's providers from a filesystem mirror of stand-ins (null; kubernetes
 * and helm accept their configuration and serve nothing; the registry is not reachable here), no colour,
 * no update checks, and no plugin cache or extra CA from the machine running the tests.
 */
export function labProjectEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: path.join(root, 'home'),
    KUBECONFIG: path.join(root, 'home', '.kube', 'config'),
    TF_CLI_CONFIG_FILE: makeProviderMirror(root, { chartProviders: true }),
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    npm_config_update_notifier: 'false',
  };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.TF_PLUGIN_CACHE_DIR;
  return env;
}

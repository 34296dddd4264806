import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hasTool } from '../support/tools';

/**
 * `npm run up` (bin/lab.js, what package.json's "up" runs) checks the config and the host
 * before any Terraform. Each run is a real process in a project of its own, inside a
 * loopback-only network namespace this test makes (doctor probes node addresses), with a
 * PATH that holds node and a recording `terraform` only: no VBoxManage, so VirtualBox is
 * absent as on a host without it.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const canIsolate = process.platform === 'linux' && hasTool('unshare') && hasTool('ip') && (() => {
  try {
    require('child_process').execFileSync('unshare', ['--net', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!canIsolate && process.env.KUBELAB_REQUIRE_TOOLS === '1') throw new Error('KUBELAB_REQUIRE_TOOLS=1 but unshare --net does not work here');
if (!canIsolate) console.warn('SKIPPED: npm run up host checks: needs unshare --net (Linux, root) to keep doctor inside a network namespace');

interface Run {
  code: number | null;
  lines: string[];
  ms: number;
}

(canIsolate ? describe : describe.skip)('npm run up checks the host first', () => {
  let root: string;
  let project: string;
  let bin: string;
  const terraformLog = () => path.join(root, 'terraform-calls.log');

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-up-first-'));
    project = path.join(root, 'project');
    fs.mkdirSync(project);
    for (const entry of ['cli', 'config', 'constructs', 'stacks', 'node_modules']) fs.symlinkSync(path.join(ROOT, entry), path.join(project, entry));
    for (const file of ['main.ts', 'lab.ts', 'cdktf.json', 'package.json']) fs.copyFileSync(path.join(ROOT, file), path.join(project, file));
    // bin/ copied: the CLI finds the project from its own path.
    fs.cpSync(path.join(ROOT, 'bin'), path.join(project, 'bin'), { recursive: true });
    bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    // Any start of Terraform leaves a line (doctor's `terraform version` would too, so it must not come).
    fs.writeFileSync(path.join(bin, 'terraform'), `#!/bin/sh\necho "$*" >> '${terraformLog()}'\necho '{"terraform_version":"1.11.4"}'\n`, { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  function npmRun(script: 'up' | 'down', ...extra: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { PATH: bin, HOME: path.join(root, 'home'), CHECKPOINT_DISABLE: '1' };
    const started = Date.now();
    return new Promise((resolve) => {
      // sh and ip by their absolute paths: PATH holds node and terraform only.
      const child = spawn(which('unshare'), ['--net', '/bin/sh', '-c', `${which('ip')} link set lo up && exec node bin/lab.js ${script} ${extra.join(' ')}`], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', (err) => resolve({ code: null, lines: [String(err)], ms: Date.now() - started }));
      child.on('close', (code) => resolve({ code, lines: out.trimEnd().split('\n'), ms: Date.now() - started }));
    });
  }

  test('without VirtualBox: doctor\'s line first, no Terraform started, exit non-zero, kubelab\'s line last, within 10 s', async () => {
    const run = await npmRun('up');
    expect(run.lines[0]).toMatch(/^FAIL virtualbox: VirtualBox is missing/);
    expect(run.lines[1]).toMatch(/^ +fix: install VirtualBox 7/);
    expect(run.lines.at(-1)).toBe('kubelab: npm run up stopped before Terraform: the host check "virtualbox" failed; fix it as said above, then run npm run up again');
    expect(run.lines).toHaveLength(3);
    expect(run.code).not.toBe(0);
    expect(fs.existsSync(terraformLog())).toBe(false);
    expect(fs.existsSync(path.join(project, 'cdktf.out'))).toBe(false);
    expect(run.ms).toBeLessThan(10_000);
  });

  test('a bad config stops there, once, before the host checks and Terraform', async () => {
    fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), 'nodes:\n  - { name: cp1, role: server, ip: 192.168.56.10, memoryMb: 2G }\n');
    try {
      const run = await npmRun('up');
      const text = run.lines.join('\n');
      expect(run.lines[0]).toBe('kubelab: error: kubelab.config.yaml is not a valid kubelab configuration:');
      expect(run.lines.filter((l) => l.includes('nodes[0].memoryMb'))).toHaveLength(1);
      expect(text).not.toMatch(/FAIL|cdktf|destroy/);
      expect(run.lines.at(-1)).toBe('kubelab: npm run up stopped before Terraform: the lab config is not valid; fix kubelab.config.yaml as said above, then run npm run up again');
      expect(run.code).toBe(1);
      expect(fs.existsSync(terraformLog())).toBe(false);
      expect(run.ms).toBeLessThan(10_000);
    } finally {
      fs.rmSync(path.join(project, 'kubelab.config.yaml'));
    }
  });

  test('up -- <stack> checks first, in one line, that the stacks it needs are deployed', async () => {
    const run = await npmRun('up', 'k3s');
    expect(run.lines).toEqual(['kubelab: k3s needs vms, which is not deployed: deploy it first with npm run up -- vms (or the whole lab with npm run up)']);
    expect(run.code).toBe(1);
    expect(fs.existsSync(terraformLog())).toBe(false);
  });

  test('down with nothing deployed says so and exits 0, without Terraform or providers', async () => {
    const run = await npmRun('down');
    expect(run.lines).toEqual(['kubelab: nothing to remove: no stack of this lab is deployed (no terraform.<stack>.tfstate holds a resource)']);
    expect(run.code).toBe(0);
    expect(fs.existsSync(terraformLog())).toBe(false);
    expect(fs.existsSync(path.join(project, 'cdktf.out'))).toBe(false);
  });
});

function which(tool: string): string {
  return require('child_process').execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' }).trim();
}

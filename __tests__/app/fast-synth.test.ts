import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TOOL_TIMEOUT_MS } from '../support/tools';

/**
 * The real fast path (`node bin/synth.js`, what cdktf.json's app and `npm run synth`
 * run), in a scratch copy of the project so the tests never touch the real cdktf.out/.
 */
const root = path.resolve(__dirname, '..', '..');

function scratchProject(configYaml?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-project-'));
  for (const entry of ['main.ts', 'lab.ts', 'config', 'constructs', 'stacks', 'bin', 'package.json']) {
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  if (configYaml !== undefined) fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), configYaml);
  return dir;
}

function synth(dir: string) {
  return spawnSync(process.execPath, ['bin/synth.js'], { cwd: dir, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, env: { ...process.env, CDKTF_OUTDIR: undefined } });
}

describe('node bin/synth.js', () => {
  test('writes the six stacks with their order into cdktf.out/manifest.json', () => {
    const dir = scratchProject();
    const run = synth(dir);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'cdktf.out', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks).sort()).toEqual(['dashboard', 'ingress', 'k3s', 'metrics-server', 'vms', 'workloads']);
    expect(manifest.stacks.workloads.dependencies.sort()).toEqual(['ingress', 'metrics-server']);
  });

  test('a bad kubelab.config.yaml stops it before any Terraform is written, with one line per problem', () => {
    const dir = scratchProject('nodes:\n  - { name: cp1, role: server, ip: 192.168.56.10, memoryMb: 1024 }\nk3s: { verison: v1.36.4+k3s1 }\n');
    const run = synth(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('kubelab: error: kubelab.config.yaml is not a valid kubelab configuration:');
    expect(run.stderr).toContain('  - k3s.verison: unknown key (a typo?); allowed here: version, installer');
    expect(run.stderr).toContain('  - nodes[0].memoryMb = 1024: is below the K3s minimum for a server: at least 2048 MB (memoryMb: 2048)');
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.existsSync(path.join(dir, 'cdktf.out'))).toBe(false);
  });

  test('a subnet outside 192.168.56.0/21 warns and still synthesizes', () => {
    const dir = scratchProject('network: { cidr: 10.20.0.0/24, hostIp: 10.20.0.1 }\nnodes:\n  - { name: cp1, role: server, ip: 10.20.0.10 }\n');
    const run = synth(dir);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('kubelab: warning: network.cidr 10.20.0.0/24 is outside 192.168.56.0/21');
    expect(fs.existsSync(path.join(dir, 'cdktf.out', 'stacks', 'vms', 'cdk.tf.json'))).toBe(true);
  });
});

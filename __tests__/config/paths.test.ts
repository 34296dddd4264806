import * as fs from 'fs';
import * as path from 'path';
import { CLI_ENTRY, KUBECONFIG_FROM_STACK, LabPaths, PROJECT_FROM_STACK_DIR, labPaths } from '../../config/paths';

/**
 * Where the lab keeps its files: what the docs tell users, what git ignores, and what Terraform
 * finds from the dir it runs a stack in.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const project = path.join(path.sep, 'home', 'me', 'my lab');
const paths = labPaths(project);
const files = Object.entries(paths).filter(([key]) => key !== 'projectDir' && key !== 'stateDir') as [keyof LabPaths, string][];

describe('the lab state dir', () => {
  test('sits in the project, and git ignores it (it holds the SSH key, the K3s token and the kubeconfig)', () => {
    expect(path.dirname(paths.stateDir)).toBe(project);
    const ignored = fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toContain(`${path.basename(paths.stateDir)}/`);
  });

  test('holds every file and dir of the lab, each in a place of its own', () => {
    for (const [, p] of files) expect(path.relative(paths.stateDir, p)).toMatch(/^[^./\\]/);
    const all = files.map(([, p]) => p);
    expect(new Set(all).size).toBe(all.length);
    // No file is the dir of another.
    for (const a of all) for (const b of all) expect(b.startsWith(a + path.sep)).toBe(false);
  });

  // "The public key is stored in a file with the same name but .pub appended": ssh-keygen(1), OpenSSH 9.2p1 (Debian 12).
  test('the public key sits next to the private key, its name with .pub added', () => {
    expect(paths.sshPublicKey).toBe(`${paths.sshPrivateKey}.pub`);
  });

  /** Each place as the docs show it to users, with the page that says so. */
  const DOCUMENTED: [keyof LabPaths, string, string][] = [
    ['kubeconfig', '.kubelab/kubeconfig', 'docs/k3s.md'],
    ['sshPrivateKey', '.kubelab/ssh/id_ed25519', 'docs/k3s.md'],
    ['knownHosts', '.kubelab/ssh/known_hosts.json', 'docs/k3s.md'],
    ['k3sToken', '.kubelab/k3s-token', 'docs/k3s.md'],
    ['seedsDir', '.kubelab/seeds/', 'docs/virtualbox.md'],
    ['logsDir', '.kubelab/logs/', 'docs/virtualbox.md'],
    ['machinesDir', '.kubelab/machines/', 'docs/growing-the-lab.md'],
  ];

  test.each(DOCUMENTED)('%s is where the docs say: %s (%s)', (key, shown, page) => {
    expect(fs.readFileSync(path.join(ROOT, page), 'utf8')).toContain(shown);
    const relative = path.relative(project, paths[key]).split(path.sep).join('/');
    expect(shown.replace(/\/$/, '')).toBe(relative);
  });

  test('every place is documented', () => {
    expect(files.map(([key]) => key).filter((key) => key !== 'sshPublicKey').sort()).toEqual(DOCUMENTED.map(([key]) => key).sort());
  });
});

describe('paths in the synthesized Terraform', () => {
  // cdktf 0.21.0 (lib/manifest.js) gives each stack the working dir stacks/<stack id> inside the
  // output dir, cdktf.out unless cdktf.json says otherwise; Terraform's path.module is that dir.
  const stackDir = path.join(project, 'cdktf.out', 'stacks', 'k3s');

  test('the project, seen from a stack\'s dir', () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')).output).toBeUndefined();
    expect(path.resolve(stackDir, PROJECT_FROM_STACK_DIR)).toBe(project);
  });

  test('the kubeconfig the cluster stacks\' providers read is the one kubelab writes', () => {
    expect(KUBECONFIG_FROM_STACK.startsWith('${path.module}/')).toBe(true);
    expect(path.resolve(stackDir, KUBECONFIG_FROM_STACK.slice('${path.module}/'.length))).toBe(paths.kubeconfig);
  });

  test('the CLI Terraform runs is the one `npx kubelab` runs', () => {
    const bin = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin;
    expect(bin).toEqual({ kubelab: CLI_ENTRY });
    expect(fs.existsSync(path.join(ROOT, CLI_ENTRY))).toBe(true);
  });
});

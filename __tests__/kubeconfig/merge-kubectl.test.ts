import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { main } from '../../cli/main';
import { labPaths } from '../../config/paths';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

/** A kubeconfig in kubectl's own layout (unindented lists), with flow maps and a comment a user added. */
const USER_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: cHJvZC1jYQ==
  name: prod
# minikube, added by hand
- cluster:
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context: {cluster: prod, user: prod-admin, namespace: shop}
  name: prod
- context: {cluster: minikube, user: minikube}
  name: minikube
current-context: prod
preferences: {}
users:
- name: prod-admin
  user: {token: not-a-real-token}
- name: minikube
  user: {client-certificate: /home/me/.minikube/client.crt}
`;

/** What the real kubectl reads from a kubeconfig. */
function kubectl(kubeconfig: string, ...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
const contexts = (f: string) => kubectl(f, 'config', 'get-contexts', '-o', 'name').split('\n').filter(Boolean).sort();
const currentContext = (f: string) => {
  try {
    return kubectl(f, 'config', 'current-context');
  } catch {
    return '(none)';
  }
};
const serverOf = (f: string, cluster: string) => kubectl(f, 'config', 'view', '-o', `jsonpath={.clusters[?(@.name=="${cluster}")].cluster.server}`);

requireTool('kubectl')('kubeconfig merge and unmerge, read back with the real kubectl', () => {
  let dir: string;
  let projectDir: string;
  let home: string;
  let out: string[];
  const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
  const run = (...argv: string[]) => main(argv, projectDir, new CliContext(projectDir, (l) => out.push(l), (l) => out.push(l)));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-kc-'));
    projectDir = path.join(dir, 'project');
    home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.kube'), { recursive: true });
    fs.mkdirSync(path.join(projectDir, '.kubelab'), { recursive: true });
    fs.writeFileSync(labPaths(projectDir).kubeconfig, labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl: 'https://192.168.56.10:6443' }), { mode: 0o600 });
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    out = [];
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('merged with KUBECONFIG=a:b, unmerged later without KUBECONFIG: the entries leave a, the record goes after', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.writeFileSync(a, USER_KUBECONFIG);
    fs.writeFileSync(b, USER_KUBECONFIG);
    process.env.KUBECONFIG = [a, b].join(path.delimiter);
    expect(await run('kubeconfig', '--merge')).toBe(0);
    expect(contexts(a)).toEqual(['kubelab', 'minikube', 'prod']);
    expect(serverOf(a, 'kubelab')).toBe('https://192.168.56.10:6443');
    expect(contexts(b)).toEqual(['minikube', 'prod']);

    delete process.env.KUBECONFIG;
    expect(await run('kubeconfig', '--unmerge')).toBe(0);
    expect(contexts(a)).toEqual(['minikube', 'prod']);
    expect(fs.readFileSync(a, 'utf8')).toBe(USER_KUBECONFIG);
    expect(fs.existsSync(path.join(projectDir, '.kubelab', 'kubeconfig-merged.json'))).toBe(false);
  });

  test('a symlinked ~/.kube/config stays a link; its target gets the entries', async () => {
    const real = path.join(dir, 'dotfiles', 'kubeconfig');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, USER_KUBECONFIG, { mode: 0o600 });
    const link = path.join(home, '.kube', 'config');
    fs.symlinkSync(path.relative(path.dirname(link), real), link);
    expect(await run('kubeconfig', '--merge')).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(contexts(real)).toEqual(['kubelab', 'minikube', 'prod']);
    expect(contexts(link)).toEqual(['kubelab', 'minikube', 'prod']);
    expect(await run('kubeconfig', '--unmerge')).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toBe(USER_KUBECONFIG);
  });

  test('a read-only kubeconfig (0400) is refused in one line and left as it was; nothing is recorded', async () => {
    const file = path.join(home, '.kube', 'config');
    fs.writeFileSync(file, USER_KUBECONFIG);
    fs.chmodSync(file, 0o400);
    expect(await run('kubeconfig', '--merge')).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^kubelab: error: .*config is read-only \(mode 0400\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe(USER_KUBECONFIG);
    expect(fs.existsSync(path.join(projectDir, '.kubelab', 'kubeconfig-merged.json'))).toBe(false);
  });

  test('a read-only ~/.kube is refused in one line, not a stack trace; nothing is recorded', async () => {
    fs.chmodSync(path.join(home, '.kube'), 0o500);
    try {
      expect(await run('kubeconfig', '--merge')).toBe(1);
      expect(out).toEqual([expect.stringMatching(/^kubelab: error: cannot write .*\.kube.config: the folder .*\.kube is read-only \(mode 0500\)/)]);
      expect(await run('kubeconfig')).toBe(0);
      expect(out.join('\n')).toMatch(/lab merged there: no/);
    } finally {
      fs.chmodSync(path.join(home, '.kube'), 0o700);
    }
  });

  test('after `kubectl config use-context kubelab`, unmerge restores the context that was current before', async () => {
    const file = path.join(home, '.kube', 'config');
    fs.writeFileSync(file, USER_KUBECONFIG, { mode: 0o600 });
    expect(await run('kubeconfig', '--merge')).toBe(0);
    expect(currentContext(file)).toBe('prod');
    kubectl(file, 'config', 'use-context', 'kubelab');
    expect(currentContext(file)).toBe('kubelab');
    expect(await run('kubeconfig', '--unmerge')).toBe(0);
    expect(currentContext(file)).toBe('prod');
    expect(contexts(file)).toEqual(['minikube', 'prod']);
  });

  test('merged into a new file, unmerge leaves no dangling current-context', async () => {
    const file = path.join(home, '.kube', 'config');
    expect(await run('kubeconfig', '--merge')).toBe(0);
    expect(currentContext(file)).toBe('kubelab');
    expect(await run('kubeconfig', '--unmerge')).toBe(0);
    expect(currentContext(file)).toBe('(none)');
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/current-context/);
  });

  test('foreign entries keep their layout, also in a file kubectl itself wrote', async () => {
    const file = path.join(home, '.kube', 'config');
    kubectl(file, 'config', 'set-cluster', 'other', '--server=https://10.9.8.7:6443');
    kubectl(file, 'config', 'set-credentials', 'other-admin', '--token=t0k3n');
    kubectl(file, 'config', 'set-context', 'other', '--cluster=other', '--user=other-admin', '--namespace=dev');
    kubectl(file, 'config', 'use-context', 'other');
    const written = fs.readFileSync(file, 'utf8');
    expect(await run('kubeconfig', '--merge')).toBe(0);
    const merged = fs.readFileSync(file, 'utf8');
    for (const line of written.split('\n')) expect(merged.split('\n')).toContain(line);
    expect(contexts(file)).toEqual(['kubelab', 'other']);
    expect(await run('kubeconfig', '--unmerge')).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(written);
  });

  test('one verb: kubeconfig --remove does what Terraform\'s k3s kubeconfig --remove does; alone, it says where things are', async () => {
    const a = path.join(dir, 'a');
    fs.writeFileSync(a, USER_KUBECONFIG);
    process.env.KUBECONFIG = a;
    expect(await run('kubeconfig', '--merge')).toBe(0);
    out = [];
    expect(await run('kubeconfig')).toBe(0);
    expect(out).toEqual([`lab kubeconfig: ${labPaths(projectDir).kubeconfig}`, expect.stringMatching(/; lab merged there: yes \(npx kubelab kubeconfig --merge, or --unmerge\)$/)]);
    expect(await run('kubeconfig', '--remove', '--lab', 'kubelab')).toBe(0);
    expect(contexts(a)).toEqual(['minikube', 'prod']);
    expect(fs.existsSync(labPaths(projectDir).kubeconfig)).toBe(false);
    out = [];
    expect(await run('kubeconfig')).toBe(0);
    expect(out[0]).toBe(`lab kubeconfig: ${labPaths(projectDir).kubeconfig} (not fetched yet: npx kubelab kubeconfig --fetch)`);
  });

  test('an unmerge that cannot write keeps the record, so a later unmerge still finds the file', async () => {
    const a = path.join(dir, 'a');
    fs.writeFileSync(a, USER_KUBECONFIG);
    process.env.KUBECONFIG = a;
    expect(await run('kubeconfig', '--merge')).toBe(0);
    fs.chmodSync(a, 0o400);
    delete process.env.KUBECONFIG;
    expect(await run('k3s', 'kubeconfig', '--remove', '--lab', 'kubelab')).toBe(1);
    expect(out.at(-1)).toMatch(/read-only/);
    expect(contexts(a)).toContain('kubelab');
    fs.chmodSync(a, 0o600);
    expect(await run('k3s', 'kubeconfig', '--remove', '--lab', 'kubelab')).toBe(0);
    expect(contexts(a)).toEqual(['minikube', 'prod']);
  });
});

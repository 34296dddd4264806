import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { CliContext } from '../../cli/context';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { mergeKubeconfigText, mergeLabIntoUserKubeconfig, unmergeKubeconfigText, unmergeLabFromUserKubeconfig, userKubeconfigPath } from '../../cli/kubeconfig/merge';
import { main } from '../../cli/main';
import { labPaths } from '../../config/paths';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';

type Entry = { name: string; [k: string]: unknown };
type Kubeconfig = { clusters: Entry[]; contexts: Entry[]; users: Entry[]; 'current-context'?: string };

/** A user's own kubeconfig with two other clusters, as kubectl and minikube write them. */
const USER_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: cHJvZC1jYQ==
  name: prod
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

const lab = (serverUrl = 'https://192.168.56.10:6443') => labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl });
const theirs = (kc: Kubeconfig) => ({
  clusters: kc.clusters.filter((e) => e.name !== 'kubelab'),
  contexts: kc.contexts.filter((e) => e.name !== 'kubelab'),
  users: kc.users.filter((e) => e.name !== 'kubelab'),
});

describe('lab kubeconfig from k3s.yaml', () => {
  test('server URL rewritten to the server IP; cluster, context and user renamed to the lab', () => {
    const kc = parse(lab()) as Kubeconfig;
    expect(kc.clusters).toEqual([{ name: 'kubelab', cluster: { 'certificate-authority-data': 'c3RhbmQtaW4tY2E=', server: 'https://192.168.56.10:6443' } }]);
    expect(kc.contexts).toEqual([{ name: 'kubelab', context: { cluster: 'kubelab', user: 'kubelab' } }]);
    expect(kc.users.map((u) => u.name)).toEqual(['kubelab']);
    expect(kc['current-context']).toBe('kubelab');
  });

  test('a k3s.yaml that is not what K3s writes is refused with the reason', () => {
    expect(() => labKubeconfigFromK3s(USER_KUBECONFIG, { name: 'kubelab', serverUrl: 'https://x:6443' })).toThrow(/exactly one entry named "default" in clusters .*found 2/);
    expect(() => labKubeconfigFromK3s('clusters: [', { name: 'kubelab', serverUrl: 'https://x:6443' })).toThrow(/not valid YAML/);
  });
});

describe('which kubeconfig is the user\'s', () => {
  test('first entry of KUBECONFIG, split by the platform delimiter; else ~/.kube/config', () => {
    expect(userKubeconfigPath({ KUBECONFIG: '/a/config:/b/config' }, '/home/me', ':')).toBe('/a/config');
    expect(userKubeconfigPath({ KUBECONFIG: 'C:\\Users\\me\\.kube\\lab;D:\\other' }, 'C:\\Users\\me', ';')).toBe('C:\\Users\\me\\.kube\\lab');
    expect(userKubeconfigPath({ KUBECONFIG: '' }, '/home/me', ':')).toBe(path.join('/home/me', '.kube', 'config'));
    expect(userKubeconfigPath({}, '/home/me', ':')).toBe(path.join('/home/me', '.kube', 'config'));
  });
});

describe('merge and unmerge on real kubeconfig files', () => {
  let dir: string;
  let projectDir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-kc-'));
    projectDir = path.join(dir, 'project');
    fs.mkdirSync(path.join(projectDir, '.kubelab'), { recursive: true });
    fs.writeFileSync(labPaths(projectDir).kubeconfig, lab(), { mode: 0o600 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('merge keeps every other entry and the current context, writes a backup first; re-merge replaces only the lab', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, USER_KUBECONFIG, { mode: 0o640 });
    const paths = labPaths(projectDir);
    const first = mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    expect(first.changed).toBe(true);
    expect(fs.readFileSync(first.backup!, 'utf8')).toBe(USER_KUBECONFIG);
    const merged = parse(fs.readFileSync(file, 'utf8')) as Kubeconfig;
    expect(theirs(merged)).toEqual(theirs(parse(USER_KUBECONFIG) as Kubeconfig));
    expect(merged['current-context']).toBe('prod');
    expect(merged.clusters.find((c) => c.name === 'kubelab')).toEqual({ name: 'kubelab', cluster: { 'certificate-authority-data': 'c3RhbmQtaW4tY2E=', server: 'https://192.168.56.10:6443' } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);

    expect(mergeLabIntoUserKubeconfig(paths, 'kubelab', file).changed).toBe(false);

    fs.writeFileSync(paths.kubeconfig, lab('https://192.168.56.20:6443'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    const remerged = parse(fs.readFileSync(file, 'utf8')) as Kubeconfig;
    expect(remerged.clusters.filter((c) => c.name === 'kubelab')).toHaveLength(1);
    expect(remerged.clusters.find((c) => c.name === 'kubelab')!.cluster).toMatchObject({ server: 'https://192.168.56.20:6443' });
    expect(theirs(remerged)).toEqual(theirs(parse(USER_KUBECONFIG) as Kubeconfig));
    expect(fs.readdirSync(dir).filter((f) => f.includes('.kubelab-backup-')).length).toBeGreaterThanOrEqual(1);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const un = unmergeLabFromUserKubeconfig(paths, 'kubelab', file);
    expect(un.changed).toBe(true);
    const after = parse(fs.readFileSync(file, 'utf8')) as Kubeconfig;
    expect(after).toEqual(parse(USER_KUBECONFIG));
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab', file).changed).toBe(false);
  });

  test('merge into a missing file creates it 0600 with the lab as current context', () => {
    const file = path.join(dir, 'new', 'config');
    mergeLabIntoUserKubeconfig(labPaths(projectDir), 'kubelab', file);
    const kc = parse(fs.readFileSync(file, 'utf8')) as Kubeconfig;
    expect(kc['current-context']).toBe('kubelab');
    expect(kc.contexts.map((c) => c.name)).toEqual(['kubelab']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('unmerge when the lab is the current context drops current-context (none was set before) and keeps the rest', () => {
    const text = mergeKubeconfigText(undefined, lab(), 'kubelab', 'x');
    expect((parse(text) as Kubeconfig)['current-context']).toBe('kubelab');
    const { text: after, removed } = unmergeKubeconfigText(text, 'kubelab', 'x');
    expect(removed).toBe(3);
    expect(parse(after)).toEqual({ apiVersion: 'v1', kind: 'Config', preferences: {}, clusters: [], contexts: [], users: [] });
  });

  test('CLI: `kubeconfig --merge` writes the first file of a KUBECONFIG list and leaves the others alone; `k3s kubeconfig --remove` undoes it', async () => {
    const first = path.join(dir, 'first');
    const second = path.join(dir, 'second');
    fs.writeFileSync(first, USER_KUBECONFIG);
    fs.writeFileSync(second, USER_KUBECONFIG);
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = `${first}${path.delimiter}${second}`;
    const out: string[] = [];
    const run = (...argv: string[]) => main(argv, projectDir, new CliContext(projectDir, (l) => out.push(l), (l) => out.push(l)));
    try {
      expect(await run('kubeconfig', '--merge')).toBe(0);
      expect(out.join('\n')).toContain(`merged the lab entries into ${first} (backup: ${first}.kubelab-backup-`);
      expect((parse(fs.readFileSync(first, 'utf8')) as Kubeconfig).contexts.map((c) => c.name)).toEqual(['prod', 'minikube', 'kubelab']);
      expect(fs.readFileSync(second, 'utf8')).toBe(USER_KUBECONFIG);

      expect(await run('k3s', 'kubeconfig', '--remove', '--lab', 'kubelab')).toBe(0);
      expect(parse(fs.readFileSync(first, 'utf8'))).toEqual(parse(USER_KUBECONFIG));
      expect(fs.existsSync(labPaths(projectDir).kubeconfig)).toBe(false);
      expect(await run('k3s', 'kubeconfig', '--remove', '--lab', 'kubelab')).toBe(0);
      expect(out.join('\n')).toMatch(/does not exist; nothing to delete/);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});

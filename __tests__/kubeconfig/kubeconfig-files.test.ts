import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseDocument } from 'yaml';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { mergeKubeconfigText, mergeLabIntoUserKubeconfig, mergeRecord, mergedInto, replaceKubeconfigFile, resolveKubeconfigTarget, unmergeLabFromUserKubeconfig, userKubeconfigPath } from '../../cli/kubeconfig/merge';
import { labPaths } from '../../config/paths';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';

const lab = () => labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl: 'https://192.168.56.10:6443' });

describe('a k3s.yaml kubelab cannot use is refused in one line that says why', () => {
  const from = (text: string) => () => labKubeconfigFromK3s(text, { name: 'kubelab', serverUrl: 'https://x:6443' });
  test('not YAML: the first line of the parser\'s message, naming the file', () => {
    const text = 'clusters: [\n  a: b\n';
    const yamlSays = parseDocument(text).errors[0].message.split('\n');
    expect(yamlSays.length).toBeGreaterThan(1);
    expect(from(text)).toThrow(new Error(`the server's /etc/rancher/k3s/k3s.yaml is not valid YAML: ${yamlSays[0]}`));
  });
  test('not a mapping at the top', () => {
    expect(from('- a\n- b\n')).toThrow("the server's /etc/rancher/k3s/k3s.yaml is not a kubeconfig (its top level is not a mapping)");
  });
  test.each([
    ['a section missing', K3S_STYLE_KUBECONFIG.replace(/^users:[\s\S]*$/m, ''), 'in users (as K3s writes it); found 0'],
    ['an entry not named default', K3S_STYLE_KUBECONFIG.replace('  name: default\ncontexts', '  name: other\ncontexts'), 'in clusters (as K3s writes it); found 1'],
  ])('%s', (_, text, said) => {
    expect(from(text)).toThrow(`should hold exactly one entry named "default" ${said}. Was the file edited on the node?`);
  });
});

describe('merging into kubeconfig files', () => {
  let dir: string;
  let paths: ReturnType<typeof labPaths>;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-kcfiles-'));
    paths = labPaths(path.join(dir, 'project'));
    fs.mkdirSync(paths.stateDir, { recursive: true });
    fs.writeFileSync(paths.kubeconfig, lab(), { mode: 0o600 });
  });
  afterEach(() => {
    for (const p of [dir, path.join(dir, 'ro')]) if (fs.existsSync(p)) fs.chmodSync(p, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('KUBECONFIG entries that are empty or blank name no file and are skipped', () => {
    expect(userKubeconfigPath({ KUBECONFIG: '::/b/config:/c' }, '/home/me', ':')).toBe('/b/config');
    expect(userKubeconfigPath({ KUBECONFIG: ' :/b/config' }, '/home/me', ':')).toBe('/b/config');
    expect(userKubeconfigPath({ KUBECONFIG: ': :' }, '/home/me', ':')).toBe(path.join('/home/me', '.kube', 'config'));
  });

  test('a symlinked kubeconfig: the file it points to is written (through a chain, or to a target not there yet), the link stays', () => {
    const real = path.join(dir, 'real-config');
    fs.symlinkSync(real, path.join(dir, 'link1'));
    fs.symlinkSync('link1', path.join(dir, 'link2'));
    expect(resolveKubeconfigTarget(path.join(dir, 'link2'))).toBe(real);
    expect(resolveKubeconfigTarget(real)).toBe(real);
    expect(mergeLabIntoUserKubeconfig(paths, 'kubelab', path.join(dir, 'link2')).file).toBe(real);
    expect(fs.lstatSync(path.join(dir, 'link2')).isSymbolicLink()).toBe(true);
    expect((parse(fs.readFileSync(real, 'utf8')) as { 'current-context': string })['current-context']).toBe('kubelab');
    expect(mergedInto(paths)).toBe(real);
  });

  test('a symlink loop is refused, naming the file', () => {
    fs.symlinkSync(path.join(dir, 'b'), path.join(dir, 'a'));
    fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    expect(() => resolveKubeconfigTarget(path.join(dir, 'a'))).toThrow(`${path.join(dir, 'a')}: too many levels of symbolic links`);
  });

  test('a read-only kubeconfig or folder is refused before anything is written, with the mode and the fix', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
    fs.chmodSync(file, 0o444);
    expect(() => mergeLabIntoUserKubeconfig(paths, 'kubelab', file)).toThrow(`${file} is read-only (mode 0444); make it writable (chmod u+w) or point KUBECONFIG at another file first`);
    expect(mergeRecord(paths)).toBeUndefined();
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro, { mode: 0o555 });
    fs.chmodSync(ro, 0o555);
    expect(() => mergeLabIntoUserKubeconfig(paths, 'kubelab', path.join(ro, 'sub', 'config'))).toThrow(
      `cannot write ${path.join(ro, 'sub', 'config')}: the folder ${ro} is read-only (mode 0555); make it writable or point KUBECONFIG at another file first`,
    );
    fs.symlinkSync(file, path.join(dir, 'link'));
    expect(() => mergeLabIntoUserKubeconfig(paths, 'kubelab', path.join(dir, 'link'))).toThrow(`${path.join(dir, 'link')} (-> ${file}) is read-only`);
  });

  test('a replaced kubeconfig keeps its mode and leaves a backup of the old one, named by the time, with the same mode', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, 'old\n');
    fs.chmodSync(file, 0o640);
    const { backup } = replaceKubeconfigFile(file, 'new\n', new Date('2026-01-02T03:04:05.678Z'));
    expect(backup).toBe(`${file}.kubelab-backup-2026-01-02T03-04-05-678Z`);
    expect(fs.readFileSync(backup!, 'utf8')).toBe('old\n');
    expect(fs.statSync(backup!).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    const fresh = path.join(dir, 'deep', 'er', 'config');
    expect(replaceKubeconfigFile(fresh, 'x\n').backup).toBeUndefined();
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('merged into one file, then into another: the lab leaves the first file', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    mergeLabIntoUserKubeconfig(paths, 'kubelab', a);
    mergeLabIntoUserKubeconfig(paths, 'kubelab', b);
    expect(parse(fs.readFileSync(a, 'utf8'))).toEqual({ apiVersion: 'v1', kind: 'Config', preferences: {}, clusters: [], contexts: [], users: [] });
    expect(mergedInto(paths)).toBe(b);
  });

  test('unmerge of a file that is gone, or no longer has the lab, forgets the record; a broken record is refused with the way out', () => {
    const file = path.join(dir, 'config');
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    fs.rmSync(file);
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab')).toEqual({ file, changed: false });
    expect(mergeRecord(paths)).toBeUndefined();
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab', undefined, true)).toEqual({ file, changed: false });
    expect(mergedInto(paths)).toBe(file);
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab')).toEqual({ file, changed: false });
    expect(mergeRecord(paths)).toBeUndefined();
    fs.writeFileSync(path.join(paths.stateDir, 'kubeconfig-merged.json'), '{');
    expect(() => mergeRecord(paths)).toThrow(/kubeconfig-merged\.json cannot be read \(.+\); delete it and merge again: npx kubelab kubeconfig --merge$/);
  });

  test('the lab kubeconfig without one of its entries is refused with the way to fetch it again', () => {
    const broken = lab().replace(/^users:[\s\S]*$/m, '');
    expect(() => mergeKubeconfigText(undefined, broken, 'kubelab', 'x')).toThrow('the lab kubeconfig has no users entry named kubelab; fetch it again: npx kubelab k3s kubeconfig');
  });

  test("the file keeps its list style: kubectl's unindented lists stay unindented, indented ones stay indented, long lines unfolded", () => {
    const long = `https://${'a'.repeat(120)}.example.com:6443`;
    const flat = `apiVersion: v1\nclusters:\n- cluster:\n    server: ${long}\n  name: other\ncontexts: []\nusers: []\n`;
    const merged = mergeKubeconfigText(flat, lab(), 'kubelab', 'x');
    expect(merged).toMatch(/^clusters:\n- cluster:/m);
    expect(merged).toContain(`server: ${long}\n`);
    const indented = flat.replace('clusters:\n- cluster:\n    server', 'clusters:\n  - cluster:\n      server').replace('  name: other', '    name: other');
    expect(mergeKubeconfigText(indented, lab(), 'kubelab', 'x')).toMatch(/^clusters:\n {2}- cluster:/m);
    expect(mergeKubeconfigText('contexts:\n- context: {cluster: a, user: a}\n  name: a\n', lab(), 'kubelab', 'x')).toContain('- context: {cluster: a, user: a}\n');
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import * as fileLock from '../../cli/file-lock';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { mergeKubeconfigText, mergeLabIntoUserKubeconfig, mergeRecord, resolveKubeconfigTarget, unmergeKubeconfigText, unmergeLabFromUserKubeconfig } from '../../cli/kubeconfig/merge';
import { labPaths } from '../../config/paths';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';

/* The edges of merge and unmerge that decide what a user's kubeconfig holds afterwards (issue 21). */

// The module object itself (not this file's import of it), so that a spy is what the code under test calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs: typeof fs = require('fs');

const lab = (server = 'https://192.168.56.10:6443') => labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl: server });
type Kc = { clusters: { name: string; cluster: { server: string } }[]; contexts: { name: string }[]; users: { name: string }[]; 'current-context'?: string };
const read = (file: string) => parse(fs.readFileSync(file, 'utf8')) as Kc;
const names = (kc: Kc) => ({ clusters: kc.clusters.map((e) => e.name), contexts: kc.contexts.map((e) => e.name), users: kc.users.map((e) => e.name) });

/** A user's own kubeconfig, as kubectl writes one (unindented lists), with contexts `prod` and `minikube`. */
const userKubeconfig = (current: string) =>
  [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    '    server: https://prod.example.com:6443',
    '  name: prod',
    '- cluster:',
    '    server: https://192.168.49.2:8443',
    '  name: minikube',
    'contexts:',
    '- context:',
    '    cluster: prod',
    '    user: prod',
    '  name: prod',
    '- context:',
    '    cluster: minikube',
    '    user: minikube',
    '  name: minikube',
    `current-context: ${current}`,
    'kind: Config',
    'users:',
    '- name: prod',
    '  user:',
    '    token: not-a-real-token',
    '- name: minikube',
    '  user:',
    '    token: not-a-real-token',
    '',
  ].join('\n');

let dir: string;
let paths: ReturnType<typeof labPaths>;
const recordFile = () => path.join(paths.stateDir, 'kubeconfig-merged.json');
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-merge-edges-'));
  paths = labPaths(path.join(dir, 'project'));
  fs.mkdirSync(paths.stateDir, { recursive: true });
  fs.writeFileSync(paths.kubeconfig, lab(), { mode: 0o600 });
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const f of fs.readdirSync(dir)) if (fs.lstatSync(path.join(dir, f)).isFile()) fs.chmodSync(path.join(dir, f), 0o600);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('which file is written', () => {
  (process.platform === 'linux' ? test : test.skip)('a chain of symlinks is followed as far as Linux follows one (40 links), and refused where Linux says ELOOP', () => {
    fs.writeFileSync(path.join(dir, 'real'), '');
    for (const n of [40, 41]) {
      for (let i = n; i >= 1; i--) fs.symlinkSync(i === n ? 'real' : `c${n}-${i + 1}`, path.join(dir, `c${n}-${i}`));
    }
    expect(fs.statSync(path.join(dir, 'c40-1')).isFile()).toBe(true);
    expect(resolveKubeconfigTarget(path.join(dir, 'c40-1'))).toBe(path.join(dir, 'real'));
    expect(() => fs.statSync(path.join(dir, 'c41-1'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(() => resolveKubeconfigTarget(path.join(dir, 'c41-1'))).toThrow(`${path.join(dir, 'c41-1')}: too many levels of symbolic links`);
  });

  test('no lab kubeconfig yet: refused with the command that fetches it, and nothing written', () => {
    fs.rmSync(paths.kubeconfig);
    const file = path.join(dir, 'config');
    expect(() => mergeLabIntoUserKubeconfig(paths, 'kubelab', file)).toThrow(`The lab kubeconfig ${paths.kubeconfig} does not exist yet; run: npx kubelab k3s kubeconfig (the k3s stack does)`);
    expect(fs.existsSync(file)).toBe(false);
    expect(mergeRecord(paths)).toBeUndefined();
  });
});

describe('merging', () => {
  test('a lab kubeconfig that is not YAML is named as such', () => {
    expect(() => mergeKubeconfigText(undefined, 'clusters: [', 'kubelab', 'x')).toThrow(/^the lab kubeconfig is not valid YAML: /);
  });

  test("only the lab's own entries are taken from the lab kubeconfig", () => {
    const withOthers = parse(lab());
    for (const section of ['clusters', 'contexts', 'users']) withOthers[section].unshift({ ...withOthers[section][0], name: 'stray' });
    const merged = parse(mergeKubeconfigText(userKubeconfig('prod'), stringify(withOthers), 'kubelab', 'x')) as Kc;
    expect(names(merged)).toEqual({ clusters: ['prod', 'minikube', 'kubelab'], contexts: ['prod', 'minikube', 'kubelab'], users: ['prod', 'minikube', 'kubelab'] });
  });

  test("the lab's entries first in the file: a re-merge replaces them in place", () => {
    const file = path.join(dir, 'config');
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    fs.writeFileSync(paths.kubeconfig, lab('https://192.168.56.20:6443'));
    expect(mergeLabIntoUserKubeconfig(paths, 'kubelab', file).changed).toBe(true);
    const kc = read(file);
    expect(names(kc)).toEqual({ clusters: ['kubelab'], contexts: ['kubelab'], users: ['kubelab'] });
    expect(kc.clusters[0].cluster.server).toBe('https://192.168.56.20:6443');
  });

  test("a lab entry the user annotated but did not change is left as written: no rewrite, no backup", () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, userKubeconfig('prod'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    const annotated = fs.readFileSync(file, 'utf8').replace(/^(- cluster:\n    certificate-authority-data)/m, '# the lab, see the course notes\n$1');
    expect(annotated).toContain('# the lab');
    fs.writeFileSync(file, annotated);
    const backups = () => fs.readdirSync(dir).filter((f) => f.includes('.kubelab-backup-'));
    const before = backups();
    expect(mergeLabIntoUserKubeconfig(paths, 'kubelab', file)).toEqual({ file, changed: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(annotated);
    expect(backups()).toEqual(before);
  });

  test("kubectl's unindented lists stay so when a nested list was indented by hand; an indented list after `key: ` (trailing blank) stays indented", () => {
    const mixed = 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://a:6443\n    extensions:\n      - name: x\n        extension: {}\n  name: a\ncontexts: []\nusers: []\n';
    expect(mergeKubeconfigText(mixed, lab(), 'kubelab', 'x')).toMatch(/^clusters:\n- cluster:/m);
    const indentedTrailing = 'apiVersion: v1\nclusters: \n  - cluster:\n      server: https://a:6443\n    name: a\ncontexts: []\nusers: []\n';
    expect(mergeKubeconfigText(indentedTrailing, lab(), 'kubelab', 'x')).toMatch(/^clusters:\n {2}- cluster:/m);
  });

  test('merged into one file, then into another: unmerge restores the context that was current in the second one', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.writeFileSync(a, userKubeconfig('prod'));
    fs.writeFileSync(b, userKubeconfig('minikube'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', a);
    mergeLabIntoUserKubeconfig(paths, 'kubelab', b);
    const kc = read(b);
    kc['current-context'] = 'kubelab';
    fs.writeFileSync(b, stringify(kc));
    unmergeLabFromUserKubeconfig(paths, 'kubelab');
    expect(read(b)['current-context']).toBe('minikube');
  });

  test('the temp file that replaces a kubeconfig holds its secrets with the final mode from the start (no moment with the umask mode)', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, userKubeconfig('prod'), { mode: 0o600 });
    const modes: number[] = [];
    const chmod = realFs.chmodSync;
    jest.spyOn(realFs, 'chmodSync').mockImplementation((p, m) => {
      if (String(p).startsWith(`${file}.kubelab-`) && String(p).endsWith('.tmp')) modes.push(realFs.statSync(p).mode & 0o777);
      chmod(p, m);
    });
    const umask = process.umask(0o022);
    try {
      mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    } finally {
      process.umask(umask);
    }
    expect(modes).toEqual([0o600]);
  });
});

describe('unmerging', () => {
  test('removed counts the entries that went, beside the ones that stay', () => {
    const merged = mergeKubeconfigText(userKubeconfig('prod'), lab(), 'kubelab', 'x');
    expect(unmergeKubeconfigText(merged, 'kubelab', 'x').removed).toBe(3);
  });

  test('a file without the lab (and the lab not current) comes back byte for byte, however it is laid out', () => {
    const fourSpaces = 'apiVersion: v1\nclusters:\n-   cluster:\n        server: "https://a:6443"\n    name: a\ncontexts: []\ncurrent-context: a\nusers: []\n';
    expect(unmergeKubeconfigText(fourSpaces, 'kubelab', 'x')).toEqual({ text: fourSpaces, removed: 0 });
  });

  test('a read-only kubeconfig that no longer holds the lab: nothing to write, so no refusal, and the record is forgotten', () => {
    const file = path.join(dir, 'config');
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    fs.writeFileSync(file, userKubeconfig('prod'));
    fs.chmodSync(file, 0o444);
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab')).toEqual({ file, changed: false });
    expect(mergeRecord(paths)).toBeUndefined();
    expect(fs.readFileSync(file, 'utf8')).toBe(userKubeconfig('prod'));
  });

  test('an unmerge from another file than the recorded one keeps the record of the recorded one', () => {
    const recorded = path.join(dir, 'recorded');
    const other = path.join(dir, 'other');
    mergeLabIntoUserKubeconfig(paths, 'kubelab', recorded);
    fs.copyFileSync(recorded, other);
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab', other).changed).toBe(true);
    expect(mergeRecord(paths)?.file).toBe(recorded);
  });

  test('another unmerge that forgot the record first (two at once) does not make this one fail', () => {
    const file = path.join(dir, 'config');
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    const rename = realFs.renameSync;
    jest.spyOn(realFs, 'renameSync').mockImplementation((from, to) => {
      rename(from, to);
      realFs.rmSync(recordFile(), { force: true }); // the other unmerge, done in the meantime
    });
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab').changed).toBe(true);
    expect(mergeRecord(paths)).toBeUndefined();
  });

  test('another process unmerged between the look and the lock: nothing is written, and it says unchanged', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, userKubeconfig('prod'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    const lock = fileLock.withFileLockSync;
    jest.spyOn(fileLock, 'withFileLockSync').mockImplementation((f, fn, opts) => {
      fs.writeFileSync(file, userKubeconfig('prod')); // the other process's unmerge, done before this one got the lock
      return lock(f, fn, opts);
    });
    const backups = () => fs.readdirSync(dir).filter((f) => f.includes('.kubelab-backup-')).length;
    const before = backups();
    expect(unmergeLabFromUserKubeconfig(paths, 'kubelab')).toEqual({ file, changed: false });
    expect(backups()).toBe(before);
    expect(mergeRecord(paths)).toBeUndefined();
  });
});

// A file or folder with its owner's write bit set that this user still may not write: another user's. Only
// a user other than the owner of this repository's files (as `npm run test:mutation` runs the tests) can see it.
const othersFile = __filename;
const othersFolder = __dirname;
const cannotWrite = (p: string) => {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return false;
  } catch {
    return true;
  }
};
(cannotWrite(othersFile) && cannotWrite(othersFolder) ? describe : describe.skip)("another user's kubeconfig or folder (run as a user who does not own this repository)", () => {
  test('refused before anything is written, saying whose it is', () => {
    const { mode, uid } = fs.statSync(othersFile);
    expect(mode & 0o200).not.toBe(0);
    const text = fs.readFileSync(othersFile, 'utf8');
    expect(() => mergeLabIntoUserKubeconfig(paths, 'kubelab', othersFile)).toThrow(
      `${othersFile} is not writable by this user (mode ${(mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${uid}); point KUBECONFIG at a file of your own first`,
    );
    expect(fs.readFileSync(othersFile, 'utf8')).toBe(text);
    const inFolder = path.join(othersFolder, 'no-such-dir', 'config');
    const folder = fs.statSync(othersFolder);
    expect(() => mergeLabIntoUserKubeconfig(paths, 'kubelab', inFolder)).toThrow(
      `cannot write ${inFolder}: the folder ${othersFolder} is not writable by this user (mode ${(folder.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${folder.uid}); point KUBECONFIG at a file of your own first`,
    );
    expect(mergeRecord(paths)).toBeUndefined();
  });
});

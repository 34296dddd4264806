import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMap, YAMLSeq } from 'yaml';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { KUBECONFIG_SECTIONS, parseKubeconfig, sectionOf } from './lab-kubeconfig';

/**
 * The user's kubeconfig, as kubectl picks the file it writes: the first entry of the
 * KUBECONFIG list (entries split by ';' on Windows, ':' elsewhere), else ~/.kube/config.
 */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir(), delimiter = path.delimiter): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p.trim() !== '');
  return first ?? path.join(home, '.kube', 'config');
}

/** Records which file the lab was merged into, so `k3s kubeconfig --remove` and a re-fetch know. */
function mergeRecordPath(paths: LabPaths): string {
  return path.join(paths.stateDir, 'kubeconfig-merged.json');
}

export function mergedInto(paths: LabPaths): string | undefined {
  const record = mergeRecordPath(paths);
  return fs.existsSync(record) ? (JSON.parse(fs.readFileSync(record, 'utf8')) as { file: string }).file : undefined;
}

/**
 * The user's kubeconfig with the lab's cluster, context and user (entries named after the
 * lab) replaced by those of `labText`; every other entry is kept as it was. Sets
 * current-context to the lab only when the file had none.
 */
export function mergeKubeconfigText(userText: string | undefined, labText: string, labName: string, userFile: string): string {
  const user = parseKubeconfig(userText ?? '', userFile);
  const lab = parseKubeconfig(labText, 'the lab kubeconfig');
  if (user.contents === null) {
    user.contents = user.createNode({ apiVersion: 'v1', kind: 'Config', preferences: {}, clusters: [], contexts: [], users: [] }) as never;
  }
  for (const section of KUBECONFIG_SECTIONS) {
    const own = sectionOf(lab, section)?.items.filter((e) => e.get('name') === labName) ?? [];
    if (own.length !== 1) throw new KubelabError(`the lab kubeconfig has no ${section} entry named ${labName}; fetch it again: kubelab k3s kubeconfig`);
    let target = sectionOf(user, section);
    if (!target) {
      target = new YAMLSeq();
      user.set(section, target);
    }
    const at = target.items.findIndex((e) => isMap(e) && e.get('name') === labName);
    const entry = user.createNode(own[0].toJSON());
    if (at >= 0) target.items[at] = entry as never;
    else target.items.push(entry as never);
  }
  if (!user.get('current-context')) user.set('current-context', labName);
  return user.toString();
}

/** The user's kubeconfig without the lab's entries; `removed` counts them. */
export function unmergeKubeconfigText(userText: string, labName: string, userFile: string): { text: string; removed: number } {
  const user = parseKubeconfig(userText, userFile);
  let removed = 0;
  for (const section of KUBECONFIG_SECTIONS) {
    const target = sectionOf(user, section);
    if (!target) continue;
    const before = target.items.length;
    target.items = target.items.filter((e) => !(isMap(e) && e.get('name') === labName));
    removed += before - target.items.length;
  }
  if (user.get('current-context') === labName) user.set('current-context', '');
  return { text: user.toString(), removed };
}

/**
 * Replaces a kubeconfig without ever leaving half a file: a timestamped backup of the old
 * one first, then write to a temp file beside it and rename. Keeps the old file's mode (0600 for a new one).
 */
export function replaceKubeconfigFile(file: string, text: string, now = new Date()): { backup?: string } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let backup: string | undefined;
  let mode = 0o600;
  if (fs.existsSync(file)) {
    mode = fs.statSync(file).mode & 0o777;
    backup = `${file}.kubelab-backup-${now.toISOString().replace(/[:.]/g, '-')}`;
    fs.copyFileSync(file, backup);
    fs.chmodSync(backup, mode);
  }
  const tmp = `${file}.kubelab-${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
  return { backup };
}

export interface MergeOutcome {
  readonly file: string;
  readonly changed: boolean;
  readonly backup?: string;
}

/** `kubelab kubeconfig --merge`: the lab's entries into the user's kubeconfig. */
export function mergeLabIntoUserKubeconfig(paths: LabPaths, labName: string, file = userKubeconfigPath()): MergeOutcome {
  if (!fs.existsSync(paths.kubeconfig)) {
    throw new KubelabError(`The lab kubeconfig ${paths.kubeconfig} does not exist yet; run: kubelab k3s kubeconfig (cdktf deploy k3s does)`);
  }
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const after = mergeKubeconfigText(before, fs.readFileSync(paths.kubeconfig, 'utf8'), labName, file);
  fs.writeFileSync(mergeRecordPath(paths), `${JSON.stringify({ file })}\n`, { mode: 0o600 });
  if (after === before) return { file, changed: false };
  return { file, changed: true, ...replaceKubeconfigFile(file, after) };
}

/**
 * `kubelab kubeconfig --unmerge`: removes only the lab's entries from the user's kubeconfig.
 * With keepRecord the lab stays marked as merged there, so the next fetch merges it back
 * (the kubeconfig step being replaced, not the user changing their mind).
 */
export function unmergeLabFromUserKubeconfig(paths: LabPaths, labName: string, file = userKubeconfigPath(), keepRecord = false): MergeOutcome {
  if (!keepRecord) fs.rmSync(mergeRecordPath(paths), { force: true });
  if (!fs.existsSync(file)) return { file, changed: false };
  const before = fs.readFileSync(file, 'utf8');
  const { text, removed } = unmergeKubeconfigText(before, labName, file);
  if (removed === 0) return { file, changed: false };
  return { file, changed: true, ...replaceKubeconfigFile(file, text) };
}

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Document, isMap, YAMLSeq } from 'yaml';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { withFileLockSync } from '../file-lock';
import { writeSecretFile } from '../state-dir';
import { KUBECONFIG_SECTIONS, parseKubeconfig, sectionOf } from './lab-kubeconfig';

/**
 * The user's kubeconfig, as kubectl picks the file it writes: the first entry of the
 * KUBECONFIG list (entries split by ';' on Windows, ':' elsewhere), else ~/.kube/config,
 * where ~ is HOME when set, else the OS's home (kubectl prefers HOME too: client-go util/homedir, unverified).
 */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env, home = env.HOME || os.homedir(), delimiter = path.delimiter): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p.trim() !== '');
  return first ?? path.join(home, '.kube', 'config');
}

/** What `kubeconfig --merge` remembers, so unmerge works on the same file whatever KUBECONFIG says later. */
export interface MergeRecord {
  /** The file the entries were written to (a symlink already resolved). */
  readonly file: string;
  /** The file's current-context before the lab was merged; restored by unmerge when the lab is still current. */
  readonly previousContext?: string;
}

function mergeRecordPath(paths: LabPaths): string {
  return path.join(paths.stateDir, 'kubeconfig-merged.json');
}

export function mergeRecord(paths: LabPaths): MergeRecord | undefined {
  const record = mergeRecordPath(paths);
  if (!fs.existsSync(record)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(record, 'utf8')) as MergeRecord;
  } catch (err) {
    throw new KubelabError(`${record} cannot be read (${(err as Error).message}); delete it and merge again: npx kubelab kubeconfig --merge`);
  }
}

/** The file the lab was merged into, if it was. */
export function mergedInto(paths: LabPaths): string | undefined {
  return mergeRecord(paths)?.file;
}

/**
 * The file a write to `file` really changes: a symlink (also a chain, or one whose target is
 * missing) is followed, up to 40 links as Linux does (MAXSYMLINKS, include/linux/namei.h; more is ELOOP).
 */
export function resolveKubeconfigTarget(file: string): string {
  let at = path.resolve(file);
  for (let followed = 0; ; followed++) {
    let link: string;
    try {
      link = fs.readlinkSync(at);
    } catch {
      return at; // not a symlink (EINVAL), or not there yet (ENOENT)
    }
    if (followed === 40) throw new KubelabError(`${file}: too many levels of symbolic links`);
    at = path.resolve(path.dirname(at), link);
  }
}

/** Serializes like the file was written: kubectl's unindented lists and `{a: b}` flow maps, no line folding. */
function render(doc: Document, originalText: string | undefined): string {
  // Stryker disable next-line StringLiteral: no text has no list whose style to keep; any text without a "key:" line followed by an indented "- " reads the same
  const indentSeq = /^[^\s#][^\n]*:[ \t]*\r?\n[ \t]+- /m.test(originalText ?? '');
  return doc.toString({ indentSeq, flowCollectionPadding: false, lineWidth: 0 });
}

/**
 * The user's kubeconfig with the lab's cluster, context and user (entries named after the
 * lab) replaced by those of `labText`; every other entry is kept as it was written. Sets
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
    if (own.length !== 1) throw new KubelabError(`the lab kubeconfig has no ${section} entry named ${labName}; fetch it again: npx kubelab k3s kubeconfig`);
    let target = sectionOf(user, section);
    if (!target) {
      target = new YAMLSeq();
      user.set(section, target);
    }
    const at = target.items.findIndex((e) => isMap(e) && e.get('name') === labName);
    const entry = user.createNode(own[0].toJSON());
    if (at >= 0) {
      if (JSON.stringify(target.items[at].toJSON()) === JSON.stringify(entry.toJSON())) continue; // unchanged: keep it as written
      target.items[at] = entry as never;
    } else target.items.push(entry as never);
  }
  if (!user.get('current-context')) user.set('current-context', labName);
  return render(user, userText);
}

/**
 * The user's kubeconfig without the lab's entries; `removed` counts them. When the lab is
 * the current context it becomes `previousContext` again if that context still exists,
 * else the current-context key is removed (kubectl then asks for a context instead of using a dangling one).
 */
export function unmergeKubeconfigText(userText: string, labName: string, userFile: string, previousContext?: string): { text: string; removed: number } {
  const user = parseKubeconfig(userText, userFile);
  let removed = 0;
  for (const section of KUBECONFIG_SECTIONS) {
    const target = sectionOf(user, section);
    if (!target) continue;
    const before = target.items.length;
    target.items = target.items.filter((e) => !(isMap(e) && e.get('name') === labName));
    removed += before - target.items.length;
  }
  const labIsCurrent = user.get('current-context') === labName;
  if (removed === 0 && !labIsCurrent) return { text: userText, removed };
  if (labIsCurrent) {
    const stillThere = previousContext && sectionOf(user, 'contexts')?.items.some((e) => isMap(e) && e.get('name') === previousContext);
    if (stillThere) user.set('current-context', previousContext);
    else user.delete('current-context');
  }
  return { text: render(user, userText), removed };
}

/**
 * Refuses, in one line, a kubeconfig kubelab could not replace: a file or folder made read-only
 * (refused even for root, who could write it: the owner said no), or one this user may not write.
 */
function assertWritable(file: string, asked: string): void {
  const shown = file === path.resolve(asked) ? file : `${asked} (-> ${file})`;
  const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
  const mode = (p: string) => `mode ${modeOf(p).toString(8).padStart(4, '0')}`;
  if (fs.existsSync(file)) {
    if ((modeOf(file) & 0o200) === 0) {
      throw new KubelabError(`${shown} is read-only (${mode(file)}); make it writable (chmod u+w) or point KUBECONFIG at another file first`);
    }
    if (!canWrite(file)) throw new KubelabError(`${shown} is not writable by this user (${mode(file)}, owner uid ${fs.statSync(file).uid}); point KUBECONFIG at a file of your own first`);
  }
  let existing = path.dirname(file);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if ((modeOf(existing) & 0o200) === 0) {
    throw new KubelabError(`cannot write ${shown}: the folder ${existing} is read-only (${mode(existing)}); make it writable or point KUBECONFIG at another file first`);
  }
  if (!canWrite(existing)) {
    throw new KubelabError(`cannot write ${shown}: the folder ${existing} is not writable by this user (${mode(existing)}, owner uid ${fs.statSync(existing).uid}); point KUBECONFIG at a file of your own first`);
  }
}

function canWrite(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces a kubeconfig without ever leaving half a file: a timestamped backup of the old
 * one first, then write to a temp file beside it and rename. Keeps the old file's mode (0600 for a new one).
 */
export function replaceKubeconfigFile(file: string, text: string, now = new Date()): { backup?: string } {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
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

/**
 * `kubelab kubeconfig --merge`: the lab's entries into the user's kubeconfig (the file a
 * symlink points to, when it is one). The record is written only after the file was.
 * A lab merged into another file before is first removed from there.
 */
export function mergeLabIntoUserKubeconfig(paths: LabPaths, labName: string, file = userKubeconfigPath()): MergeOutcome {
  if (!fs.existsSync(paths.kubeconfig)) {
    throw new KubelabError(`The lab kubeconfig ${paths.kubeconfig} does not exist yet; run: npx kubelab k3s kubeconfig (the k3s stack does)`);
  }
  const target = resolveKubeconfigTarget(file);
  const record = mergeRecord(paths);
  if (record && record.file !== target) unmergeLabFromUserKubeconfig(paths, labName, record.file);
  assertWritable(target, file);
  return withUserKubeconfigLock(target, () => {
    const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    const after = mergeKubeconfigText(before, fs.readFileSync(paths.kubeconfig, 'utf8'), labName, file);
    const stillRecorded = record && record.file === target ? record : undefined;
    const previous = stillRecorded ? stillRecorded.previousContext : currentContextOf(before, file);
    const outcome: MergeOutcome = after === before ? { file: target, changed: false } : { file: target, changed: true, ...replaceKubeconfigFile(target, after) };
    // No previous context is left out of the JSON; one named like the lab is gone after the unmerge, which then drops current-context.
    const newRecord: MergeRecord = { file: target, previousContext: previous };
    writeSecretFile(mergeRecordPath(paths), `${JSON.stringify(newRecord)}\n`);
    return outcome;
  });
}

/**
 * Holds the user kubeconfig's lock while fn reads and rewrites it: several labs (or a lab's
 * steps) may merge at once. The lock is `<file>.lock`, the name kubectl itself takes with an
 * exclusive create before it writes a kubeconfig (client-go tools/clientcmd/loader.go lockFile,
 * unverified at a tag), so kubectl does not write the file under us either.
 */
function withUserKubeconfigLock<T>(target: string, fn: () => T): T {
  return withFileLockSync(target, fn);
}

function currentContextOf(text: string | undefined, file: string): string | undefined {
  if (text === undefined) return undefined;
  const value = parseKubeconfig(text, file).get('current-context');
  // Stryker disable next-line ConditionalExpression,StringLiteral: an empty current-context (kubectl writes "" for none) recorded as "" is never restored either: unmerge restores only a non-empty name
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `kubelab kubeconfig --unmerge`: removes only the lab's entries, from the file they were
 * merged into (whatever KUBECONFIG says now), restores the context that was current
 * before, and forgets the record only once the file is written. With keepRecord the lab stays
 * marked as merged there, so the next fetch merges it back (the kubeconfig step being replaced,
 * not the user changing their mind).
 */
export function unmergeLabFromUserKubeconfig(paths: LabPaths, labName: string, file?: string, keepRecord = false): MergeOutcome {
  const record = mergeRecord(paths);
  const target = resolveKubeconfigTarget(file ?? record?.file ?? userKubeconfigPath());
  const forget = () => {
    if (!keepRecord && record && record.file === target) fs.rmSync(mergeRecordPath(paths), { force: true });
  };
  if (!fs.existsSync(target)) {
    forget();
    return { file: target, changed: false };
  }
  const unmerged = () => {
    const before = fs.readFileSync(target, 'utf8');
    const { text } = unmergeKubeconfigText(before, labName, target, record?.file === target ? record.previousContext : undefined);
    return text === before ? undefined : text;
  };
  if (unmerged() === undefined) {
    forget();
    return { file: target, changed: false };
  }
  assertWritable(target, file ?? target);
  return withUserKubeconfigLock(target, () => {
    const text = unmerged(); // again under the lock: another process may have changed the file since
    const outcome = text === undefined ? { file: target, changed: false } : { file: target, changed: true, ...replaceKubeconfigFile(target, text) };
    forget();
    return outcome;
  });
}

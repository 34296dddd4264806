import * as fs from 'fs';
import * as path from 'path';
import { STATE_DIR_NAME } from '../config/paths';
import { KubelabError } from './errors';

/**
 * Creates a directory readable by the user only (0700), whatever the umask. Inside the lab
 * state dir (`.kubelab/`) every level from `.kubelab` down is set to 0700, including levels
 * that already existed with wider bits, so no other local user can replace a secret by
 * renaming files in a directory they can write to. On Windows chmod only toggles the
 * read-only flag: the folders inherit the ACL of the project folder (see the README).
 * Outside the state dir only the levels it creates are made, 0700 or narrower.
 */
export function ensurePrivateDir(dir: string): void {
  const abs = path.resolve(dir);
  fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
  const parts = abs.split(path.sep);
  const stateDirAt = parts.lastIndexOf(STATE_DIR_NAME);
  // Equivalent mutant (<= 0): index 0 of an absolute path is '' (POSIX) or the drive (Windows), never the state dir.
  // Stryker disable next-line EqualityOperator
  if (stateDirAt < 0) return; // outside the state dir (e.g. seed-iso --out): new levels are 0700 or narrower, existing ones are the user's
  // Equivalent mutant (<=): one step past the end is the whole path again (slice stops at the end).
  // Stryker disable next-line EqualityOperator
  for (let i = stateDirAt; i < parts.length; i++) {
    const level = parts.slice(0, i + 1).join(path.sep) || path.sep;
    // Equivalent mutant (always chmod): a level already 0700 is set to 0700 again.
    // Stryker disable next-line ConditionalExpression
    if ((fs.statSync(level).mode & 0o777) !== 0o700) fs.chmodSync(level, 0o700);
  }
}

/**
 * Writes a secret (token, private key, kubeconfig) with mode 0600, atomically:
 * to a temporary file beside it, then renamed, so a crash never leaves half a file.
 */
export function writeSecretFile(file: string, content: string | Buffer): void {
  writeFileAtomic(file, content, 0o600);
}

/** Writes a file atomically (write, then rename) with exactly `mode`, its directory private. */
export function writeFileAtomic(file: string, content: string | Buffer, mode = 0o644): void {
  ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode); // the umask or an existing file can leave other bits
  fs.renameSync(tmp, file);
}

/**
 * Creates `file` with the content `make()` returns, unless it exists: an exclusive create for
 * what is made once and then only read (the lab key, the K3s token), safe when several processes
 * make it at once. The content goes to a temp file first and is hard-linked to the final name,
 * which fails if the name exists (link(2); CreateHardLinkW on Windows), so exactly one process
 * wins and nobody ever reads a half-written file. Returns whether this call created the file.
 */
export function writeFileOnce(file: string, make: () => string | Buffer, mode = 0o600): boolean {
  if (fs.existsSync(file)) return false;
  ensurePrivateDir(path.dirname(file));
  // Equivalent mutant (no slice): the temp name only has to be unique, with or without the "0.".
  // Stryker disable next-line MethodExpression
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(tmp, make(), { mode });
    fs.chmodSync(tmp, mode);
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
      throw new KubelabError(`cannot create ${file}: the file system of ${path.dirname(file)} refuses hard links (${code}); keep the project on a local disk (NTFS, APFS, ext4)`);
    }
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

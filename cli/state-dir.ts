import * as fs from 'fs';
import * as path from 'path';
import { STATE_DIR_NAME } from '../config/paths';

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
  if (stateDirAt < 0) return; // outside the state dir (e.g. seed-iso --out): new levels are 0700 or narrower, existing ones are the user's
  for (let i = stateDirAt; i < parts.length; i++) {
    const level = parts.slice(0, i + 1).join(path.sep) || path.sep;
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

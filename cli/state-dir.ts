import * as fs from 'fs';
import * as path from 'path';

/** Creates a directory of the lab state dir, readable by the user only. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes a secret (token, private key, kubeconfig) with mode 0600, atomically:
 * to a temporary file beside it, then renamed, so a crash never leaves half a file.
 */
export function writeSecretFile(file: string, content: string | Buffer): void {
  ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600); // the umask or an existing file can leave wider bits
  fs.renameSync(tmp, file);
}

/** Writes a non-secret file atomically (write, then rename). */
export function writeFileAtomic(file: string, content: string | Buffer, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

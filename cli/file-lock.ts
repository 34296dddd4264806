import * as fs from 'fs';
import * as path from 'path';
import * as lockfile from 'proper-lockfile';
import { KubelabError } from './errors';
import { ensurePrivateDir, writeFileAtomic } from './state-dir';
import { Wait, withWait } from './wait-progress';

/**
 * Cross-process locks for files several kubelab processes write: Terraform runs independent
 * steps at the same moment, each a separate `kubelab` process. A lock is a proper-lockfile
 * directory `<file>.lock` (mkdir is atomic on every OS), refreshed while an async holder runs,
 * so the lock of a crashed process goes stale and is taken over.
 */
export interface LockOptions {
  /** A lock not refreshed for this long belongs to a crashed process and is taken over. @default lockStaleMs() */
  readonly staleMs?: number;
  /** Give up (one clear line naming the lock) after waiting this long. @default 60 s */
  readonly waitMs?: number;
  /** The lock's path. @default `<file>.lock` */
  readonly lockPath?: string;
  /**
   * For a lock that may be held for minutes (an import, a download): what the wait is for, said
   * in progress lines (cli/wait-progress.ts) while another process holds it. @default silent
   */
  readonly waiting?: { readonly what: string; readonly out: (line: string) => void; readonly everyMs?: number };
}

/** How long an unrefreshed lock lives before it is taken over (KUBELAB_LOCK_STALE_MS, min 2000; default 10 s). */
export function lockStaleMs(): number {
  return Math.max(2000, Number(process.env.KUBELAB_LOCK_STALE_MS) || 10000);
}

function lockOptions(opts: LockOptions) {
  const stale = Math.max(2000, opts.staleMs ?? lockStaleMs());
  return {
    realpath: false,
    stale,
    update: Math.floor(stale / 2),
    ...(opts.lockPath ? { lockfilePath: opts.lockPath } : {}),
    // A lock we lost (e.g. the machine slept) is not worth crashing for: the holder's work is done under the next lock.
    onCompromised: () => undefined,
  };
}

function lockDirOf(file: string, opts: LockOptions): string {
  return path.dirname(opts.lockPath ?? file);
}

function gaveUp(file: string, opts: LockOptions): KubelabError {
  const waited = Math.round((opts.waitMs ?? 60_000) / 1000);
  return new KubelabError(`waited ${waited} s for the lock ${opts.lockPath ?? `${file}.lock`}; another kubelab process is still busy (if none runs, delete that folder)`);
}

/**
 * Takes the lock of `file` if it is free; resolves to its release, or undefined when another
 * process holds it. For waits that say who they wait for (see cli/k3s/node-change-lock.ts).
 */
export async function tryFileLock(file: string, opts: LockOptions = {}): Promise<(() => Promise<void>) | undefined> {
  ensurePrivateDir(lockDirOf(file, opts));
  try {
    const release = await lockfile.lock(file, lockOptions(opts));
    return () => release().catch(() => undefined);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw err;
  }
}

/** Holds the lock of `file` while the async `fn` runs. */
export async function withFileLock<T>(file: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const release = (await tryFileLock(file, opts)) ?? (await waitForFileLock(file, opts));
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Polls for a lock another process holds, until opts.waitMs; with opts.waiting, saying so every 15 s. */
async function waitForFileLock(file: string, opts: LockOptions): Promise<() => Promise<void>> {
  const waitMs = opts.waitMs ?? 60_000;
  const poll = async (wait?: Wait) => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const taken = await tryFileLock(file, opts);
      if (taken) return taken;
      if (Date.now() > deadline) throw wait ? wait.timedOut('If no other kubelab runs, delete that folder') : gaveUp(file, opts);
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  };
  if (!opts.waiting) return poll();
  return withWait(opts.waiting.what, { timeoutMs: waitMs, out: opts.waiting.out, everyMs: opts.waiting.everyMs }, (wait) => {
    wait.seen = `${opts.lockPath ?? `${file}.lock`} held by another kubelab process`;
    return poll(wait);
  });
}

/** Blocks this thread for `ms` (a sync lock wait; only ever milliseconds at a time). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Holds the lock of `file` while the synchronous `fn` runs: for the short read-modify-write
 * of a small file from code that cannot wait asynchronously (ssh2's host-key check).
 */
export function withFileLockSync<T>(file: string, fn: () => T, opts: LockOptions = {}): T {
  ensurePrivateDir(lockDirOf(file, opts));
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  let release: () => void;
  for (;;) {
    try {
      release = lockfile.lockSync(file, lockOptions(opts));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (Date.now() > deadline) throw gaveUp(file, opts);
      pause(5 + Math.random() * 20);
    }
  }
  try {
    return fn();
  } finally {
    try {
      release();
    } catch {
      // already released or taken over as stale: nothing of ours is left to free
    }
  }
}

/**
 * Read-modify-write of one file under its lock, written atomically (temp file + rename), so
 * concurrent updates never lose each other's change and readers never see half a file.
 * `update` gets the current text (undefined when there is no file) and returns the new text,
 * or undefined to leave the file as it is.
 */
export function updateFileLocked(file: string, update: (current: string | undefined) => string | undefined, mode = 0o600, opts: LockOptions = {}): void {
  withFileLockSync(
    file,
    () => {
      let current: string | undefined;
      try {
        current = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const next = update(current);
      if (next !== undefined && next !== current) writeFileAtomic(file, next, mode);
    },
    opts,
  );
}

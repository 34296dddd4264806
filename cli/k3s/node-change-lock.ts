import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { tryFileLock } from '../file-lock';
import { sleep } from '../ssh/client';
import { writeFileAtomic } from '../state-dir';
import { withWait } from '../wait-progress';

/**
 * One node at a time, lab-wide: changing a K3s that already runs (an upgrade, new flags or
 * registries) restarts it, so its pods move and, on a server, the API blips. Terraform starts
 * every agent's K3s step at once (they depend only on the servers, so a first install joins
 * all agents in parallel); a step that finds K3s already on its node takes this lock first and
 * holds it until its node is Ready again, so the changes still go one node after another.
 * The servers' steps are chained in Terraform anyway (etcd adds one member at a time).
 */
export interface NodeChangeLockOptions {
  /** Give up after waiting this long for the other nodes' changes. @default 2 h */
  readonly waitMs?: number;
  /** How often the wait says who it waits for. @default PROGRESS_EVERY_MS */
  readonly everyMs?: number;
  readonly pollMs?: number;
}

function lockFile(paths: LabPaths): string {
  return path.join(paths.stateDir, 'locks', 'k3s-node-change');
}

/** Who holds the lock: written by the holder, read by the waiters for their progress lines. */
function holderFile(paths: LabPaths): string {
  return `${lockFile(paths)}.holder`;
}

/** Waits for the lab's node-change lock, saying whose change it waits for; resolves to its release. */
export async function takeNodeChangeLock(paths: LabPaths, nodeName: string, out: (line: string) => void, opts: NodeChangeLockOptions = {}): Promise<() => Promise<void>> {
  const file = lockFile(paths);
  const release = await withWait(`the other nodes' K3s changes to finish (one node at a time)`, { timeoutMs: opts.waitMs ?? 2 * 60 * 60 * 1000, out, everyMs: opts.everyMs }, async (wait) => {
    let said = false;
    for (;;) {
      // Held for a whole upgrade: an async holder refreshes the lock, so only a crashed one's goes stale.
      const taken = await tryFileLock(file);
      if (taken) return taken;
      // The holder names itself just after it took the lock: until then the line waits.
      const holder = readHolder(paths);
      wait.seen = holder ? `${holder} is changing its K3s` : 'another node is changing its K3s';
      if (!said && holder) out(`kubelab: ${nodeName}: K3s already runs here; waiting until ${holder} is done (one node at a time)`);
      said ||= holder !== undefined;
      if (wait.expired()) throw wait.timedOut(`If no deploy runs, delete ${file}.lock`);
      await sleep(Math.min(opts.pollMs ?? 1000, wait.remainingMs()));
    }
  });
  writeFileAtomic(holderFile(paths), `${nodeName}\n`, 0o600);
  out(`kubelab: ${nodeName}: K3s already runs here; changing it while no other node changes (lab-wide lock)`);
  return async () => {
    fs.rmSync(holderFile(paths), { force: true });
    await release();
  };
}

function readHolder(paths: LabPaths): string | undefined {
  try {
    return fs.readFileSync(holderFile(paths), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

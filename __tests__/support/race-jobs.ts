import { LabPaths } from '../../config/paths';
import { updateFileLocked } from '../../cli/file-lock';
import { takeNodeChangeLock } from '../../cli/k3s/node-change-lock';
import { updateLesson } from '../../cli/lesson/lesson-progress';

/** A racer job (see racers.ts): appends one record to a JSON array file through updateFileLocked. */
export function appendRecord(file: string, record: unknown): void {
  updateFileLocked(file, (current) => `${JSON.stringify([...(current ? (JSON.parse(current) as unknown[]) : []), record])}\n`);
}

/**
 * A racer job: a K3s change on `nodeName` as runK3sStep makes it, under the lab-wide lock: takes
 * the lock, "changes" for holdMs, releases, then logs when it held it. Resolves to its progress lines.
 */
export async function changeK3sUnderLock(paths: LabPaths, nodeName: string, holdMs: number, log: string): Promise<string[]> {
  const out: string[] = [];
  const release = await takeNodeChangeLock(paths, nodeName, (l) => out.push(l), { pollMs: 20, everyMs: 100 });
  const start = Date.now();
  await new Promise((r) => setTimeout(r, holdMs));
  const end = Date.now();
  await release();
  appendRecord(log, { nodeName, start, end });
  return out;
}

/** A racer job: one lesson's progress record updated, as `kubelab lesson hint` does. */
export function showLessonHint(paths: LabPaths, lessonId: string): void {
  updateLesson(paths, lessonId, (r) => ({ ...r, hintsShown: r.hintsShown + 1 }));
}

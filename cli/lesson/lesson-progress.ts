import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { withFileLockSync } from '../file-lock';
import { writeFileAtomic } from '../state-dir';

/** Where a learner is: the lesson started last, hints shown, and what checks kept. */
export interface LessonProgress {
  readonly current?: string;
  readonly lessons: Readonly<Record<string, { readonly hintsShown: number; readonly memory: Readonly<Record<string, string>> }>>;
}

function progressFile(paths: LabPaths): string {
  return path.join(paths.stateDir, 'lesson-progress.json');
}

export function readProgress(paths: LabPaths): LessonProgress {
  const file = progressFile(paths);
  if (!fs.existsSync(file)) return { lessons: {} };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LessonProgress;
}

/** Replaces the file whole (write, then rename), so a reader never sees half of it. */
export function writeProgress(paths: LabPaths, progress: LessonProgress): void {
  writeFileAtomic(progressFile(paths), `${JSON.stringify(progress, null, 1)}\n`, 0o600);
}

/** A lesson's record, updated; the other lessons' records stay as they are. */
export function updateLesson(
  paths: LabPaths,
  id: string,
  change: (record: { hintsShown: number; memory: Record<string, string> }) => { hintsShown: number; memory: Record<string, string> },
  current?: string,
): void {
  // Read and written under the file's lock: two kubelab commands at once each keep their change.
  withFileLockSync(progressFile(paths), () => {
    const progress = readProgress(paths);
    const record = progress.lessons[id] ?? { hintsShown: 0, memory: {} };
    writeProgress(paths, { current: current ?? progress.current, lessons: { ...progress.lessons, [id]: change({ hintsShown: record.hintsShown, memory: { ...record.memory } }) } });
  });
}

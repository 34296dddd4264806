import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { ensurePrivateDir } from '../state-dir';

/**
 * The file `npm run up` / `npm run down` hand to the kubelab verbs Terraform runs (through
 * Terraform's environment, which local-exec inherits): each verb appends how long it took.
 */
export const STEP_TIMELINE_ENV = 'KUBELAB_STEP_TIMELINE';
/** The phase the run is in, for the records ("VMs", "K3s", "charts"). */
export const STEP_PHASE_ENV = 'KUBELAB_STEP_PHASE';

/** What one kubelab verb fetched from the internet, for the summary at the end of `npm run up`. */
export interface DownloadRecord {
  /** The file, e.g. k3s-airgap-images-amd64.tar.zst. */
  readonly artifact: string;
  readonly bytes: number;
  /** Who fetched it: "host" or a node name. */
  readonly by: string;
}

/** One kubelab verb that Terraform ran. */
export interface StepRecord {
  readonly phase?: string;
  /** The verb, e.g. "vm create", "k3s agent", "doctor". */
  readonly step: string;
  /** The node it worked on, when it names one. */
  readonly node?: string;
  /** Start, ms since the epoch. */
  readonly startedMs: number;
  readonly seconds: number;
  readonly exitCode: number;
  /** The first line of what went wrong, when it failed. */
  readonly error?: string;
  /** What the verb fetched from the internet. @default nothing */
  readonly downloads?: readonly DownloadRecord[];
}

export function stepTimelinePath(paths: LabPaths): string {
  return path.join(paths.stateDir, 'deploy-steps.jsonl');
}

/** Starts an empty timeline for one run. */
export function resetStepTimeline(file: string): void {
  ensurePrivateDir(path.dirname(file));
  fs.writeFileSync(file, '', { mode: 0o600 });
}

/**
 * Appends one record. Terraform runs several steps at once: each record is one line
 * written by one append (O_APPEND: the kernel puts each write at the end, so lines of
 * concurrent processes never interleave or overwrite each other), and readers skip a
 * line that is not whole yet.
 */
export function appendStepRecord(file: string, record: StepRecord): void {
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** The records of a run, in the order they finished; lines that do not parse are skipped. */
export function readStepTimeline(file: string): StepRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as StepRecord] : [];
    } catch {
      return [];
    }
  });
}

/** "vm create cp1" — a step as a user reads it. */
export function stepLabel(r: Pick<StepRecord, 'step' | 'node'>): string {
  return r.node ? `${r.step} ${r.node}` : r.step;
}

/** "downloads by kubelab: k3s-airgap-images-amd64.tar.zst 181,234,567 bytes (host); 181,234,567 bytes in all", or that nothing was fetched. */
export function formatDownloads(records: readonly StepRecord[]): string {
  const all = records.flatMap((r) => r.downloads ?? []);
  if (all.length === 0) return "downloads by kubelab: none (images and K3s files came from this host's caches; images nodes pull from registries are not counted)";
  const sum = new Map<string, DownloadRecord>();
  for (const d of all) {
    const key = `${d.artifact}\0${d.by}`;
    sum.set(key, { ...d, bytes: (sum.get(key)?.bytes ?? 0) + d.bytes });
  }
  const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;
  const total = all.reduce((t, d) => t + d.bytes, 0);
  return `downloads by kubelab: ${[...sum.values()].map((d) => `${d.artifact} ${bytes(d.bytes)} (${d.by})`).join(', ')}; ${bytes(total)} in all`;
}

import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { writeFileAtomic } from '../state-dir';
import { StepRecord } from './step-timeline';

/** The phases a learner waits through, and the stacks each one is (see lab.ts). */
export const DEPLOY_PHASES = [
  { phase: 'VMs', stacks: ['vms'] },
  { phase: 'K3s', stacks: ['k3s'] },
  { phase: 'charts', stacks: ['ingress', 'metrics-server', 'dashboard', 'workloads'] },
] as const;

export interface PhaseTiming {
  readonly phase: string;
  readonly seconds: number;
}

/** What `npm run up` / `npm run down` keeps in `.kubelab/deploy-timings.json`, shown by `kubelab status`. */
export interface DeployTimings {
  readonly command: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly exitCode: number;
  readonly phases: readonly PhaseTiming[];
  /** What each kubelab verb Terraform ran took (the stand-up timeline). @default none recorded */
  readonly steps?: readonly StepRecord[];
}

export function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m}m ${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** One line: "up took 14m 02s (VMs 6m 10s, K3s 3m 40s, charts 4m 05s)". */
export function formatTimings(t: DeployTimings): string {
  const phases = t.phases.map((p) => `${p.phase} ${formatDuration(p.seconds)}`).join(', ');
  const how = t.exitCode === 0 ? 'took' : `failed (exit ${t.exitCode}) after`;
  return `${t.command} ${how} ${formatDuration(t.seconds)}${phases ? ` (${phases})` : ''}, started ${t.startedAt}`;
}

function timingsPath(paths: LabPaths): string {
  return path.join(paths.stateDir, 'deploy-timings.json');
}

export function saveTimings(paths: LabPaths, t: DeployTimings): void {
  writeFileAtomic(timingsPath(paths), `${JSON.stringify(t, null, 2)}\n`, 0o600);
}

/** The last deploy's timings, or undefined when there was none (or the file is unreadable). */
export function lastTimings(paths: LabPaths): DeployTimings | undefined {
  try {
    return JSON.parse(fs.readFileSync(timingsPath(paths), 'utf8')) as DeployTimings;
  } catch {
    return undefined;
  }
}

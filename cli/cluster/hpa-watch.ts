import { LAB_APPS } from '../../config/urls';
import { KubelabError } from '../errors';
import { HpaReading, LabCluster } from './lab-cluster';
import { sparkline } from './sparkline';

export interface HpaSample {
  readonly at: Date;
  readonly reading: HpaReading;
}

/** How many samples the charts show. */
export const CHART_WIDTH = 30;

/**
 * One line of the live view: time, replicas and CPU now, each with a sparkline
 * of the recent samples, e.g.
 * `14:02:05  replicas 3→4 of 10 ▁▁▂▃▅▅  cpu 212%/50% ▁▃▆██▇`.
 */
export function renderHpaLine(history: readonly HpaSample[], width = CHART_WIDTH): string {
  const last = history[history.length - 1].reading;
  const replicas = history.map((s) => s.reading.currentReplicas);
  const cpu = history.map((s) => s.reading.cpuUtilization);
  const target = last.targetCpuUtilization ?? 50;
  const cpuScale = Math.max(target * 2, ...cpu.filter((v): v is number => v !== undefined));
  const time = history[history.length - 1].at.toTimeString().slice(0, 8);
  const replicasNow = `${last.currentReplicas}${last.desiredReplicas !== last.currentReplicas ? `→${last.desiredReplicas}` : ''} of ${last.maxReplicas}`;
  const cpuNow = `${last.cpuUtilization === undefined ? '<unknown>' : `${last.cpuUtilization}%`}/${target}%`;
  return `${time}  replicas ${replicasNow.padEnd(8)} ${sparkline(replicas, last.maxReplicas, width).padEnd(width)}  cpu ${cpuNow.padEnd(13)} ${sparkline(cpu, cpuScale, width)}`;
}

/** Reads the demo's HPA; a clear error when the workloads stack is not there. */
export async function readDemoHpa(cluster: LabCluster): Promise<HpaReading> {
  const { namespace, name } = LAB_APPS.hpaDemo;
  const hpa = await cluster.hpa(namespace, name);
  if (!hpa) throw new KubelabError(`HPA ${namespace}/${name} not found: the workloads stack is not deployed; run: npm run up -- workloads`);
  return hpa;
}

export interface WatchOptions {
  readonly cluster: LabCluster;
  readonly out: (line: string) => void;
  readonly intervalMs: number;
  /** Stop after this many samples; 0: until interrupted. */
  readonly samples: number;
  /** Redraw one line in place (a terminal) instead of printing a line per sample. */
  readonly live: boolean;
  /** Called per sample; returning true ends the watch. */
  readonly until?: (sample: HpaSample, first: HpaSample) => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Samples the HPA every interval and prints the chart line; resolves to the history. */
export async function watchHpa(o: WatchOptions): Promise<HpaSample[]> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const history: HpaSample[] = [];
  for (;;) {
    history.push({ at: new Date(), reading: await readDemoHpa(o.cluster) });
    // Cursor up one line and clear it: the chart stays one line that moves.
    o.out(`${o.live && history.length > 1 ? '\x1b[1A\x1b[2K' : ''}${renderHpaLine(history)}`);
    if (o.until?.(history[history.length - 1], history[0])) return history;
    if (o.samples > 0 && history.length >= o.samples) return history;
    await sleep(o.intervalMs);
  }
}

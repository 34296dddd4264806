import { KubelabError } from '../errors';
import { HpaSample, watchHpa } from './hpa-watch';
import { LabCluster } from './lab-cluster';
import { startLoad, stopLoad } from './load-generator';

export interface LoadTestOptions {
  readonly cluster: LabCluster;
  readonly out: (line: string) => void;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly live: boolean;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LoadTestResult {
  readonly seconds: number;
  readonly replicas: number;
  readonly cpuUtilization?: number;
}

/**
 * The walkthrough's test: put php-apache under load and pass when the HPA has
 * scaled it above one replica within the time limit. The load is stopped at the
 * end, pass or fail, unless it was already running before (then it is the user's).
 */
export async function runLoadTest(o: LoadTestOptions): Promise<LoadTestResult> {
  const started = await startLoad(o.cluster);
  o.out(started === 'created' ? 'kubelab: load generator started' : 'kubelab: a load generator is already running; using it (it stays running afterwards)');
  const t0 = Date.now();
  const deadline = t0 + o.timeoutMs;
  try {
    const history = await watchHpa({
      cluster: o.cluster,
      out: o.out,
      intervalMs: o.intervalMs,
      samples: 0,
      live: o.live,
      sleep: o.sleep,
      until: (sample: HpaSample) => sample.reading.currentReplicas > 1 || Date.now() >= deadline,
    });
    const last = history[history.length - 1].reading;
    const seconds = Math.round((Date.now() - t0) / 1000);
    if (last.currentReplicas <= 1) {
      throw new KubelabError(
        `load: php-apache stayed at ${last.currentReplicas} replica for ${seconds} s under load (CPU ${last.cpuUtilization ?? '<unknown>'}%, target ${last.targetCpuUtilization ?? '?'}%)` +
          `${last.problem ? `; the HPA says: ${last.problem}` : ''}; give it longer with --timeout, or look: npx kubelab load watch`,
      );
    }
    return { seconds, replicas: last.currentReplicas, cpuUtilization: last.cpuUtilization };
  } finally {
    if (started === 'created') {
      await stopLoad(o.cluster);
      o.out('kubelab: load generator stopped');
    }
  }
}

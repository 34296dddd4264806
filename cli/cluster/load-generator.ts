import { LAB_APPS } from '../../config/urls';
import { LabCluster, PodManifest } from './lab-cluster';

/**
 * The load generator of the kubernetes.io HPA walkthrough: a busybox pod that sends the
 * demo requests in a loop, created through the API (the walkthrough runs
 * `kubectl run … --image=busybox:1.28`; 1.32.0 is multi-arch with arm64 too). As there,
 * every request costs CPU: each asks the pod that answers it to burn
 * LOAD_MILLICORES for one second (resource-consumer's POST /ConsumeCPU), so ten requests a
 * second keep about 10 × 50m = 500m busy across the replicas: 5 at the HPA's 50 % of
 * 200m. Responses are discarded so the pod's log stays small.
 */
const LOAD_MILLICORES = 50;
export const LOAD_GENERATOR: PodManifest = {
  metadata: { name: 'load-generator', labels: { app: 'load-generator', 'app.kubernetes.io/part-of': 'kubelab' } },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 0,
    containers: [
      {
        name: 'load-generator',
        image: 'busybox:1.32.0',
        command: [
          '/bin/sh',
          '-c',
          `while sleep 0.1; do wget -q -O /dev/null --post-data= "http://${LAB_APPS.hpaDemo.name}/ConsumeCPU?millicores=${LOAD_MILLICORES}&durationSec=1"; done`,
        ],
      },
    ],
  },
};

/** Starts the load; 'exists' when it already runs. */
export function startLoad(cluster: LabCluster): Promise<'created' | 'exists'> {
  return cluster.createPod(LAB_APPS.hpaDemo.namespace, LOAD_GENERATOR);
}

/** Stops the load; 'absent' when none runs. */
export function stopLoad(cluster: LabCluster): Promise<'deleted' | 'absent'> {
  return cluster.deletePod(LAB_APPS.hpaDemo.namespace, LOAD_GENERATOR.metadata.name);
}

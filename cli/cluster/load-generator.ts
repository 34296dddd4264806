import { LAB_APPS } from '../../config/urls';
import { LabCluster, PodManifest } from './lab-cluster';

/**
 * The load generator of the kubernetes.io HPA walkthrough: a busybox pod that
 * requests the php-apache Service in a tight loop, created through the API
 * (the walkthrough runs it with `kubectl run … --image=busybox:1.28`). Responses
 * are discarded so the pod's log stays small.
 */
export const LOAD_GENERATOR: PodManifest = {
  metadata: { name: 'load-generator', labels: { app: 'load-generator', 'app.kubernetes.io/part-of': 'kubelab' } },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 0,
    containers: [
      {
        name: 'load-generator',
        image: 'busybox:1.28',
        command: ['/bin/sh', '-c', `while sleep 0.01; do wget -q -O /dev/null http://${LAB_APPS.hpaDemo.name}; done`],
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

import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease } from './chart-release';

export interface MetricsServerProps {
  readonly config: LabConfig;
}

/**
 * metrics-server, which `kubectl top` and the HPA read. K3s runs with
 * `--disable metrics-server`, so this is the only copy.
 */
export class MetricsServer extends ChartRelease {
  constructor(scope: Construct, id: string, props: MetricsServerProps) {
    super(scope, id, {
      chart: PINNED.charts.metricsServer,
      version: props.config.components.metricsServer.chartVersion,
      // Where K3s's bundled copy lived, and where `kubectl top` users look for it.
      namespace: 'kube-system',
      values: {
        // The chart's defaultArgs, with InternalIP alone first: every node's
        // InternalIP is its host-only address (--node-ip), while hostnames do not
        // resolve inside the cluster.
        defaultArgs: [
          '--cert-dir=/tmp',
          '--kubelet-preferred-address-types=InternalIP',
          '--kubelet-use-node-status-port',
          '--metric-resolution=15s',
        ],
        // K3s kubelets serve certificates signed by K3s's own CA, which is not
        // mounted into pods; lab-only choice, as the K3s docs' examples make.
        args: ['--kubelet-insecure-tls'],
      },
    });
  }
}

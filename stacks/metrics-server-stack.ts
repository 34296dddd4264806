import { Construct } from 'constructs';
import { MetricsServer } from '../constructs/metrics-server';
import { ClusterStack, ClusterStackProps } from './cluster-stack';

/** `metrics-server`: the metrics API. Empty when components.metricsServer is off. */
export class MetricsServerStack extends ClusterStack {
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    if (props.config.components.metricsServer.enabled) {
      new MetricsServer(this, 'metrics-server', { config: props.config });
    }
  }
}

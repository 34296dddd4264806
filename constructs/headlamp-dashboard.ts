import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease, ChartService } from './chart-release';
import { LabNamespace } from './lab-namespace';

export interface HeadlampDashboardProps {
  readonly config: LabConfig;
  readonly namespace: LabNamespace;
}

/** Headlamp, the default web dashboard (the Kubernetes Dashboard is archived). */
export class HeadlampDashboard extends ChartRelease {
  /** The chart's Service, as fixed by fullnameOverride and service.port below. */
  readonly service: ChartService;

  constructor(scope: Construct, id: string, props: HeadlampDashboardProps) {
    const service = { namespace: props.namespace.namespaceName, name: 'headlamp', port: 80 };
    super(scope, id, {
      chart: PINNED.charts.headlamp,
      version: props.config.components.dashboard.chartVersion ?? PINNED.charts.headlamp.version,
      namespace: service.namespace,
      dependsOn: [props.namespace],
      values: {
        fullnameOverride: service.name,
        service: { type: 'ClusterIP', port: service.port },
      },
    });
    this.service = service;
  }
}

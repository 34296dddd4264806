import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { LAB_APPS } from '../config/urls';
import { PINNED } from '../config/versions';
import { ChartRelease, ChartService } from './chart-release';
import { LabNamespace } from './lab-namespace';

export interface HeadlampDashboardProps {
  readonly config: LabConfig;
  readonly namespace: LabNamespace;
}

/**
 * Headlamp, the default web dashboard (the Kubernetes Dashboard is archived).
 * Users log in with a ServiceAccount token (`kubelab dashboard` prints one); the
 * Headlamp pod itself gets no cluster rights.
 */
export class HeadlampDashboard extends ChartRelease {
  /** The chart's Service, as fixed by fullnameOverride and service.port below. */
  readonly service: ChartService;

  constructor(scope: Construct, id: string, props: HeadlampDashboardProps) {
    const service = { namespace: props.namespace, name: 'headlamp', port: 80 };
    super(scope, id, {
      chart: PINNED.charts.headlamp,
      version: props.config.components.dashboard.chartVersion ?? PINNED.charts.headlamp.version,
      namespace: props.namespace,
      // Value paths as kubernetes-sigs/headlamp defines them at tag headlamp-helm-0.45.0
      // (charts/headlamp/values.yaml, checked against charts/headlamp/values.schema.json).
      values: {
        fullnameOverride: service.name, // values.yaml:23
        service: { type: 'ClusterIP', port: service.port }, // values.yaml:264, 266
        // Served under /headlamp (Headlamp's -base-url), so one path route works by
        // hostname and on the bare IP without a rewrite. values.yaml:38
        config: { baseURL: LAB_APPS.headlamp.path },
        // The chart binds its own pod's ServiceAccount to cluster-admin by default;
        // Headlamp acts with the token the user logs in with, so that binding only
        // widens what a compromised pod could do (headlamp issues #2885, #4435). values.yaml:202
        clusterRoleBinding: { create: false },
      },
    });
    this.service = service;
  }
}

import { App } from 'cdktf';
import { LabConfig } from './config/lab-config';
import { DashboardStack } from './stacks/dashboard-stack';
import { IngressStack } from './stacks/ingress-stack';
import { K3sStack } from './stacks/k3s-stack';
import { MetricsServerStack } from './stacks/metrics-server-stack';
import { VmsStack } from './stacks/vms-stack';
import { WorkloadsStack } from './stacks/workloads-stack';

/** The six deploy units, in the order `cdktf deploy '*'` applies them (destroy: reverse). */
export const STACK_NAMES = ['vms', 'k3s', 'ingress', 'metrics-server', 'dashboard', 'workloads'] as const;

/**
 * Builds every stack of the lab into the app. All six always exist: a component
 * switched off leaves its stack empty, so the next deploy removes what it had.
 */
export function buildLab(app: App, config: LabConfig) {
  const vms = new VmsStack(app, 'vms', { config });
  const k3s = new K3sStack(app, 'k3s', { config, vms: vms.vms });
  k3s.addDependency(vms);
  const ingress = new IngressStack(app, 'ingress', { config });
  ingress.addDependency(k3s);
  const metricsServer = new MetricsServerStack(app, 'metrics-server', { config });
  metricsServer.addDependency(k3s);
  const dashboard = new DashboardStack(app, 'dashboard', { config });
  dashboard.addDependency(ingress);
  const workloads = new WorkloadsStack(app, 'workloads', { config });
  workloads.addDependency(metricsServer);
  workloads.addDependency(ingress);
  return { vms, k3s, ingress, metricsServer, dashboard, workloads };
}

import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { labUrls } from '../config/urls';
import { DashboardAdmin } from '../constructs/dashboard-admin';
import { HeadlampDashboard } from '../constructs/headlamp-dashboard';
import { KubernetesDashboard } from '../constructs/kubernetes-dashboard';
import { LabNamespace } from '../constructs/lab-namespace';
import { WebRoute } from '../constructs/web-route';
import { ClusterStack, ClusterStackProps } from './cluster-stack';

/**
 * `dashboard`: Headlamp (or the legacy Kubernetes Dashboard) behind the ingress,
 * at a URL that survives reboots (no port-forward), and the login ServiceAccounts.
 * Empty when components.dashboard is off.
 */
export class DashboardStack extends ClusterStack {
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { config } = props;
    const url = labUrls(config).dashboard;
    if (!url) return;
    const namespace = new LabNamespace(this, 'namespace', { name: url.namespace });
    const dashboard =
      url.kind === 'headlamp'
        ? new HeadlampDashboard(this, 'headlamp', { config, namespace })
        : new KubernetesDashboard(this, 'kubernetes-dashboard', { config, namespace });
    new DashboardAdmin(this, 'admin', { namespace });
    new WebRoute(this, 'dashboard', {
      host: url.host,
      path: url.path,
      backend: dashboard.service,
      https: url.kind === 'kubernetes-dashboard',
      onBareIp: true,
    });
    new TerraformOutput(this, 'url', { value: url.url, description: 'The dashboard; npx kubelab dashboard prints a login token' });
    new TerraformOutput(this, 'fallback_url', { value: url.fallbackUrl, description: 'The dashboard on the bare IP, for when sslip.io DNS is unreachable' });
  }
}

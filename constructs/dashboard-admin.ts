import { Construct } from 'constructs';
import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { LabNamespace } from './lab-namespace';

export const DASHBOARD_ADMIN = 'kubelab-admin';

export interface DashboardAdminProps {
  readonly namespace: LabNamespace;
}

/**
 * The ServiceAccount users log in to the dashboard as, bound to cluster-admin:
 * a lab-only choice (full control of a throw-away cluster). No token is stored:
 * `kubelab dashboard` requests a short-lived one when asked.
 */
export class DashboardAdmin extends Construct {
  readonly serviceAccount: ServiceAccountV1;

  constructor(scope: Construct, id: string, props: DashboardAdminProps) {
    super(scope, id);
    this.serviceAccount = new ServiceAccountV1(this, 'account', {
      metadata: { name: DASHBOARD_ADMIN, namespace: props.namespace.namespaceName },
    });
    new ClusterRoleBindingV1(this, 'binding', {
      metadata: { name: DASHBOARD_ADMIN },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subject: [{ kind: 'ServiceAccount', name: DASHBOARD_ADMIN, namespace: props.namespace.namespaceName }],
    });
  }
}

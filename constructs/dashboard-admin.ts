import { Construct } from 'constructs';
import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { DASHBOARD_ADMIN, DASHBOARD_VIEWER } from '../config/urls';
import { LabNamespace } from './lab-namespace';

export { DASHBOARD_ADMIN, DASHBOARD_VIEWER };

export interface DashboardAdminProps {
  readonly namespace: LabNamespace;
}

/**
 * The ServiceAccounts users log in to the dashboard as. `kubelab-admin` is bound
 * to cluster-admin: a lab-only choice (full control of a throw-away cluster, never
 * do this on a shared one). `kubelab-viewer` is bound to the built-in read-only
 * `view` ClusterRole (`kubelab dashboard --read-only`). No token is stored:
 * `kubelab dashboard` requests a short-lived one when asked.
 */
export class DashboardAdmin extends Construct {
  readonly serviceAccount: ServiceAccountV1;
  readonly viewerAccount: ServiceAccountV1;

  constructor(scope: Construct, id: string, props: DashboardAdminProps) {
    super(scope, id);
    this.serviceAccount = this.loginAccount({ account: 'account', binding: 'binding' }, DASHBOARD_ADMIN, 'cluster-admin', props.namespace);
    this.viewerAccount = this.loginAccount({ account: 'viewer', binding: 'viewer-binding' }, DASHBOARD_VIEWER, 'view', props.namespace);
  }

  private loginAccount(ids: { account: string; binding: string }, name: string, clusterRole: string, namespace: LabNamespace): ServiceAccountV1 {
    const account = new ServiceAccountV1(this, ids.account, {
      metadata: { name, namespace: namespace.namespaceName },
      dependsOn: [namespace],
    });
    new ClusterRoleBindingV1(this, ids.binding, {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subject: [{ kind: 'ServiceAccount', name, namespace: namespace.namespaceName }],
    });
    return account;
  }
}

/**
 * A namespace Kubernetes creates and keeps by itself: kube-apiserver's system
 * namespaces controller re-creates it whenever it is missing (kubernetes/kubernetes
 * pkg/controlplane/controller/systemnamespaces/system_namespaces_controller.go, read
 * at a stored commit, not at the K3s tag). Nothing in the lab creates it or waits for it.
 */
export class SystemNamespace {
  static readonly KUBE_SYSTEM = new SystemNamespace('kube-system');

  private constructor(readonly namespaceName: string) {}
}

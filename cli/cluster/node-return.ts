/**
 * Whether a node is back after its machine or its K3s restarted: its Ready condition is True AND
 * its kubelet renewed its Lease (kube-node-lease/<node>) after the first time we looked.
 *
 * Ready alone is not enough: the API server keeps the Ready condition the kubelet posted before
 * the restart until the node-lifecycle controller's grace period runs out (kube-controller-manager
 * --node-monitor-grace-period, 50 s since Kubernetes 1.32, kubernetes/kubernetes PR #126287;
 * a controller that restarts with the cluster even starts that period afresh, tryUpdateNodeHealth in
 * pkg/controller/nodelifecycle/node_lifecycle_controller.go). The kubelet's lease controller renews
 * the Lease every 10 s while it runs (k8s.io/component-helpers apimachinery/lease/controller.go at
 * v0.36.3: sync sets spec.renewTime to the kubelet's clock; k8s.io/kubelet config/v1beta1 at v0.36.3:
 * "The lease is currently renewed every 10s"). Only the node's kubelet writes its Lease, so a
 * renewTime that differs from the one at our first look was written by a kubelet that runs now.
 * Any difference counts, not only a later time: the stamp is the guest's clock, which goes back
 * when a snapshot with memory is restored or a clock that ran ahead is corrected at boot, and this
 * host's clock plays no part. It costs at most one renewal (10 s) when the kubelet was already back
 * at the first look.
 */
/** Where kubelets keep their heartbeat Leases, one named after each node (k8s.io/api core/v1 NamespaceNodeLease). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeSighting {
  readonly name: string;
  /** undefined: the node is not registered (not joined). */
  readonly ready: boolean | undefined;
  /** spec.renewTime of its Lease in ms since the epoch; undefined when it has none. */
  readonly leaseRenewedMs?: number;
}

export interface NodeReturnState {
  readonly name: string;
  readonly back: boolean;
  /** "Ready", "NotReady", "not joined", or "Ready, lease not renewed yet". */
  readonly text: string;
}

export class NodeReturn {
  /** Each node's lease renewal at the first look (undefined: no lease then). */
  private firstLook?: Map<string, number | undefined>;

  constructor(private readonly names: readonly string[]) {}

  /** Judges one reading of the cluster; the first reading is the one later renewals are compared with. */
  see(seen: readonly NodeSighting[]): { back: boolean; nodes: NodeReturnState[] } {
    const byName = new Map(seen.map((s) => [s.name, s]));
    if (!this.firstLook) this.firstLook = new Map(this.names.map((n) => [n, byName.get(n)?.leaseRenewedMs]));
    const nodes = this.names.map((name) => {
      const s = byName.get(name);
      if (!s || s.ready === undefined) return { name, back: false, text: 'not joined' };
      if (!s.ready) return { name, back: false, text: 'NotReady' };
      const before = this.firstLook!.get(name);
      const renewed = s.leaseRenewedMs !== undefined && s.leaseRenewedMs !== before;
      return { name, back: renewed, text: renewed ? 'Ready' : 'Ready, lease not renewed yet' };
    });
    return { back: nodes.every((n) => n.back), nodes };
  }

  /** "cp1 Ready, w1 NotReady, w2 not joined". */
  static summary(nodes: readonly NodeReturnState[]): string {
    return nodes.map((n) => `${n.name} ${n.text}`).join(', ');
  }
}

import { KubelabError } from '../errors';

/**
 * What the day-two verbs read from and do to the cluster, in the lab's own terms.
 * kube-client.ts implements it with @kubernetes/client-node; the verbs depend only
 * on this, so what they conclude is independent of the client library.
 */
export interface LabCluster {
  /** The API server URL from the kubeconfig, for messages. */
  readonly server: string;
  nodes(): Promise<ClusterNode[]>;
  /** The kubelets' heartbeats: the Leases in kube-node-lease, one per node. */
  nodeLeases(): Promise<NodeLease[]>;
  /** metrics.k8s.io node metrics (what `kubectl top nodes` shows). */
  nodeMetrics(): Promise<ResourceUsage[]>;
  /** metrics.k8s.io pod metrics of every namespace (what `kubectl top pods -A` shows), summed per pod. */
  podMetrics(): Promise<ResourceUsage[]>;
  /** The HPA, or undefined when it does not exist. */
  hpa(namespace: string, name: string): Promise<HpaReading | undefined>;
  /** A token for a ServiceAccount through the TokenRequest API (what `kubectl create token` does). */
  requestToken(namespace: string, serviceAccount: string, expirationSeconds: number): Promise<{ token: string; expires?: Date }>;
  /** Creates a pod; 'exists' when one of that name is already there. */
  createPod(namespace: string, pod: PodManifest): Promise<'created' | 'exists'>;
  deletePod(namespace: string, name: string): Promise<'deleted' | 'absent'>;
  /** The pod's phase, or undefined when it does not exist. */
  podPhase(namespace: string, name: string): Promise<string | undefined>;
  /** Helm releases, from the Secrets Helm stores them in (labels only; payloads are not decoded). */
  helmReleases(): Promise<HelmRelease[]>;
  /** The API server's etcd health check, GET /readyz/etcd: HTTP status and body ("ok" when healthy). */
  etcdReadiness(): Promise<{ status: number; body: string }>;
}

export interface ClusterNode {
  readonly name: string;
  readonly ready: boolean;
  /** Why the Ready condition is not True, when it is not. */
  readonly notReadyReason?: string;
  readonly internalIp?: string;
  /** e.g. v1.36.4+k3s1 */
  readonly kubeletVersion: string;
  /** K3s labels the servers that run embedded etcd node-role.kubernetes.io/etcd=true. */
  readonly etcdMember: boolean;
  /** The address flannel announces for the node's pod traffic (VXLAN); undefined until flannel has written it. */
  readonly flannelPublicIp?: string;
}

/** A kubelet's Lease (coordination.k8s.io/v1, namespace kube-node-lease, named after its node). */
export interface NodeLease {
  readonly name: string;
  /** spec.renewTime: when the kubelet last renewed it, by the node's clock; undefined when never. */
  readonly renewTime?: Date;
}

export interface ResourceUsage {
  /** `<node>` or `<namespace>/<pod>`. */
  readonly name: string;
  readonly cpuMillicores: number;
  readonly memoryBytes: number;
}

export interface HpaReading {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  /** Average CPU utilization in % of requests; undefined is what kubectl shows as `<unknown>`. */
  readonly cpuUtilization?: number;
  readonly targetCpuUtilization?: number;
  /** The message of a False ScalingActive/AbleToScale condition, which says why CPU is unknown. */
  readonly problem?: string;
}

export interface HelmRelease {
  readonly name: string;
  readonly namespace: string;
  readonly status: string;
  readonly revision: number;
}

/** A pod as the Kubernetes API takes it (JSON field names). */
export interface PodManifest {
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

/** The API answered with an error status. */
export class ClusterApiError extends KubelabError {
  constructor(
    readonly what: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${what}: the Kubernetes API answered ${status}${detail ? ` (${detail})` : ''}`);
    this.name = 'ClusterApiError';
  }
}

/** The API server could not be reached at all. */
export class ClusterUnreachableError extends KubelabError {
  /** What went wrong, without the advice (for a wait that is itself starting the lab). */
  readonly reason: string;
  constructor(server: string, cause: string) {
    const reason = `cannot reach the Kubernetes API at ${server} (${cause})`;
    super(`${reason}; is the lab running? Start it with: npx kubelab start`);
    this.reason = reason;
    this.name = 'ClusterUnreachableError';
  }
}

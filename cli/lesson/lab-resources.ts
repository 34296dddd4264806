import { CliContext } from '../context';
import { ClusterApiError, ClusterUnreachableError } from '../cluster/lab-cluster';
import { loadLabKubeConfig, networkCause, rawRequest } from '../cluster/kube-client';
import { KindName, apiVersionOf, resourcePath } from './api-kinds';

/** An object as the Kubernetes API returns it (JSON). */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly [key: string]: any;
  };
  readonly [key: string]: any;
}

/** The objects of the lab cluster, by kind: what lessons set up, read and clean away. */
export interface LabResources {
  /** The object, or undefined when it does not exist. */
  get(kind: KindName, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(kind: KindName, namespace?: string, labelSelector?: string): Promise<KubeObject[]>;
  /** Creates or updates the object to this content (server-side apply, kubelab's field manager). */
  apply(object: KubeObject & { kind: KindName }): Promise<void>;
  /** Deletes the object (at once, no grace period); 'absent' when there was none. */
  remove(kind: KindName, namespace: string | undefined, name: string): Promise<'deleted' | 'absent'>;
  /** GET /readyz/etcd: the API server's own etcd health check. */
  etcdReadiness(): Promise<{ status: number; body: string }>;
}

/** The field manager lesson set-ups apply as (kubectl's own is "kubectl-client-side-apply"). */
const FIELD_MANAGER = 'kubelab-lesson';

/** The lab cluster's objects through the lab kubeconfig, by plain API paths (api-kinds.ts). */
export async function connectLabResources(ctx: CliContext, timeoutMs = 15000): Promise<LabResources> {
  const { kc } = await loadLabKubeConfig(ctx);
  const server = (kc.getCurrentCluster()?.server ?? '').replace(/\/$/, '');
  const send = async (path: string, options: { method?: string; body?: string; contentType?: string } = {}) => {
    try {
      return await rawRequest(kc, `${server}${path}`, timeoutMs, options);
    } catch (err) {
      throw new ClusterUnreachableError(server, networkCause(err, timeoutMs));
    }
  };
  const json = async (what: string, path: string, options: { method?: string; body?: string; contentType?: string } = {}, absentOk = false) => {
    const answer = await send(path, options);
    if (answer.status === 404 && absentOk) return undefined;
    if (answer.status >= 300) throw new ClusterApiError(what, answer.status, messageOf(answer.body));
    return answer.body ? JSON.parse(answer.body) : undefined;
  };
  return {
    get: (kind, namespace, name) => json(`read ${kind} ${namespace ? `${namespace}/` : ''}${name}`, resourcePath(kind, namespace, name), {}, true),
    list: async (kind, namespace, labelSelector) => {
      const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      const answer = await json(`list ${kind}`, `${resourcePath(kind, namespace)}${query}`);
      return (answer?.items ?? []) as KubeObject[];
    },
    apply: async (object) => {
      const { kind } = object;
      const body = JSON.stringify({ apiVersion: apiVersionOf(kind), ...object });
      // Server-side apply: PATCH with application/apply-patch+yaml (JSON is YAML), a field
      // manager, and force so a learner's own edits of the same fields are taken back.
      const query = `?fieldManager=${FIELD_MANAGER}&force=true`;
      await json(`apply ${kind} ${object.metadata.name}`, `${resourcePath(kind, object.metadata.namespace, object.metadata.name)}${query}`, {
        method: 'PATCH',
        body,
        contentType: 'application/apply-patch+yaml',
      });
    },
    remove: async (kind, namespace, name) => {
      const answer = await send(`${resourcePath(kind, namespace, name)}?gracePeriodSeconds=0`, { method: 'DELETE' });
      if (answer.status === 404) return 'absent';
      if (answer.status >= 300) throw new ClusterApiError(`delete ${kind} ${name}`, answer.status, messageOf(answer.body));
      return 'deleted';
    },
    etcdReadiness: () => send('/readyz/etcd'),
  };
}

function messageOf(body: string): string {
  try {
    const message = JSON.parse(body)?.message;
    return typeof message === 'string' ? message : '';
  } catch {
    return body.slice(0, 200);
  }
}

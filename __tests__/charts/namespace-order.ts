import { allResources, StackJson } from '../app/synth-lab';

/**
 * Terraform creates resources in parallel unless one depends on another (depends_on,
 * or an expression that references it), and the kubernetes provider does not retry a
 * create that fails with `namespaces "…" not found`. So every namespaced object and
 * Helm release must be ordered after whatever creates its namespace.
 */

/**
 * Namespaces Kubernetes itself creates and keeps: kube-apiserver's system namespaces
 * controller creates each one that is missing (kubernetes/kubernetes
 * pkg/controlplane/controller/systemnamespaces/system_namespaces_controller.go, stored copy
 * at commit cb6ff2d; kube-system is metav1.NamespaceSystem). Only kube-system is used.
 */
const KUBERNETES_OWN_NAMESPACES = new Set(['kube-system']);

/** Kubernetes kinds with no namespace (Namespace, ClusterRole, ClusterRoleBinding are cluster-scoped by API definition). */
const CLUSTER_SCOPED = new Set(['kubernetes_namespace_v1', 'kubernetes_cluster_role_v1', 'kubernetes_cluster_role_binding_v1']);

const REFERENCE = /\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)[.[}]/g;

/** Each resource's direct dependencies: its depends_on and every resource its expressions reference. */
function dependencyGraph(stack: StackJson): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { type, name, body } of allResources(stack)) {
    const deps = new Set<string>(body.depends_on ?? []);
    for (const m of JSON.stringify({ ...body, depends_on: undefined }).matchAll(REFERENCE)) deps.add(`${m[1]}.${m[2]}`);
    graph.set(`${type}.${name}`, deps);
  }
  return graph;
}

function reaches(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const at = stack.pop()!;
    for (const next of graph.get(at) ?? []) {
      if (next === to) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** One line per namespaced resource that Terraform could create before its namespace. */
export function unorderedNamespacedResources(stack: StackJson): string[] {
  const graph = dependencyGraph(stack);
  const resources = allResources(stack);
  const creators = new Map(
    resources.filter((r) => r.type === 'kubernetes_namespace_v1').map((r) => [r.body.metadata.name as string, `${r.type}.${r.name}`]),
  );
  const problems: string[] = [];
  for (const { type, name, body } of resources) {
    const id = `${type}.${name}`;
    if (type === 'helm_release') {
      if (body.create_namespace === true) continue;
    } else if (!type.startsWith('kubernetes_') || CLUSTER_SCOPED.has(type)) {
      continue;
    }
    const namespace: string | undefined = type === 'helm_release' ? body.namespace : body.metadata?.namespace;
    if (namespace === undefined) {
      problems.push(`${id} names no namespace (it would land in "default")`);
      continue;
    }
    if (/^\$\{kubernetes_namespace_v1\.[^.]+\.metadata\[0\]\.name\}$/.test(namespace)) continue;
    if (KUBERNETES_OWN_NAMESPACES.has(namespace)) continue;
    const creator = creators.get(namespace);
    if (!creator) problems.push(`${id} is in namespace "${namespace}", which nothing in its stack creates`);
    else if (!reaches(graph, id, creator)) problems.push(`${id} is in namespace "${namespace}" but does not depend on ${creator}`);
  }
  return problems;
}

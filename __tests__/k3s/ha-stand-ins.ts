/**
 * STAND-IN for K3s's view of an embedded-etcd cluster in kubelab's tests. Nothing here is
 * K3s or etcd: a `k3s` script answers the kubectl calls kubelab's HA steps make from files in
 * a shared cluster dir: <cluster>/etcd/<node> holds "<InternalIP>" for each etcd member,
 * <cluster>/removed/<node> the member name K3s reports as removed, <cluster>/agents/<node> marks
 * a node without etcd (no etcd role label).
 *
 * The one behaviour it plays follows k3s-io/k3s pkg/etcd/member_controller.go (read at commit
 * 14cf9632): annotating a server node `etcd.k3s.cattle.io/remove=true` removes its etcd member
 * and sets `etcd.k3s.cattle.io/removed-node-name` to the member's name. A file
 * <cluster>/controller-stuck makes it never confirm (a controller that cannot reach quorum).
 *
 * It answers only the queries whose fields it serves, written in kubectl's JSONPath syntax
 * (kubernetes.io "JSONPath Support": dots inside a label or annotation key escaped with \,
 * filters as [?(@.type=="…")]): the etcd servers' name, InternalIP and Ready status, and one
 * node's etcd role label and the removed-node-name annotation. A query for another key (a
 * misspelt annotation) is refused, as a real cluster would answer it with an empty string.
 */
export function standInHaK3s(clusterDir: string): string {
  return `#!/bin/bash
# STAND-IN for the k3s binary in an HA cluster (kubelab tests): answers from files, runs nothing.
cluster='${clusterDir}'
[ "$1" = kubectl ] || { echo "stand-in k3s: unexpected: $*" >&2; exit 99; }
shift
echo "$*" >> "$cluster/kubectl.log"
case "$1 $2" in
  "get nodes")
    [ "$3 $4" = "-l node-role.kubernetes.io/etcd=true" ] || { echo "stand-in k3s: unexpected: kubectl $*" >&2; exit 99; }
    [ "$5 $6" = '-o jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}' ] || { echo "stand-in k3s: unexpected query: kubectl $*" >&2; exit 99; }
    # A node's Ready condition status is "True", "False" or "Unknown" (k8s.io/api core/v1 ConditionStatus); <cluster>/not-ready/<node> holds one that is not "True".
    for f in "$cluster"/etcd/*; do
      [ -e "$f" ] || continue
      n=$(basename "$f"); ready=True
      [ -e "$cluster/not-ready/$n" ] && ready=$(cat "$cluster/not-ready/$n")
      echo "$n $(cat "$f") $ready"
    done ;;
  "get node")
    if [ ! -e "$cluster/etcd/$3" ] && [ ! -e "$cluster/removed/$3" ] && [ ! -e "$cluster/agents/$3" ]; then echo "Error from server (NotFound): nodes \\"$3\\" not found" >&2; exit 1; fi
    # -o name prints <resource>/<name> (kubectl's name printer).
    if [ "$4 $5" = "-o name" ]; then echo "node/$3"; exit 0; fi
    [ "$4 $5" = '-o jsonpath={.metadata.labels.node-role\\.kubernetes\\.io/etcd} {.metadata.annotations.etcd\\.k3s\\.cattle\\.io/removed-node-name}' ] || { echo "stand-in k3s: unexpected query: kubectl $*" >&2; exit 99; }
    # An agent has no etcd role label: kubectl prints a missing key as empty (--allow-missing-template-keys defaults to true).
    if [ -e "$cluster/agents/$3" ]; then echo " "; exit 0; fi
    removed=''
    [ -e "$cluster/removed/$3" ] && removed=$(cat "$cluster/removed/$3")
    echo "true $removed" ;;
  "annotate node")
    [ "$4 $5" = "etcd.k3s.cattle.io/remove=true --overwrite" ] || { echo "stand-in k3s: unexpected: kubectl $*" >&2; exit 99; }
    echo "node/$3 annotated"
    if [ ! -e "$cluster/controller-stuck" ] && [ -e "$cluster/etcd/$3" ]; then
      mkdir -p "$cluster/removed"
      echo "$3-standin" > "$cluster/removed/$3"
      rm "$cluster/etcd/$3"
    fi ;;
  "drain "*) echo "node/$2 drained" ;;
  "delete node") rm -f "$cluster/etcd/$3"; echo "node \\"$3\\" deleted" ;;
  "get --raw")
    if [ -e "$cluster/controller-stuck" ]; then echo "[-]etcd failed: reason withheld" >&2; exit 1; fi
    echo ok ;;
  *) echo "stand-in k3s: unexpected: kubectl $*" >&2; exit 99 ;;
esac
`;
}

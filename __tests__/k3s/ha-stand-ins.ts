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
 * Failures the tests make on purpose, none of them K3s's own wording: <cluster>/api-down (every
 * call fails, error on stderr), api-down-after-annotate, annotate-refused, readyz-silent
 * (the etcd health call fails without a word).
 *
 * It answers only the queries whose fields it serves, written in kubectl's JSONPath syntax
 * (kubernetes.io "JSONPath Support": dots inside a label or annotation key escaped with \):
 * one node's etcd role label and the removed-node-name annotation. A query for another key (a
 * misspelt annotation) is refused, as a real cluster would answer it with an empty string.
 */
export function standInHaK3s(clusterDir: string): string {
  return `#!/bin/bash
# STAND-IN for the k3s binary in an HA cluster (kubelab tests): answers from files, runs nothing.
cluster='${clusterDir}'
[ "$1" = kubectl ] || { echo "stand-in k3s: unexpected: $*" >&2; exit 99; }
shift
echo "$*" >> "$cluster/kubectl.log"
# Failures made on purpose by the tests: an API server that stops answering (kubectl prints its error on stderr only).
if [ -e "$cluster/api-down" ]; then echo "stand-in k3s: the API server does not answer" >&2; exit 1; fi
case "$1 $2" in
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
    if [ -e "$cluster/annotate-refused" ]; then echo "stand-in k3s: annotating refused" >&2; exit 1; fi
    echo "node/$3 annotated"
    [ -e "$cluster/api-down-after-annotate" ] && touch "$cluster/api-down"
    if [ ! -e "$cluster/controller-stuck" ] && [ -e "$cluster/etcd/$3" ]; then
      mkdir -p "$cluster/removed"
      echo "$3-standin" > "$cluster/removed/$3"
      rm "$cluster/etcd/$3"
    fi ;;
  "drain "*) echo "node/$2 drained" ;;
  "delete node") rm -f "$cluster/etcd/$3"; echo "node \\"$3\\" deleted" ;;
  "get --raw")
    [ -e "$cluster/readyz-silent" ] && exit 1
    if [ -e "$cluster/controller-stuck" ]; then echo "[-]etcd failed: reason withheld" >&2; exit 1; fi
    echo ok ;;
  *) echo "stand-in k3s: unexpected: kubectl $*" >&2; exit 99 ;;
esac
`;
}

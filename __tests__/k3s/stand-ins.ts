/**
 * STAND-INS for K3s in kubelab's tests. None of this is K3s: the recording stand-in
 * install script writes down how it was called instead of installing anything, and the
 * stand-in `k3s` answers the few questions the kubelab steps ask (version, /readyz, node
 * status, drain, delete) from files in a shared "cluster" temp dir.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DROP_MY_SSH_CONNECTION } from '../support/sshd-fake-node';

/** What the recording stand-in installer (and its uninstall scripts) wrote on a fake node, one entry a call: 'call …', 'uninstall …'. */
export function installRecordsOn(nodeRoot: string): string[] {
  const file = path.join(nodeRoot, 'install-record.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('--- ').filter(Boolean) : [];
}

/**
 * The recording stand-in for get.k3s.io's install.sh (POSIX sh, as kubelab runs it with `sh`).
 * Online (INSTALL_K3S_SKIP_DOWNLOAD not true) it "downloads" by copying <cluster>/online-download/k3s.
 * Appends one record per call to <KUBELAB_NODE_ROOT>/install-record.log, "registers" the node
 * in the cluster dir with the InternalIP real K3s would pick (--node-ip, else the NAT address),
 * leaves a stand-in uninstall script and, unless INSTALL_K3S_SKIP_START=true, marks the service active
 * for the stand-in systemctl.
 */
export function recordingStandInInstallScript(clusterDir: string): string {
  return `#!/bin/sh
# RECORDING STAND-IN for the K3s install script (kubelab tests): records, installs nothing.
set -eu
root="\${KUBELAB_NODE_ROOT:?stand-in runs only on a kubelab test node}"
cluster='${clusterDir}'
if [ -e "$cluster/drop-connection-once" ]; then
  rm "$cluster/drop-connection-once"
  ${DROP_MY_SSH_CONNECTION.replace(/\n/g, '\n  ')}
fi
if [ "$INSTALL_K3S_SKIP_DOWNLOAD" != true ]; then
  # What the real script downloads from GitHub; the online tests leave a stand-in binary here.
  cp "$cluster/online-download/k3s" "$INSTALL_K3S_BIN_DIR/k3s"
fi
{
  echo "--- call"
  echo "args: $*"
  env | grep -E '^(INSTALL_K3S|K3S)_' | sort
  echo "token-file-mode: $(stat -c %a "$root$K3S_TOKEN_FILE")"
  echo "binary: $("$INSTALL_K3S_BIN_DIR/k3s" --version | head -n 1)"
} >> "$root/install-record.log"
role=$1
name=''
ip='10.0.2.15'
while [ "$#" -gt 0 ]; do
  case "$1" in
    --node-name) name=$2; shift ;;
    --node-ip) ip=$2; shift ;;
  esac
  shift
done
[ -e "$cluster/force-internal-ip" ] && ip=$(cat "$cluster/force-internal-ip")
mkdir -p "$cluster/nodes" "$root/run"
echo "True $ip" > "$cluster/nodes/$name"
if [ "$role" = server ]; then
  service=k3s
  touch "$cluster/api-ready"
  mkdir -p "$root/etc/rancher/k3s"
  cat > "$root/etc/rancher/k3s/k3s.yaml" <<'EOF'
${K3S_STYLE_KUBECONFIG}EOF
  uninstall="$INSTALL_K3S_BIN_DIR/k3s-uninstall.sh"
else
  service=k3s-agent
  uninstall="$INSTALL_K3S_BIN_DIR/k3s-agent-uninstall.sh"
fi
# install.sh (service_enable_and_start) returns before starting the unit when INSTALL_K3S_SKIP_START=true.
[ "\${INSTALL_K3S_SKIP_START:-}" = true ] || touch "$root/run/active-$service"
cat > "$uninstall" <<EOF
#!/bin/sh
# STAND-IN uninstall script left by the recording stand-in installer.
echo "--- uninstall $service" >> "$root/install-record.log"
rm -f "$root/run/active-$service" "$INSTALL_K3S_BIN_DIR/k3s" "$uninstall"
EOF
chmod 755 "$uninstall"
`;
}

/** A kubeconfig shaped like the one K3s writes to /etc/rancher/k3s/k3s.yaml (made-up certificate data). */
export const K3S_STYLE_KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: c3RhbmQtaW4tY2E=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: c3RhbmQtaW4tY2VydA==
    client-key-data: c3RhbmQtaW4ta2V5
`;

/**
 * The stand-in k3s binary the tests upload as k3s.installer.binary; reports `version`.
 *
 * `kubectl get lease <node> -n kube-node-lease`: the kubelet's heartbeat Lease. A running kubelet
 * renews it every 10 s with spec.renewTime from its clock (k8s.io/component-helpers
 * apimachinery/lease/controller.go at v0.36.3, the staging copy of Kubernetes v1.36.3: Run repeats
 * sync every renewInterval, newLease sets RenewTime = clock.Now(); k8s.io/kubelet
 * config/v1beta1/types.go at v0.36.3: "The lease is currently renewed every 10s"). Time here is
 * counted in reads: each read is one renewal later (<cluster>/leases/<node> counts them). While
 * <cluster>/kubelet-boot-reads holds a number above 0 the restarted K3s's kubelet is not up yet:
 * a read counts it down and renews nothing, and the node keeps the Ready the old K3s posted (the
 * node-lifecycle controller turns it Unknown only after --node-monitor-grace-period without a
 * status or renewal: tryUpdateNodeHealth in kubernetes/kubernetes
 * pkg/controller/nodelifecycle/node_lifecycle_controller.go, read at commit 003e8629, not at a tag).
 * A node that never registered has no lease (--ignore-not-found prints nothing).
 */
export function standInK3sBinary(clusterDir: string, version: string): string {
  return `#!/bin/bash
# STAND-IN for the k3s binary (kubelab tests): answers from the cluster dir, runs nothing.
cluster='${clusterDir}'
case "$1" in
  --version) echo "k3s version ${version} (stand-in)"; echo "go version stand-in" ;;
  kubectl)
    shift
    echo "$*" >> "$cluster/kubectl.log"
    case "$1 $2" in
      "get --raw") if [ -e "$cluster/api-ready" ]; then echo ok; else echo "stand-in: connection refused" >&2; exit 1; fi ;;
      "get node")
        if [ ! -e "$cluster/nodes/$3" ]; then echo "Error from server (NotFound): nodes \\"$3\\" not found" >&2; exit 1; fi
        if [ "$4 $5" = "-o name" ]; then echo "node/$3"; else cat "$cluster/nodes/$3"; fi ;;
      "get lease")
        [ -e "$cluster/nodes/$3" ] || exit 0
        mkdir -p "$cluster/leases"
        renewals=$(cat "$cluster/leases/$3" 2>/dev/null || echo 0)
        booting=$(cat "$cluster/kubelet-boot-reads" 2>/dev/null || echo 0)
        if [ "$booting" -gt 0 ]; then echo $((booting - 1)) > "$cluster/kubelet-boot-reads"; else renewals=$((renewals + 1)); echo "$renewals" > "$cluster/leases/$3"; fi
        date -u -d "@$((1787227200 + renewals * 10))" +%Y-%m-%dT%H:%M:%S.000000Z ;;
      "drain "*) echo "node/$2 drained" ;;
      "delete node") rm -f "$cluster/nodes/$3"; echo "node \\"$3\\" deleted" ;;
      *) echo "stand-in k3s: unexpected: kubectl $*" >&2; exit 99 ;;
    esac ;;
  *) echo "stand-in k3s: unexpected: $*" >&2; exit 99 ;;
esac
`;
}

/**
 * Stand-in systemctl: `is-active --quiet <service>` and `show -p ActiveState -p SubState --value <service>`
 * answer from <root>/run/active-<service>; `restart [--no-block] <service>` creates it; `reset-failed` is accepted.
 *
 * A restart is K3s starting: it appends "<epoch ms> restart <service>" to <root>/restarts.log and
 * keeps what K3s read at that start in <root>/run/registries-read-<service> (absent: no file to
 * read). K3s reads /etc/rancher/k3s/registries.yaml only when it starts: "Upon startup, K3s will
 * check to see if /etc/rancher/k3s/registries.yaml exists" and "In order for the registry changes
 * to take effect, you need to restart K3s on each node" (k3s-io/docs docs/installation/private-registry.md,
 * read at commit 2936f007, the docs repository has no K3s release tags).
 */
export const STAND_IN_SYSTEMCTL = `#!/bin/bash
# STAND-IN for systemctl (kubelab tests): a service is active when its marker file exists.
service="\${*: -1}"
marker="$KUBELAB_NODE_ROOT/run/active-$service"
case "$1" in
  is-active) [ -e "$marker" ] ;;
  show) if [ -e "$marker" ]; then printf 'active\\nrunning\\n'; else printf 'inactive\\ndead\\n'; fi ;;
  restart)
    mkdir -p "$(dirname "$marker")" && touch "$marker"
    echo "$(date +%s%3N) restart $service" >> "$KUBELAB_NODE_ROOT/restarts.log"
    registries="$KUBELAB_NODE_ROOT/etc/rancher/k3s/registries.yaml"
    if [ -e "$registries" ]; then cp "$registries" "$KUBELAB_NODE_ROOT/run/registries-read-$service"; else rm -f "$KUBELAB_NODE_ROOT/run/registries-read-$service"; fi ;;
  reset-failed) ;;
  *) echo "stand-in systemctl: unexpected: $*" >&2; exit 99 ;;
esac
`;

/** The restarts the stand-in systemctl saw on a fake node, oldest first: when (epoch ms) and which service. */
export function restartsOn(nodeRoot: string): { atMs: number; service: string }[] {
  const file = path.join(nodeRoot, 'restarts.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([ms, , service]) => ({ atMs: Number(ms), service }));
}

/**
 * Stand-in curl on a fake node: "downloads" https://get.k3s.io (the URL and `-o <file>` as the last
 * words) by copying the recording stand-in install script, and logs the call. With <root>/curl-fail
 * present it fails as curl -sS does on a node without DNS: exit 6, "curl: (6) Could not resolve host: ...".
 */
export function standInCurl(installScript: string): string {
  return `#!/bin/bash
# STAND-IN for curl (kubelab tests): serves only https://get.k3s.io, from a local file.
echo "$*" >> "\$KUBELAB_NODE_ROOT/curl.log"
args=("$@")
n=\${#args[@]}
[ "\${args[n-3]} \${args[n-2]}" = "https://get.k3s.io -o" ] || { echo "stand-in curl: unexpected: $*" >&2; exit 99; }
if [ -e "\$KUBELAB_NODE_ROOT/curl-fail" ]; then echo "curl: (6) Could not resolve host: get.k3s.io" >&2; exit 6; fi
cp '${installScript}' "\${args[n-1]}"
`;
}

import { K3sStepPlan, NODE_TOKEN_FILE } from '../../config/k3s-plan';

/** The official K3s install script (docs.k3s.io, "Quick-Start"). */
export const K3S_INSTALL_SCRIPT_URL = 'https://get.k3s.io';

/** Names of the files kubelab uploads into the node's staging dir. */
export const STAGED = {
  installScript: 'install.sh',
  binary: 'k3s',
  checksums: 'SHA256SUMS',
} as const;

/** Written on the node by each K3s install kubelab ran (what it applied); removed by the uninstall. */
export function appliedMarker(role: 'server' | 'agent'): string {
  return `/var/lib/kubelab/k3s-${role}.applied`;
}

/** Exit status of `--check` when the node needs the install to run. */
export const CHECK_INSTALL_NEEDED = 3;

/** The first word of the line the script prints when it left the node alone. */
export const UNCHANGED_MARK = 'kubelab: unchanged:';

/** The start of the line `--install` prints when it (re)started K3s, which then read its files anew (registries.yaml too). */
export const STARTING_MARK = 'kubelab: (re)starting K3s';

/** curl's limits for the online installer: a dead network fails in seconds, a stalled download in minutes. */
export const DOWNLOAD_CONNECT_TIMEOUT_S = 20;
export const DOWNLOAD_MAX_TIME_S = 300;

export function nodeScriptName(plan: Pick<K3sStepPlan, 'role'>): string {
  return `k3s-${plan.role}.sh`;
}

/** Single-quotes a word for bash. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./:=+@%,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * On an existing machine, the interface flannel carries pod traffic over. Without
 * --flannel-iface, K3s leaves flannel's interface unset (k3s-io/k3s, the agent config:
 * `if len(cfg.FlannelIface) > 0 { nodeConfig.Flannel.Iface, err = net.InterfaceByName(...) }`,
 * overridden only by a VPN), pkg/agent/flannel/setup.go passes that nil on, and
 * pkg/agent/flannel/flannel.go LookupExtInterface takes `if iface == nil` the interface of
 * ip.GetDefaultGatewayInterface() (flannel-io/flannel pkg/ip/iface.go: the first IPv4 route
 * whose Dst is nil or 0.0.0.0/0), whatever --node-ip says. (Read in the newest versions the
 * search index holds; not confirmed at the tag v1.36.4+k3s1, whose snapshot is too large to fetch.) On a machine whose lab address
 * sits on another NIC (a NAT NIC holds the default route), every node would then announce
 * its NAT address to the others. So the script names the interface that holds the node's
 * address whenever the default route leaves through another one; when no interface holds it
 * (the machine is reached through a NAT), it says so and leaves flannel's choice alone.
 */
function existingMachineFlannelIface(address: string): string[] {
  return [
    `# Existing machine: flannel's interface is the one holding ${address} when the default route leaves through another.`,
    `node_address=${shQuote(address)}`,
    `address_iface=$(ip -o -4 addr show 2>/dev/null | awk -v a="$node_address" '{ split($4, p, "/"); if (p[1] == a) { print $2; exit } }' || true)`,
    `default_iface=$(ip -4 route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }' || true)`,
    `if [ -z "$address_iface" ]; then`,
    `  echo "kubelab: note: no network interface on this machine holds $node_address; K3s's flannel uses the default route's interface (\${default_iface:-none})" >&2`,
    `elif [ "$address_iface" != "$default_iface" ]; then`,
    `  install_args+=(--flannel-iface "$address_iface")`,
    `fi`,
  ];
}

/**
 * The bash script the K3s step runs on a node, exactly as `kubelab k3s script` prints it.
 * It holds no secret: the token reaches it on standard input. `images` names the air-gap
 * images tarball uploaded with it (installer-files.ts stagedImagesName), if any.
 */
export function renderK3sNodeScript(plan: K3sStepPlan, options: { images?: string } = {}): string {
  const { node } = plan;
  const script = nodeScriptName(plan);
  const envAssignments = Object.entries(plan.installerEnv).map(([k, v]) => `${k}=${shQuote(v)}`);
  // sudo starts the script with a clean environment: the proxy (config `proxy:`) is handed to curl here and to install.sh below.
  const proxyAssignments = envAssignments.filter((a) => /^(HTTP|HTTPS|NO)_PROXY=/.test(a));
  const fetchInstaller =
    plan.source === 'online'
      ? [
          `# Online install: the official script (it downloads the k3s binary from GitHub and checks its sha256) over the VM's NAT.`,
          `# -S keeps curl's own error (e.g. "Could not resolve host") to quote; the timeouts bound a dead or stalled network.`,
          `url=${K3S_INSTALL_SCRIPT_URL}`,
          `if ! curl_error=$(${proxyAssignments.length ? `env ${proxyAssignments.join(' ')} ` : ''}curl -sS -fL --connect-timeout ${DOWNLOAD_CONNECT_TIMEOUT_S} --max-time ${DOWNLOAD_MAX_TIME_S} "$url" -o "$staging/${STAGED.installScript}" 2>&1); then`,
          `  echo "kubelab: cannot download the K3s installer from $url on ${node.name}: \${curl_error:-curl failed}" >&2`,
          `  echo "kubelab: the node needs internet access over its NAT interface for an online install; without it, install from files on the host:" >&2`,
          `  echo "kubelab: set k3s.installer.source: local with binary: (k3s) and script: (install.sh) from the K3s release ${plan.version} (docs/k3s.md)" >&2`,
          `  exit 1`,
          `fi`,
          `skip_download=false`,
        ]
      : [
          `# Upload install (air-gapped or from the host's cache): kubelab uploaded install.sh and the k3s binary; nothing is downloaded.`,
          `install -D -m 0755 "$staging/${STAGED.binary}" "$k3s_bin"`,
          `skip_download=true`,
        ];
  // What kubelab uploaded is checked before anything is used; the images go where K3s imports them at start, before it starts.
  const uploaded =
    plan.source === 'upload' || options.images
      ? [`# kubelab uploaded these files with their checksums into the staging dir.`, `(cd "$staging" && sha256sum --check --quiet ${STAGED.checksums})`]
      : [];
  const images = options.images
    ? [
        `# Air-gap images (the host's copy of the K3s release's tarball): K3s imports every tarball in this dir at start,`,
        `# so its system images come from here instead of each node pulling them from the registries.`,
        `install -D -m 0644 "$staging/${options.images}" "$root/var/lib/rancher/k3s/agent/images/${options.images}"`,
      ]
    : [];

  return [
    `#!/usr/bin/env bash`,
    `# kubelab: K3s ${plan.role} on ${node.name} (${node.ip}), K3s ${plan.version}, lab "${plan.labName}".`,
    `#`,
    `# kubelab uploads this file over SSH into a fresh staging dir on the node and runs`,
    `#   sudo -n bash <staging>/${script} --check    exit 0: nothing to do; exit ${CHECK_INSTALL_NEEDED}: install needed`,
    `#   sudo -n bash <staging>/${script} --install  with the lab token (the host's .kubelab/k3s-token) on standard input`,
    `# Safe to re-run: a node already at this version with these flags is left alone;`,
    `# a different version in the lab config upgrades K3s in place.`,
    `set -euo pipefail`,
    ``,
    `# Empty on a real node; kubelab's tests point it at a temp dir that plays "/".`,
    `root="\${KUBELAB_NODE_ROOT:-}"`,
    `staging="$(cd "$(dirname "$0")" && pwd)"`,
    ``,
    `version=${shQuote(plan.version)}`,
    `service=${shQuote(plan.service)}`,
    `token_file=${shQuote(NODE_TOKEN_FILE)}`,
    `install_args=(${plan.installArgs.map(shQuote).join(' ')})`,
    ...(node.host ? existingMachineFlannelIface(node.ip) : []),
    `k3s_bin="$root/usr/local/bin/k3s"`,
    `applied_file="$root${appliedMarker(plan.role)}"`,
    `# The files K3s runs from (binary, unit with the flags, env file, token) as they were when kubelab last started it.`,
    `started_file="$root/var/lib/kubelab/k3s-${plan.role}.started"`,
    `unit_file="$root/etc/systemd/system/$service.service"`,
    ``,
    `# What the node runs once this step is done; a re-run compares it with what was applied last time.`,
    `desired="version=$version`,
    `args=\${install_args[*]}`,
    `env=${envAssignments.join(' ')}"`,
    ``,
    `# Hashes of what K3s runs from; a changed one means the running K3s is not what is installed.`,
    `run_files() { sha256sum "$k3s_bin" "$unit_file" "$unit_file.env" "$root$token_file" 2>&1 || true; }`,
    ``,
    `# The first line of \`k3s --version\`, read whole: a pipe into head/grep would kill k3s with SIGPIPE (a failure under pipefail).`,
    `binary_version() {`,
    `  local out`,
    `  out=$("$k3s_bin" --version 2>/dev/null) || return 1`,
    `  printf '%s\\n' "\${out%%$'\\n'*}"`,
    `}`,
    ``,
    `up_to_date() {`,
    `  [ -x "$k3s_bin" ] && [ -f "$applied_file" ] && [ "$(cat "$applied_file")" = "$desired" ] &&`,
    `    [[ "$(binary_version)" == "k3s version $version "* ]] &&`,
    `    [ -f "$started_file" ] && [ "$(cat "$started_file")" = "$(run_files)" ] &&`,
    `    systemctl is-active --quiet "$service"`,
    `}`,
    ``,
    `if up_to_date; then`,
    `  echo "${UNCHANGED_MARK} K3s $version ($service) on ${node.name} already runs with these flags; nothing to do"`,
    `  exit 0`,
    `fi`,
    `if [ "\${1:-}" = --check ]; then`,
    `  echo "kubelab: K3s $version ($service) on ${node.name}: install needed"`,
    `  exit ${CHECK_INSTALL_NEEDED}`,
    `fi`,
    ``,
    `# The lab token arrives on standard input, never as an argument (arguments show in ps).`,
    `umask 077`,
    `mkdir -p "$root$(dirname "$token_file")"`,
    `cat > "$root$token_file.new"`,
    `[ -s "$root$token_file.new" ] || { echo "kubelab: no token on standard input" >&2; exit 1; }`,
    `mv "$root$token_file.new" "$root$token_file"`,
    `exec </dev/null`,
    `umask 022`,
    ``,
    ...uploaded,
    ...images,
    ...fetchInstaller,
    ``,
    `# The installer writes the systemd unit ($service) with these arguments and copies the K3S_* variables into its`,
    `# env file (mode 0600). It does not start K3s (INSTALL_K3S_SKIP_START): install.sh starts it only when the`,
    `# binary, unit or env file changed during its own run, so a binary put in place before it, or a K3s that was`,
    `# stopped, would be left as it is ("No change detected so skipping service start"). kubelab starts it below.`,
    `env INSTALL_K3S_VERSION="$version" INSTALL_K3S_BIN_DIR="$root/usr/local/bin" INSTALL_K3S_SKIP_DOWNLOAD="$skip_download" INSTALL_K3S_SKIP_START=true \\`,
    `  ${envAssignments.join(' ')} \\`,
    `  sh "$staging/${STAGED.installScript}" "\${install_args[@]}"`,
    ``,
    ...(plan.source === 'online'
      ? [`# A copy for the host's cache: kubelab fetches install.sh and this binary from the staging dir.`, `cp "$k3s_bin" "$staging/${STAGED.binary}"`, ``]
      : []),
    `mkdir -p "$(dirname "$applied_file")"`,
    `printf '%s\\n' "$desired" > "$applied_file"`,
    ``,
    `# (Re)start K3s when what it runs from changed since kubelab last started it, or when it is not running.`,
    `# --no-block: the unit is Type=notify with TimeoutStartSec=0, so a K3s that never reports ready (an agent`,
    `# that cannot reach the server) would block here forever; kubelab waits for it with a deadline instead.`,
    `now=$(run_files)`,
    `if [ -f "$started_file" ] && [ "$(cat "$started_file")" = "$now" ] && systemctl is-active --quiet "$service"; then`,
    `  echo "kubelab: K3s $version ($service) on ${node.name} already runs these files; not restarted"`,
    `else`,
    `  systemctl reset-failed "$service" 2>/dev/null || true`,
    `  systemctl restart --no-block "$service"`,
    `  printf '%s\\n' "$now" > "$started_file"`,
    `  echo "${STARTING_MARK} $version ($service) on ${node.name}"`,
    `fi`,
    `echo "kubelab: installed K3s $version ($service) on ${node.name}"`,
    ``,
  ].join('\n');
}

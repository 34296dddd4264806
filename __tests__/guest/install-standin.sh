#!/bin/sh
# STAND-IN for K3s's install.sh inside the test guests (`npm run test:guest`) — not the
# published script, but its behaviour towards the node, step by step, in the same order
# (k3s-io/k3s install.sh, the version stored for the search tools at commit 0136cf25;
# not confirmed to be the tag v1.36.4+k3s1, whose snapshot is too large to fetch here):
#   verify_system      fails without systemctl ("Can not find systemd or openrc ...")
#   setup_env          the command is $1, else agent when K3S_URL is set (then K3S_TOKEN or
#                      K3S_TOKEN_FILE is required), else server; the unit is k3s for a server,
#                      k3s-<command> otherwise; BIN_DIR is INSTALL_K3S_BIN_DIR or /usr/local/bin;
#                      the unit and its env file live in /etc/systemd/system; it records
#                      PRE_INSTALL_HASHES = sha256sum of the binary, the unit and the env file
#   download_and_verify  with INSTALL_K3S_SKIP_DOWNLOAD=true only checks that BIN_DIR/k3s is
#                      executable ("Executable k3s binary not found at ..."); this stand-in
#                      does not download (the test guests have no internet)
#   create_symlinks    kubectl, crictl, ctr -> k3s when absent and not elsewhere on PATH
#   create_uninstall   <unit>-uninstall.sh (here only its systemd part and the files)
#   systemd_disable    disables the unit, removes the unit and env file
#   create_env_file    env file mode 0600 with every K3S_* and CONTAINERD_* variable, then the
#                      NO/HTTP/HTTPS_PROXY ones (install.sh takes them from `sh -c export`, so its
#                      lines read NAME='value'; this stand-in writes env's NAME=value, which systemd's
#                      EnvironmentFile= reads the same)
# Not followed: openrc, SELinux, INSTALL_K3S_NAME/TYPE/SYMLINK/BIN_DIR_READ_ONLY, the killall
# script, the iptables clean-up before a start, and any download.
#   create_systemd_service_file  Type=notify, EnvironmentFile=-<env file>, KillMode=process,
#                      Delegate=yes, TimeoutStartSec=0, Restart=always, RestartSec=5s,
#                      ExecStart=BIN_DIR/k3s <command> <args>
#   service_enable_and_start  INSTALL_K3S_SKIP_ENABLE=true: stop; else enable + daemon-reload;
#                      INSTALL_K3S_SKIP_START=true: stop; else when the hashes equal the
#                      PRE_INSTALL_HASHES (and INSTALL_K3S_FORCE_RESTART is not true) prints
#                      "No change detected so skipping service start" and does not start;
#                      otherwise `systemctl restart <unit>` (blocks until READY=1: Type=notify)
set -e

info() { echo "[INFO]  $*"; }
fatal() { echo "[ERROR]  $*" >&2; exit 1; }

[ -x /bin/systemctl ] || command -v systemctl >/dev/null 2>&1 || fatal 'Can not find systemd or openrc to use as a process supervisor for k3s'

case "$1" in
  -*|'')
    if [ -z "$K3S_URL" ]; then
      cmd=server
    else
      [ -n "$K3S_TOKEN" ] || [ -n "$K3S_TOKEN_FILE" ] || fatal "Defaulted k3s exec command to 'agent' because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined."
      cmd=agent
    fi ;;
  *) cmd=$1; shift ;;
esac
if [ "$cmd" = server ]; then name=k3s; else name=k3s-$cmd; fi
bin_dir=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
unit=/etc/systemd/system/$name.service
env_file=$unit.env
installed_hashes() { sha256sum "$bin_dir/k3s" "$unit" "$env_file" 2>&1 || true; }
pre_hashes=$(installed_hashes)

if [ "$INSTALL_K3S_SKIP_DOWNLOAD" = true ]; then
  info 'Skipping k3s download and verify'
  [ -x "$bin_dir/k3s" ] || fatal "Executable k3s binary not found at $bin_dir/k3s"
else
  fatal 'stand-in install.sh: downloading is not part of this stand-in (set INSTALL_K3S_SKIP_DOWNLOAD=true)'
fi

for c in kubectl crictl ctr; do
  if [ ! -e "$bin_dir/$c" ] && [ -z "$(command -v "$c" 2>/dev/null || true)" ]; then
    info "Creating $bin_dir/$c symlink to k3s"
    ln -sf k3s "$bin_dir/$c"
  fi
done

cat >"$bin_dir/$name-uninstall.sh" <<EOF
#!/bin/sh
# Left by the install.sh STAND-IN (test guests).
systemctl stop $name || true
systemctl disable $name || true
systemctl reset-failed $name || true
rm -f $unit $env_file
systemctl daemon-reload
rm -f $bin_dir/k3s $bin_dir/kubectl $bin_dir/crictl $bin_dir/ctr $bin_dir/$name-uninstall.sh
rm -rf /etc/rancher/k3s /var/lib/rancher/k3s
EOF
chmod 755 "$bin_dir/$name-uninstall.sh"

systemctl disable "$name" >/dev/null 2>&1 || true
rm -f "$unit" "$env_file"

info "env: Creating environment file $env_file"
touch "$env_file"
chmod 0600 "$env_file"
env | grep -E '^(K3S|CONTAINERD)_' >"$env_file" || true
env | grep -Ei '^(NO|HTTP|HTTPS)_PROXY' >>"$env_file" || true

info "systemd: Creating service file $unit"
{
  echo '[Unit]'
  echo 'Description=Lightweight Kubernetes (install.sh stand-in)'
  echo 'Wants=network-online.target'
  echo 'After=network-online.target'
  echo
  echo '[Install]'
  echo 'WantedBy=multi-user.target'
  echo
  echo '[Service]'
  echo 'Type=notify'
  echo "EnvironmentFile=-$env_file"
  echo 'KillMode=process'
  echo 'Delegate=yes'
  echo 'TimeoutStartSec=0'
  echo 'Restart=always'
  echo 'RestartSec=5s'
  printf 'ExecStart=%s/k3s %s' "$bin_dir" "$cmd"
  for a in "$@"; do printf " '%s'" "$a"; done
  echo
} >"$unit"

[ "$INSTALL_K3S_SKIP_ENABLE" = true ] && exit 0
info "systemd: Enabling $name unit"
systemctl enable "$unit" >/dev/null
systemctl daemon-reload >/dev/null
[ "$INSTALL_K3S_SKIP_START" = true ] && exit 0
if [ "$pre_hashes" = "$(installed_hashes)" ] && [ "$INSTALL_K3S_FORCE_RESTART" != true ]; then
  info 'No change detected so skipping service start'
  exit 0
fi
info "systemd: Starting $name"
systemctl restart "$name"

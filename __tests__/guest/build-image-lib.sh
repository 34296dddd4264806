# shellcheck shell=bash
# Sourced by build-image.sh and build-image-arm64.sh: what both test-guest recipes share.
# Each recipe's cache folder is named after a hash of the recipe and of this file.

# guest_recipe_hash <recipe>: 16 hex digits naming the recipe's cache folder.
guest_recipe_hash() {
  cat "$1" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16
}

# guest_private_mounts <recipe> <args...>: re-runs the recipe in a mount namespace of its own, so
# what debootstrap mounts in the guest's root (proc, sys) is never seen by this machine and is gone
# when the build's last process ends, even one killed with SIGKILL.
guest_private_mounts() {
  if [ -z "${KUBELAB_GUEST_BUILD_PRIVATE_MOUNTS:-}" ]; then
    KUBELAB_GUEST_BUILD_PRIVATE_MOUNTS=1 exec unshare --mount --propagation private bash "$@"
  fi
}

# The mirror this machine's apt already uses (deb822 .sources or one-line sources.list); empty
# means debootstrap's own default.
guest_mirror() {
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'
  } | grep -v -- '-security' | grep -m1 '/debian/\?$' || true
}

# What the guest runs besides its kernel: systemd, cloud-init (NoCloud seed, netplan), sshd, and
# the tools kubelab's scripts call in the guest.
# shellcheck disable=SC2034 # used by the recipes that source this file
guest_packages=(
  systemd-sysv udev dbus kmod
  cloud-init netplan.io openssh-server sudo iproute2 procps curl ca-certificates
  # cloud-init does not finish without these on a debootstrapped system
  python3-cffi-backend locales e2fsprogs
)

# Mount points at or below $1 as this mount namespace sees them, deepest first
# (findmnt -r writes blanks and other unsafe characters as \xHH escapes).
guest_mounts_below() {
  local dir=$1 target
  findmnt -rn -o TARGET | while IFS= read -r target; do
    target=$(printf '%b' "$target")
    case "$target" in "$dir" | "$dir"/*) printf '%s\n' "$target" ;; esac
  done | sort -r
}

# guest_remove_tree <dir>: unmounts everything mounted at or below <dir>, then removes it, never
# crossing into another file system. Refuses (and keeps <dir>) while anything stays mounted there:
# `rm -r` would descend into a proc, sys or bind-mounted /dev.
guest_remove_tree() {
  local dir mount left
  [ -e "$1" ] || return 0
  dir=$(readlink -f "$1")
  while IFS= read -r mount; do
    [ -z "$mount" ] || umount "$mount" || true
  done < <(guest_mounts_below "$dir")
  left=$(guest_mounts_below "$dir")
  if [ -n "$left" ]; then
    echo "build-image: not removing $dir: still mounted below it: ${left//$'\n'/, }" >&2
    return 1
  fi
  rm -rf --one-file-system -- "$dir"
}

# guest_build_dir <cache root> <name>: makes the build's scratch folder ($work, root file system in
# $root) and removes it (guest_remove_tree) however the script ends. A signal stops the running
# step (guest_step) and every process it started before the scratch folder goes.
guest_build_dir() {
  work=$(mktemp -d "$1/$2.XXXXXX")
  root="$work/root"
  guest_step_pid=
  trap 'guest_remove_tree "$work"' EXIT
  trap 'guest_stop_step; exit 130' INT
  trap 'guest_stop_step; exit 143' TERM
  trap 'guest_stop_step; exit 129' HUP
}

guest_stop_step() {
  [ -n "$guest_step_pid" ] || return 0
  kill -TERM -- "-$guest_step_pid" 2>/dev/null || true
  wait "$guest_step_pid" 2>/dev/null || true
  # Whatever ignored TERM in the step's process group.
  kill -KILL -- "-$guest_step_pid" 2>/dev/null || true
  guest_step_pid=
}

# guest_step <log> <command...>: runs a build step in a process group of its own with its output in
# <log>; on failure shows the log's end. Run in the background and waited for, so a signal to the
# build is handled at once (guest_build_dir's traps) rather than after the step.
guest_step() {
  local log=$1 status=0
  shift
  setsid "$@" >"$log" 2>&1 &
  guest_step_pid=$!
  wait "$guest_step_pid" || status=$?
  guest_step_pid=
  if [ "$status" -ne 0 ]; then
    echo "build-image: $* failed (exit $status):" >&2
    tail -n 30 "$log" >&2
  fi
  return "$status"
}

# guest_finish_root: the cloud guest's configuration, the same on every architecture.
guest_finish_root() {
  cat >"$root/etc/fstab" <<'FSTAB'
LABEL=kubelab-root / ext4 defaults,errors=remount-ro 0 1
FSTAB
  echo 'en_US.UTF-8 UTF-8' >"$root/etc/locale.gen"
  chroot "$root" locale-gen >/dev/null
  echo 'LANG=en_US.UTF-8' >"$root/etc/default/locale"
  # Only the seed ISO (NoCloud) is looked at; the disk fills the file system already.
  cat >"$root/etc/cloud/cloud.cfg.d/90-kubelab-test-guest.cfg" <<'CFG'
datasource_list: [NoCloud, None]
growpart: {mode: "off"}
resize_rootfs: false
CFG
  # A fresh identity per clone: cloud-init writes the hostname and new SSH host keys.
  rm -f "$root"/etc/ssh/ssh_host_*
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  echo localhost >"$root/etc/hostname"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/*
}

# guest_root_disk <raw file>: the root file system filling the whole disk (no partition table).
# mkfs.ext4 says "Creating regular file" on stdout even with -q: the recipes' stdout is the result.
guest_root_disk() {
  mkfs.ext4 -q -L kubelab-root -d "$root" "$1" 4G >&2
}

# guest_publish <out> <files in $work...>: moves the result into the recipe's cache folder.
guest_publish() {
  local out=$1
  shift
  mkdir -p "$out"
  (cd "$work" && mv "$@" "$out/")
  touch "$out/done"
  echo "$out"
}

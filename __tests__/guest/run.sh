#!/usr/bin/env bash
# `npm run test:guest` (and `npm run test:joined`, with KUBELAB_GUEST_JEST_CONFIG naming its jest config): builds (or reuses) the test guest image with network access, then
# runs the guest suite inside a network namespace of its own that has only loopback; the
# qemu-backed VBoxManage stand-in adds the host-only bridge (192.168.56.1) and taps there,
# so no packet to a node address can leave this machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
jest_config=${KUBELAB_GUEST_JEST_CONFIG:-__tests__/guest/jest.config.js}
cache=${KUBELAB_TEST_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab-test-guest}
missing=()
for tool in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4 unshare ip; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "$(id -u)" -eq 0 ] || missing+=("root (debootstrap, chroot, network namespace)")
if [ "${#missing[@]}" -gt 0 ]; then
  # The suite then reports itself skipped with this reason (failed under KUBELAB_REQUIRE_TOOLS=1).
  export KUBELAB_TEST_GUEST_MISSING="${missing[*]}"
  exec npx jest --config "$jest_config" "$@"
fi
mkdir -p "$cache"
started=$SECONDS
KUBELAB_TEST_GUEST_DIR=$(__tests__/guest/build-image.sh "$cache")
export KUBELAB_TEST_GUEST_DIR
echo "test guest image: $KUBELAB_TEST_GUEST_DIR (ready after $((SECONDS - started)) s)"
exec unshare --net sh -c 'ip link set lo up && exec npx jest --config "$0" "$@"' "$jest_config" "$@"

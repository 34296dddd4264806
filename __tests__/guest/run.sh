#!/usr/bin/env bash
# `npm run test:guest` (and `npm run test:joined` / `npm run test:machines` / `npm run measure:joins`: run.sh
# --joined / --machines / --measure-joins pick their jest config; KUBELAB_GUEST_JEST_CONFIG names another): builds (or reuses) the test guest image with network access, then
# runs the guest suite inside a network namespace of its own that has only loopback; the
# qemu-backed VBoxManage stand-in adds the host-only bridge (192.168.56.1) and taps there,
# so no packet to a node address can leave this machine.
# `npm run test:guest:arm64` (run.sh --arm64): the same for the arm64 suite, with the arm64
# guest image (build-image-arm64.sh) booted under qemu-system-aarch64.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The suite is an argument, not a variable set in the npm script, so the script's text is the
# same in every shell npm may use (cmd has no `VAR=value command`).
case "${1:-}" in
  --joined) shift; default_config=__tests__/guest/jest.joined.config.js ;;
  --machines) shift; default_config=__tests__/guest/jest.machines.config.js ;;
  --measure-joins) shift; default_config=__tests__/guest/jest.measure.config.js ;;
  *) default_config=__tests__/guest/jest.config.js ;;
esac
jest_config=${KUBELAB_GUEST_JEST_CONFIG:-$default_config}
cache=${KUBELAB_TEST_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab-test-guest}
if [ "${1:-}" = "--arm64" ]; then
  shift
  tools=(qemu-system-aarch64 qemu-aarch64-static update-binfmts qemu-img debootstrap mkfs.ext4 cpio unshare ip)
  build=__tests__/guest/build-image-arm64.sh
  dir_var=KUBELAB_TEST_GUEST_ARM64_DIR
  suite=(__tests__/guest/lab-guests-arm64.guest.ts)
  [ -f /usr/share/qemu-efi-aarch64/QEMU_EFI.fd ] || missing_firmware=1
else
  tools=(qemu-system-x86_64 qemu-img debootstrap mkfs.ext4 unshare ip)
  build=__tests__/guest/build-image.sh
  dir_var=KUBELAB_TEST_GUEST_DIR
  suite=(--testPathIgnorePatterns arm64)
fi
missing=()
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -z "${missing_firmware:-}" ] || missing+=("qemu-efi-aarch64 (/usr/share/qemu-efi-aarch64/QEMU_EFI.fd)")
[ "$(id -u)" -eq 0 ] || missing+=("root (debootstrap, chroot, network namespace)")
if [ "${#missing[@]}" -gt 0 ]; then
  # The suite then reports itself skipped with this reason (failed under KUBELAB_REQUIRE_TOOLS=1).
  export KUBELAB_TEST_GUEST_MISSING="${missing[*]}"
  exec npx jest --config "$jest_config" "${suite[@]}" "$@"
fi
mkdir -p "$cache"
started=$SECONDS
guest_dir=$("$build" "$cache")
export "$dir_var=$guest_dir"
echo "test guest image: $guest_dir (ready after $((SECONDS - started)) s)"
exec unshare --net sh -c 'ip link set lo up && exec npx jest --config "$0" "$@"' "$jest_config" "${suite[@]}" "$@"

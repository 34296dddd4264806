import { NodeSession } from '../ssh/client';

/**
 * A path on the node as a shell word. Real nodes have KUBELAB_NODE_ROOT unset, so this is
 * the path itself; kubelab's tests set it so a fake node keeps its "/" in a temp dir.
 */
export function onNode(absolutePath: string): string {
  return `"\${KUBELAB_NODE_ROOT:-}"${absolutePath}`;
}

/** A fresh private dir on the node for one step's uploads (mktemp -d: mode 0700, owned by the login user). */
export async function withStagingDir<T>(session: NodeSession, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = (await session.run('mktemp -d "${TMPDIR:-/tmp}/kubelab.XXXXXXXX"', { label: 'creating a staging dir' })).stdout.trim();
  try {
    return await use(dir);
  } finally {
    // Files the install copied in as root sit in the login user's own dir, so the user may remove them.
    await session.exec(`rm -rf '${dir}'`).catch(() => undefined);
  }
}

/** sudo that fails at once instead of waiting for a password nobody can type (cloud-init gives kubelab passwordless sudo). */
export const SUDO = 'sudo -n';

/** K3s's kubectl on the server node, as root (the admin kubeconfig is mode 0600). */
export function kubectlCommand(args: string): string {
  return `${SUDO} k3s kubectl ${args}`;
}

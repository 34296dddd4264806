/**
 * The Ubuntu 24.04 ("noble") amd64 cloud image as a VirtualBox appliance, and the
 * SHA256SUMS published beside it. KUBELAB_IMAGE_BASE_URL points elsewhere (a mirror,
 * or the tests' local server).
 */
export const UBUNTU_IMAGE_BASE_URL = 'https://cloud-images.ubuntu.com/noble/current/';
export const UBUNTU_OVA_FILE = 'noble-server-cloudimg-amd64.ova';

export interface ImageSource {
  readonly url: string;
  readonly sumsUrl: string;
  readonly fileName: string;
}

export function ubuntuImageSource(env: NodeJS.ProcessEnv = process.env): ImageSource {
  const base = env.KUBELAB_IMAGE_BASE_URL || UBUNTU_IMAGE_BASE_URL;
  const dir = base.endsWith('/') ? base : `${base}/`;
  return { url: new URL(UBUNTU_OVA_FILE, dir).toString(), sumsUrl: new URL('SHA256SUMS', dir).toString(), fileName: UBUNTU_OVA_FILE };
}

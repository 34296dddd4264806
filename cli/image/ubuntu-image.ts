import { NodeArch, hostPlatform, nodeArch } from './host-arch';

/**
 * The Ubuntu 24.04 ("noble") cloud image for the nodes' architecture, and the SHA256SUMS
 * published beside it (cloud-images.ubuntu.com/noble/current/): amd64 as a VirtualBox
 * appliance (OVA), arm64 only as a qcow2 disk image. KUBELAB_IMAGE_BASE_URL points
 * elsewhere (a mirror, or the tests' local server).
 */
export const UBUNTU_IMAGE_BASE_URL = 'https://cloud-images.ubuntu.com/noble/current/';
export const UBUNTU_OVA_FILE = 'noble-server-cloudimg-amd64.ova';
export const UBUNTU_ARM64_IMG_FILE = 'noble-server-cloudimg-arm64.img';

export interface ImageSource {
  readonly url: string;
  readonly sumsUrl: string;
  readonly fileName: string;
  /** How the image is packaged: an appliance kubelab imports, or a qcow2 disk kubelab builds a VM around. */
  readonly format: 'ova' | 'qcow2';
  readonly arch: NodeArch;
}

export function ubuntuImageSource(env: NodeJS.ProcessEnv = process.env, arch: NodeArch = nodeArch(hostPlatform(env))): ImageSource {
  const base = env.KUBELAB_IMAGE_BASE_URL || UBUNTU_IMAGE_BASE_URL;
  const dir = base.endsWith('/') ? base : `${base}/`;
  const fileName = arch === 'arm64' ? UBUNTU_ARM64_IMG_FILE : UBUNTU_OVA_FILE;
  return {
    url: new URL(fileName, dir).toString(),
    sumsUrl: new URL('SHA256SUMS', dir).toString(),
    fileName,
    format: arch === 'arm64' ? 'qcow2' : 'ova',
    arch,
  };
}

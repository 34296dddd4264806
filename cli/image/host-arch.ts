import { KubelabError } from '../errors';

/**
 * Why this host cannot run the lab's image, or undefined when it can. Checked before
 * anything is downloaded (the image is about 600 MB).
 */
export function arm64Refusal(arch: string): string | undefined {
  if (arch !== 'arm64') return undefined;
  return 'this host has an arm64 CPU (Apple Silicon or another ARM machine): kubelab nodes are the amd64 Ubuntu cloud image, which VirtualBox on arm64 cannot run. Use an x86-64 (Intel/AMD) computer';
}

/** Stops the image download/import on a host that cannot run the image. */
export function assertHostRunsImage(arch: string = process.arch): void {
  const refusal = arm64Refusal(arch);
  if (refusal) throw new KubelabError(`${refusal}; nothing was downloaded`);
}

import { execFileSync } from 'child_process';
import { KubelabError } from '../errors';

/** The CPU architecture of the lab's nodes: VirtualBox runs guests of the host's own architecture only. */
export type NodeArch = 'amd64' | 'arm64';

/** What decides which nodes a host can run. */
export interface HostPlatform {
  readonly platform: NodeJS.Platform;
  /** The machine's CPU as Node names it (x64, arm64): the real CPU, also under Rosetta (see hostPlatform). */
  readonly arch: string;
}

/**
 * VirtualBox on arm64 hosts. Facts and where they were read:
 * - macOS/Arm hosts are generally available since VirtualBox 7.1 and run arm64 guests only;
 *   minikube's VirtualBox driver requires ≥ 7.1 there and recommends 7.2
 *   (kubernetes/minikube PR #22861, validated with 7.2.6 on macOS 26.4).
 * - Windows on Arm: VirtualBox 7.2 ships an Arm64 Windows host build; it uses Hyper-V's API
 *   exclusively, which Windows 11 24H2 (build 26100) lacks, and VMs fail to start there
 *   (VirtualBox/virtualbox issue #8, answer by a VirtualBox developer, 7.2.0 beta); later
 *   reports still crash (issue #671, 7.2.4). kubelab has not been proven there.
 * - Linux on arm64: VirtualBox publishes no Linux/Arm64 host package, and its 7.2.16 sources
 *   do not build on aarch64 Linux (x86-only assembly in the hardened launcher,
 *   VirtualBox/virtualbox issue #831).
 */
export const ARM64_HOSTS = {
  minVirtualBox: [7, 1] as const,
  recommendedVirtualBox: [7, 2] as const,
  windows:
    'VirtualBox 7.2 runs Windows on Arm hosts only through Hyper-V APIs that Windows 11 24H2 (build 26100) does not have, and VMs fail to start there (VirtualBox/virtualbox issue #8); kubelab is not proven on Windows on Arm',
  linux:
    'VirtualBox publishes no Linux host package for arm64 CPUs (its 7.2 sources do not even build on aarch64 Linux: VirtualBox/virtualbox issue #831), so kubelab cannot run on this Linux arm64 host',
} as const;

/** The architecture of the lab's nodes on this host (the host's own). */
export function nodeArch(host: HostPlatform): NodeArch {
  return host.arch === 'arm64' ? 'arm64' : 'amd64';
}

/**
 * Why this host cannot run the lab's VMs, or undefined when it can. Checked before
 * anything is downloaded (the image is about 600 MB).
 */
export function hostRefusal(host: HostPlatform): string | undefined {
  if (host.arch !== 'arm64') return undefined;
  if (host.platform === 'linux') return ARM64_HOSTS.linux;
  if (host.platform === 'win32') return `this is a Windows on Arm computer: ${ARM64_HOSTS.windows}. Use an Apple Silicon Mac or an x86-64 (Intel/AMD) computer`;
  return undefined;
}

/**
 * The host as VirtualBox sees it. A Node built for x64 running under Rosetta 2 on an Apple
 * Silicon Mac says process.arch 'x64', but VirtualBox on that Mac is the arm64 build running
 * arm64 guests: sysctl.proc_translated is 1 for a translated process (Apple, "About the
 * Rosetta translation environment"). KUBELAB_HOST_ARCH (amd64 or arm64) and
 * KUBELAB_HOST_PLATFORM (darwin, linux, win32) override it: the arm64 guest suite drives an
 * Apple Silicon Mac's path on a Linux amd64 machine with them.
 */
export function hostPlatform(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, arch: string = process.arch): HostPlatform {
  const forcedPlatform = env.KUBELAB_HOST_PLATFORM;
  if (forcedPlatform !== undefined && forcedPlatform !== '') {
    if (forcedPlatform !== 'darwin' && forcedPlatform !== 'linux' && forcedPlatform !== 'win32') {
      throw new KubelabError(`KUBELAB_HOST_PLATFORM=${JSON.stringify(forcedPlatform)} is not a host platform kubelab knows; allowed: darwin, linux, win32 (or unset)`);
    }
    platform = forcedPlatform;
  }
  const forced = env.KUBELAB_HOST_ARCH;
  if (forced !== undefined && forced !== '') {
    if (forced !== 'amd64' && forced !== 'arm64') throw new KubelabError(`KUBELAB_HOST_ARCH=${JSON.stringify(forced)} is not a host architecture kubelab knows; allowed: amd64, arm64 (or unset)`);
    return { platform, arch: forced === 'amd64' ? 'x64' : 'arm64' };
  }
  if (platform === 'darwin' && arch === 'x64' && runsUnderRosetta()) return { platform, arch: 'arm64' };
  return { platform, arch };
}

function runsUnderRosetta(): boolean {
  try {
    return execFileSync('sysctl', ['-n', 'sysctl.proc_translated'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === '1';
  } catch {
    // Intel Macs have no such sysctl: not translated.
    return false;
  }
}

/** Stops the image download/import on a host that cannot run the lab's VMs. */
export function assertHostRunsImage(host: HostPlatform = hostPlatform()): void {
  const refusal = hostRefusal(host);
  if (refusal) throw new KubelabError(`${refusal}; nothing was downloaded`);
}

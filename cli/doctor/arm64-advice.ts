import { ARM64_HOSTS } from '../image/host-arch';
import { HostAdvice } from './host-advice';

/**
 * VirtualBox 7.2.10 on macOS 26 (Apple Silicon) can fail to start a VM attached to a
 * host-only network: "vmnet_start_interface returned 1001 (VERR_INVALID_PARAMETER)" then
 * "Failed to attach the network LUN" (VirtualBox/virtualbox issue #727, open; reported with
 * 7.2.10 on macOS Tahoe 26.5.1, M5 Pro, Ubuntu 24.04 arm64 guest; the reporter's Intel Mac
 * with 7.2.4 kept running its VMs). No fix or workaround is published there.
 */
export const VMNET_ATTACH_FAILURE = /vmnet_start_interface returned|Failed to attach the network LUN/;
export const VMNET_AFFECTED: readonly number[] = [7, 2, 10];

export const VMNET_ATTACH_ADVICE: HostAdvice = {
  problem:
    "VirtualBox could not attach the VM to the lab's host-only network (macOS vmnet refused it: VirtualBox/virtualbox issue #727, seen with VirtualBox 7.2.10 on macOS 26, not fixed yet)",
  fix: 'install a VirtualBox 7.2 release other than 7.2.10 from https://www.virtualbox.org/wiki/Downloads (the issue names 7.2.10 only), restart the Mac, and follow https://github.com/VirtualBox/virtualbox/issues/727 for a fix',
};

/** What doctor says about VirtualBox on an arm64 host (Apple Silicon), given its version. */
export function arm64VirtualBoxAdvice(version: readonly number[], platform: NodeJS.Platform): { level: 'ok' | 'warn' | 'fail'; message: string; fix?: string }[] {
  const [min, rec] = [ARM64_HOSTS.minVirtualBox, ARM64_HOSTS.recommendedVirtualBox];
  const below = (v: readonly number[], m: readonly number[]) => v[0] < m[0] || (v[0] === m[0] && v[1] < m[1]);
  const shown = version.join('.');
  const found: { level: 'ok' | 'warn' | 'fail'; message: string; fix?: string }[] = [];
  if (below(version, min)) {
    found.push({
      level: 'fail',
      message: `VirtualBox ${shown} cannot run arm64 VMs on this arm64 host: that needs VirtualBox ${min.join('.')} or later`,
      fix: `install VirtualBox ${rec.join('.')} for ${platform === 'darwin' ? 'macOS / Apple Silicon hosts' : 'this host'} from https://www.virtualbox.org/wiki/Downloads`,
    });
    return found;
  }
  if (below(version, rec)) {
    found.push({ level: 'warn', message: `VirtualBox ${shown} runs arm64 VMs, but ${rec.join('.')} is recommended on arm64 hosts`, fix: `upgrade to VirtualBox ${rec.join('.')}` });
  } else found.push({ level: 'ok', message: `VirtualBox ${shown} runs the lab's arm64 Ubuntu VMs on this arm64 host` });
  if (platform === 'darwin' && version.join('.') === VMNET_AFFECTED.join('.')) {
    found.push({ level: 'warn', message: `VirtualBox ${shown} on macOS: ${VMNET_ATTACH_ADVICE.problem}`, fix: VMNET_ATTACH_ADVICE.fix });
  }
  return found;
}

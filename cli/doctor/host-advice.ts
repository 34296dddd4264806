/**
 * What to tell the user about host problems that stop VirtualBox from starting VMs.
 * `kubelab doctor` and a failed `startvm` (its VERR_* code) give the same advice.
 */

/** VirtualBox from which the old `kvm.enable_virt_at_load=0` workaround breaks VMs. */
export const VBOX_KVM_COEXIST: [number, number, number] = [7, 2, 10];

export interface HostAdvice {
  readonly problem: string;
  readonly fix: string;
}

export type KvmParameter = 'Y' | 'N' | undefined;

function atLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

/**
 * Linux 6.12+ loads KVM with VT-x/AMD-V switched on (kvm.enable_virt_at_load=Y), which
 * VirtualBox before 7.2.10 cannot share (VERR_VMX_IN_VMX_ROOT_MODE, VERR_SVM_IN_USE;
 * VirtualBox/virtualbox issues #141, #81). From 7.2.10 VirtualBox runs beside a loaded
 * KVM with the default Y, and the old workaround enable_virt_at_load=N makes it fail
 * with VERR_SVM_HOST_SVME_NOT_ENABLED (VirtualBox/virtualbox issue #711). Returns
 * undefined when this combination works.
 */
export function kvmConflict(modules: readonly string[], parameter: KvmParameter, vbox?: readonly number[]): HostAdvice | undefined {
  if (modules.length === 0 || parameter === undefined) return undefined;
  const loaded = modules.join(' and ');
  const unload = `sudo modprobe -r ${modules.join(' ')} kvm`;
  const newVbox = vbox === undefined ? undefined : atLeast(vbox, VBOX_KVM_COEXIST);
  const at = VBOX_KVM_COEXIST.join('.');
  if (parameter === 'Y' && newVbox !== true) {
    return {
      problem: `${loaded} is loaded and holds VT-x/AMD-V (kvm enable_virt_at_load=Y, Linux 6.12 and later): VirtualBox${vbox ? ` ${vbox.join('.')}` : ''} cannot start VMs beside it (VERR_VMX_IN_VMX_ROOT_MODE / VERR_SVM_IN_USE)`,
      fix: `upgrade to VirtualBox ${at} or later; or unload KVM now (${unload}) and keep it off with the line "options kvm enable_virt_at_load=0" in /etc/modprobe.d/kvm-virtualbox.conf, then reboot`,
    };
  }
  if (parameter === 'N' && newVbox !== false) {
    return {
      problem: `${loaded} is loaded with kvm enable_virt_at_load=N (the workaround for VirtualBox before ${at}): VirtualBox${vbox ? ` ${vbox.join('.')}` : ` ${at} and later`} then fails to start VMs (VERR_SVM_HOST_SVME_NOT_ENABLED)`,
      fix: `remove "enable_virt_at_load=0" from /etc/modprobe.d (grep -r enable_virt_at_load /etc/modprobe.d) and from the kernel command line, then reboot; or unload KVM now: ${unload}`,
    };
  }
  return undefined;
}

/** The Linux kernel module of VirtualBox is not loaded (the VBox.sh wrapper's WARNING, or VERR_VM_DRIVER_NOT_INSTALLED). */
export const KERNEL_MODULE_ADVICE: HostAdvice = {
  problem: 'the VirtualBox kernel module (vboxdrv) is not loaded, so no VM can start; this is common after a kernel update',
  fix: 'install the headers of the running kernel (Debian/Ubuntu: sudo apt install linux-headers-$(uname -r)), then run sudo /sbin/vboxconfig; with Secure Boot on, sign the modules (docs/virtualbox.md)',
};

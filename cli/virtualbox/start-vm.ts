import { VMNET_ATTACH_ADVICE, VMNET_ATTACH_FAILURE } from '../doctor/arm64-advice';
import { HostAdvice, KERNEL_MODULE_ADVICE, kvmConflict } from '../doctor/host-advice';
import { KubelabError } from '../errors';
import { vbox } from './commands';
import { parseVersion } from './parse';
import { VBoxManage, VBoxManageError } from './vboxmanage';

/**
 * `startvm --type headless`. When VirtualBox refuses because of the host, its VERR_*
 * code (printed untranslated in the error text) is turned into the advice
 * `kubelab doctor` gives for the same problem.
 */
export async function startVm(vb: VBoxManage, name: string): Promise<void> {
  try {
    await vb.run(vbox.startHeadless(name));
  } catch (err) {
    if (!(err instanceof VBoxManageError)) throw err;
    const advice = await hostAdvice(vb, err.stderr);
    if (!advice) throw err;
    throw new KubelabError(`VirtualBox could not start VM ${name}: ${advice.problem}. Fix: ${advice.fix}. Then run npx kubelab doctor.\n(${err.message})`);
  }
}

async function hostAdvice(vb: VBoxManage, stderr: string): Promise<HostAdvice | undefined> {
  if (/VERR_VM_DRIVER_NOT_INSTALLED|VERR_VM_DRIVER_NOT_ACCESSIBLE/.test(stderr)) return KERNEL_MODULE_ADVICE;
  if (process.platform === 'darwin' && VMNET_ATTACH_FAILURE.test(stderr)) return VMNET_ATTACH_ADVICE;
  const vmx = /VERR_VMX_IN_VMX_ROOT_MODE/.test(stderr);
  const svm = /VERR_SVM_IN_USE/.test(stderr);
  const svme = /VERR_SVM_HOST_SVME_NOT_ENABLED/.test(stderr);
  if (!vmx && !svm && !svme) return undefined;
  const version = parseVersion(await vb.run(vbox.version()).catch(() => ''))?.version;
  // The code tells which vendor's module and which side of VirtualBox 7.2.10 the host is on.
  const module = vmx ? 'kvm_intel' : 'kvm_amd';
  return (
    kvmConflict([module], svme ? 'N' : 'Y', version) ?? {
      problem: 'another hypervisor is using VT-x/AMD-V right now (KVM guests such as qemu, or another VM program)',
      fix: `stop the other VMs, or unload KVM: sudo modprobe -r ${module} kvm`,
    }
  );
}

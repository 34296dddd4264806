import { HostFacts } from '../../cli/doctor/checks';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';

/** A host that can run the default lab; its VirtualBox is whatever VBoxManage the environment finds (tests: the stand-in). */
export function hostThatFits(over: Partial<HostFacts> = {}): HostFacts {
  return {
    platform: 'linux',
    totalMemoryMb: 16384,
    cpus: 8,
    networksConf: () => undefined,
    arch: 'x64',
    hypervisorPresent: async () => false,
    kvm: () => ({ modules: [], enableVirtAtLoad: undefined }),
    terraformVersion: async () => '1.11.4',
    answers: async () => false,
    vboxManage: () => new VBoxManage(),
    ...over,
  };
}

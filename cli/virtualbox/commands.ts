/**
 * Every VBoxManage command line kubelab runs, built in one place so each is unit-tested
 * (forms from the VBoxManage manual of VirtualBox 7).
 */

/** Storage controller kubelab adds to the base VM for the seed DVD (so clones inherit it). */
export const SEED_CONTROLLER = 'kubelab-seed';

export const vbox = {
  version: () => ['--version'],
  listVms: () => ['list', 'vms'],
  listDvds: () => ['list', 'dvds'],
  listHostOnlyIfs: () => ['list', 'hostonlyifs'],
  listHostOnlyNets: () => ['list', 'hostonlynets'],
  showVmInfo: (vm: string) => ['showvminfo', vm, '--machinereadable'],
  showDiskInfo: (disk: string) => ['showmediuminfo', 'disk', disk],

  /** Windows/Linux host-only interface; VirtualBox picks its name (vboxnetN, "VirtualBox Host-Only Ethernet Adapter #N"). */
  hostOnlyIfCreate: () => ['hostonlyif', 'create'],
  hostOnlyIfIpconfig: (name: string, ip: string, netmask: string) => ['hostonlyif', 'ipconfig', name, '--ip', ip, '--netmask', netmask],
  hostOnlyIfRemove: (name: string) => ['hostonlyif', 'remove', name],
  /**
   * macOS with VirtualBox 7: host-only networks replace host-only interfaces. The host
   * takes the lower address, and the range is also what the network's DHCP server leases.
   */
  hostOnlyNetAdd: (name: string, netmask: string, lowerIp: string, upperIp: string) => [
    'hostonlynet',
    'add',
    '--name',
    name,
    '--netmask',
    netmask,
    '--lower-ip',
    lowerIp,
    '--upper-ip',
    upperIp,
    '--enable',
  ],
  hostOnlyNetRemove: (name: string) => ['hostonlynet', 'remove', '--name', name],

  /**
   * The group is given here, not set afterwards: VirtualBox puts the VM's folder at
   * <basefolder><group>/<vm> when it is made, and moves it there when the group changes
   * later (MachineImpl.cpp i_prepareSaveSettings).
   */
  importOva: (ova: string, vm: string, baseFolder: string, group: string) => [
    'import',
    ova,
    '--vsys',
    '0',
    '--vmname',
    vm,
    '--group',
    group,
    '--basefolder',
    baseFolder,
  ],
  /**
   * An empty VM (VirtualBox ≥ 7.1: --platform-architecture; an arm VM runs arm64 guests on
   * an arm64 host). Grouped and placed like an imported one.
   */
  createVm: (vm: string, platform: 'x86' | 'arm', ostype: string, baseFolder: string, group: string) => [
    'createvm',
    '--name',
    vm,
    '--platform-architecture',
    platform,
    '--ostype',
    ostype,
    '--groups',
    group,
    '--basefolder',
    baseFolder,
    '--register',
  ],
  /**
   * The hardware of the arm64 base VM, as minikube's VirtualBox driver sets it on Apple
   * Silicon (kubernetes/minikube PR #22861, pkg/drivers/virtualbox/virtualbox.go CreateVM,
   * validated with VirtualBox 7.2.6): the armv8virtual chipset, EFI firmware (there is no
   * BIOS on Arm) and the qemuramfb graphics controller (the default VBoxVGA is x86-only and
   * fails VM start with VERR_PGM_RAM_CONFLICT on Arm guests).
   */
  configureArm64Base: (vm: string) => ['modifyvm', vm, '--chipset', 'armv8virtual', '--firmware', 'efi64', '--graphicscontroller', 'qemuramfb'],
  /** A SATA (AHCI) controller: what minikube attaches its disk and DVD to on arm64 (same source). */
  addDiskController: (vm: string, name: string) => ['storagectl', vm, '--name', name, '--add', 'sata', '--controller', 'IntelAhci', '--portcount', '1'],
  cloneDiskToVdi: (source: string, target: string) => ['clonemedium', 'disk', source, target, '--format', 'VDI'],
  attachDisk: (vm: string, controller: string, port: number, device: number, disk: string) => [
    'storageattach',
    vm,
    '--storagectl',
    controller,
    '--port',
    String(port),
    '--device',
    String(device),
    '--type',
    'hdd',
    '--medium',
    disk,
  ],
  closeDisk: (disk: string, deleteFile: boolean) => ['closemedium', 'disk', disk, ...(deleteFile ? ['--delete'] : [])],
  addSeedController: (vm: string) => ['storagectl', vm, '--name', SEED_CONTROLLER, '--add', 'sata', '--controller', 'IntelAhci', '--portcount', '1'],

  takeSnapshot: (vm: string, snapshot: string, description: string) => ['snapshot', vm, 'take', snapshot, '--description', description],
  restoreSnapshot: (vm: string, snapshot: string) => ['snapshot', vm, 'restore', snapshot],
  deleteSnapshot: (vm: string, snapshot: string) => ['snapshot', vm, 'delete', snapshot],

  linkedClone: (base: string, snapshot: string, vm: string, baseFolder: string, group: string) => [
    'clonevm',
    base,
    '--snapshot',
    snapshot,
    '--options',
    'link',
    '--name',
    vm,
    '--groups',
    group,
    '--basefolder',
    baseFolder,
    '--register',
  ],
  setExtraData: (vm: string, key: string, value: string) => ['setextradata', vm, key, value],
  enumerateExtraData: (vm: string) => ['getextradata', vm, 'enumerate'],

  /** Hardware of a node. NIC2 is a host-only interface (Windows/Linux) or a host-only network (macOS). */
  configureNode: (vm: string, s: NodeHardware) => [
    'modifyvm',
    vm,
    '--cpus',
    String(s.cpus),
    '--memory',
    String(s.memoryMb),
    '--ioapic',
    'on',
    '--nic1',
    'nat',
    ...(s.hostOnly.kind === 'hostonlyif' ? ['--nic2', 'hostonly', '--hostonlyadapter2', s.hostOnly.name] : ['--nic2', 'hostonlynet', '--host-only-net2', s.hostOnly.name]),
    '--cableconnected2',
    'on',
    // Ubuntu cloud images stall at boot without a serial port; the log doubles as the boot log.
    '--uart1',
    '0x3f8',
    '4',
    '--uartmode1',
    'file',
    s.serialLog,
  ],
  resizeDisk: (disk: string, sizeMb: number) => ['modifymedium', 'disk', disk, '--resize', String(sizeMb)],
  attachSeed: (vm: string, iso: string | 'none') => [
    'storageattach',
    vm,
    '--storagectl',
    SEED_CONTROLLER,
    '--port',
    '0',
    '--device',
    '0',
    '--type',
    'dvddrive',
    '--medium',
    iso,
  ],
  closeDvd: (iso: string) => ['closemedium', 'dvd', iso],

  startHeadless: (vm: string) => ['startvm', vm, '--type', 'headless'],
  powerOff: (vm: string) => ['controlvm', vm, 'poweroff'],
  acpiPowerButton: (vm: string) => ['controlvm', vm, 'acpipowerbutton'],
  unregisterAndDelete: (vm: string) => ['unregistervm', vm, '--delete'],
};

export type HostOnlyAttachment = { readonly kind: 'hostonlyif' | 'hostonlynet'; readonly name: string };

export interface NodeHardware {
  readonly cpus: number;
  readonly memoryMb: number;
  readonly hostOnly: HostOnlyAttachment;
  readonly serialLog: string;
}

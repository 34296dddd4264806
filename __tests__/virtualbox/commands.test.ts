import { vbox } from '../../cli/virtualbox/commands';

/** Every VBoxManage command line kubelab builds, exactly (VBoxManage manual, VirtualBox 7). */
describe('VBoxManage command lines', () => {
  test.each<[string, string[], string]>([
    ['version', vbox.version(), '--version'],
    ['list vms', vbox.listVms(), 'list vms'],
    ['list dvds', vbox.listDvds(), 'list dvds'],
    ['list hostonlyifs', vbox.listHostOnlyIfs(), 'list hostonlyifs'],
    ['list hostonlynets', vbox.listHostOnlyNets(), 'list hostonlynets'],
    ['showvminfo', vbox.showVmInfo('kubelab-cp1'), 'showvminfo kubelab-cp1 --machinereadable'],
    ['showmediuminfo', vbox.showDiskInfo('u-1'), 'showmediuminfo disk u-1'],
    ['hostonlyif create', vbox.hostOnlyIfCreate(), 'hostonlyif create'],
    ['hostonlyif ipconfig', vbox.hostOnlyIfIpconfig('vboxnet0', '192.168.56.1', '255.255.255.0'), 'hostonlyif ipconfig vboxnet0 --ip 192.168.56.1 --netmask 255.255.255.0'],
    ['hostonlyif remove', vbox.hostOnlyIfRemove('vboxnet0'), 'hostonlyif remove vboxnet0'],
    [
      'hostonlynet add',
      vbox.hostOnlyNetAdd('kubelab-net', '255.255.255.0', '192.168.56.1', '192.168.56.1'),
      'hostonlynet add --name kubelab-net --netmask 255.255.255.0 --lower-ip 192.168.56.1 --upper-ip 192.168.56.1 --enable',
    ],
    [
      'hostonlynet modify',
      vbox.hostOnlyNetModify('kubelab-net', '255.255.255.0', '192.168.56.1', '192.168.56.1'),
      'hostonlynet modify --name kubelab-net --netmask 255.255.255.0 --lower-ip 192.168.56.1 --upper-ip 192.168.56.1 --enable',
    ],
    ['hostonlynet remove', vbox.hostOnlyNetRemove('kubelab-net'), 'hostonlynet remove --name kubelab-net'],
    ['list hdds', vbox.listHdds(), 'list hdds'],
    ['import', vbox.importOva('/c/x.ova', 'kubelab-base', '/p/.kubelab/vms', '/kubelab'), 'import /c/x.ova --vsys 0 --vmname kubelab-base --group /kubelab --basefolder /p/.kubelab/vms'],
    ['clonemedium', vbox.cloneDiskToVdi('/v/a.vmdk', '/v/a.vdi'), 'clonemedium disk /v/a.vmdk /v/a.vdi --format VDI'],
    ['storageattach disk', vbox.attachDisk('b', 'SCSI', 0, 0, '/v/a.vdi'), 'storageattach b --storagectl SCSI --port 0 --device 0 --type hdd --medium /v/a.vdi'],
    ['closemedium disk', vbox.closeDisk('/v/a.vmdk', true), 'closemedium disk /v/a.vmdk --delete'],
    ['storagectl', vbox.addSeedController('b'), 'storagectl b --name kubelab-seed --add sata --controller IntelAhci --portcount 1'],
    ['snapshot take', vbox.takeSnapshot('b', 'kubelab-base', 'why'), 'snapshot b take kubelab-base --description why'],
    ['snapshot restore', vbox.restoreSnapshot('b', 's'), 'snapshot b restore s'],
    ['snapshot delete', vbox.deleteSnapshot('b', 's'), 'snapshot b delete s'],
    [
      'clonevm',
      vbox.linkedClone('kubelab-base', 'kubelab-base', 'kubelab-cp1', '/p/.kubelab/vms', '/kubelab'),
      'clonevm kubelab-base --snapshot kubelab-base --options link --name kubelab-cp1 --groups /kubelab --basefolder /p/.kubelab/vms --register',
    ],
    ['setextradata', vbox.setExtraData('v', 'kubelab/lab', 'kubelab'), 'setextradata v kubelab/lab kubelab'],
    ['getextradata', vbox.enumerateExtraData('v'), 'getextradata v enumerate'],
    ['modifymedium', vbox.resizeDisk('u-1', 20480), 'modifymedium disk u-1 --resize 20480'],
    ['attach seed', vbox.attachSeed('v', '/s/cp1.iso'), 'storageattach v --storagectl kubelab-seed --port 0 --device 0 --type dvddrive --medium /s/cp1.iso'],
    ['detach seed', vbox.attachSeed('v', 'none'), 'storageattach v --storagectl kubelab-seed --port 0 --device 0 --type dvddrive --medium none'],
    ['closemedium dvd', vbox.closeDvd('/s/cp1.iso'), 'closemedium dvd /s/cp1.iso'],
    ['startvm', vbox.startHeadless('v'), 'startvm v --type headless'],
    ['poweroff', vbox.powerOff('v'), 'controlvm v poweroff'],
    ['acpipowerbutton', vbox.acpiPowerButton('v'), 'controlvm v acpipowerbutton'],
    ['unregistervm', vbox.unregisterAndDelete('v'), 'unregistervm v --delete'],
  ])('%s', (_name, args, expected) => {
    expect(args.join(' ')).toBe(expected);
  });

  test('node hardware: NAT NIC1, host-only NIC2 (interface on Windows/Linux), serial port to a file', () => {
    const hw = { cpus: 2, memoryMb: 2048, serialLog: '/p/.kubelab/logs/cp1-serial.log' };
    expect(vbox.configureNode('kubelab-cp1', { ...hw, hostOnly: { kind: 'hostonlyif', name: 'vboxnet0' } })).toEqual([
      'modifyvm', 'kubelab-cp1', '--cpus', '2', '--memory', '2048', '--ioapic', 'on',
      '--nic1', 'nat', '--nic2', 'hostonly', '--hostonlyadapter2', 'vboxnet0', '--cableconnected2', 'on',
      '--uart1', '0x3f8', '4', '--uartmode1', 'file', '/p/.kubelab/logs/cp1-serial.log',
    ]); // prettier-ignore
    const mac = vbox.configureNode('kubelab-cp1', { ...hw, hostOnly: { kind: 'hostonlynet', name: 'kubelab-net' } });
    expect(mac.join(' ')).toContain('--nic2 hostonlynet --host-only-net2 kubelab-net');
  });

  test('names with spaces stay one argument (Windows interface names)', () => {
    expect(vbox.hostOnlyIfRemove('VirtualBox Host-Only Ethernet Adapter #2')).toEqual(['hostonlyif', 'remove', 'VirtualBox Host-Only Ethernet Adapter #2']);
  });
});

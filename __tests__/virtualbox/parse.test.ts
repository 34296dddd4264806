import { attachedDisks, listsMediumAt, mediaInside, parseCapacityMb, parseExtraDataList, parseHostOnlyIfs, parseHostOnlyNets, parseMachineReadable, parseVersion, parseVmList, snapshotNames } from '../../cli/virtualbox/parse';

/*
 * VBoxManage's output, written here as VirtualBox prints it (VirtualBox/virtualbox commit 44a0f07f):
 * - showvminfo --machinereadable: VBoxManageInfo.cpp outputMachineReadableString: key="value", a key
 *   with characters outside [A-Za-z0-9_] quoted as "key", `"` and `\` inside quotes escaped with `\`;
 *   numbers unquoted (SHOW_ULONG_VALUE "%s=%u"); showSnapshots: SnapshotName, SnapshotName-1, -1-1, …
 * - list vms: VBoxManageList.cpp `"%s" {%s}`.
 * - list hostonlyifs / hostonlynets: VBoxManageList.cpp listNetworkInterfaces / listHostOnlyNetworks; the
 *   labels go through List::tr() except "GUID:" (and hostonlynets prints "GUID: %ls\n\n").
 * - getextradata enumerate: VBoxManageMisc.cpp Misc::tr("Key: %ls, Value: %ls\n").
 * - showmediuminfo / list hdds: VBoxManageDisk.cpp, "Capacity:" before "Size on disk:", labels translated.
 * The Russian labels are this test's own wording (unverified): what matters is that labels change.
 */

describe('showvminfo --machinereadable', () => {
  test('keys plain or quoted, values quoted or not, escapes undone, CRLF lines; lines without = skipped', () => {
    const info = parseMachineReadable(
      [
        'name="kubelab-cp1"',
        'memory=2048',
        'VMState="running"',
        'description="a=b \\"quoted\\" back\\\\slash"',
        '"GuestProperty/\\"odd\\"=key"="v"',
        'empty=""',
        'lonequote="',
        'notclosed="abc',
        'notopened=abc"',
        'crlf="a\rb"',
        '=nokey=x',
        'not a key value line',
        '',
      ].join('\r\n'),
    );
    expect([...info]).toEqual([
      ['name', 'kubelab-cp1'],
      ['memory', '2048'],
      ['VMState', 'running'],
      ['description', 'a=b "quoted" back\\slash'],
      ['GuestProperty/"odd"=key', 'v'],
      ['empty', ''],
      ['lonequote', '"'],
      ['notclosed', '"abc'],
      ['notopened', 'abc"'],
      ['crlf', 'a\rb'],
    ]);
  });

  test('disks: a hard disk image on any controller with its UUID twin; DVDs, empty slots and seeds without an image skipped', () => {
    const info = parseMachineReadable(
      [
        '"SCSI-0-0"="/v/kubelab-cp1/Snapshots/{a}.vdi"',
        '"SCSI-ImageUUID-0-0"="a"',
        '"SATA Controller-1-0"="/v/other.VMDK"',
        '"SATA Controller-ImageUUID-1-0"="c"',
        '"IDE-0-1"="/v/disk.vhd"',
        '"IDE-ImageUUID-0-1"="d"',
        '"kubelab-seed-0-0"="/s/cp1.iso"',
        '"kubelab-seed-ImageUUID-0-0"="b"',
        '"SATA-2-0"="none"',
        '"SATA-ImageUUID-3-0"="e"',
        '"x.vdi-ImageUUID-0-0-extra"="f"',
        '"X-ImageUUID-0-0-1"="h"',
        '"X-0-0"="/v/not-this.vdi"',
      ].join('\n'),
    );
    expect(attachedDisks(info)).toEqual([
      { controller: 'SCSI', port: 0, device: 0, path: '/v/kubelab-cp1/Snapshots/{a}.vdi', uuid: 'a' },
      { controller: 'SATA Controller', port: 1, device: 0, path: '/v/other.VMDK', uuid: 'c' },
      { controller: 'IDE', port: 0, device: 1, path: '/v/disk.vhd', uuid: 'd' },
    ]);
    expect(attachedDisks(parseMachineReadable('"SATA-10-2"="/v/a.vdi.bak"\n"SATA-ImageUUID-10-2"="g"\n'))).toEqual([]);
    expect(attachedDisks(parseMachineReadable('"SATA-10-12"="/v/a.vdi"\n"SATA-ImageUUID-10-12"="g"\n'))).toEqual([{ controller: 'SATA', port: 10, device: 12, path: '/v/a.vdi', uuid: 'g' }]);
  });

  test('snapshots: the whole tree, nothing else named like it', () => {
    const info = parseMachineReadable(
      ['SnapshotName="one"', 'SnapshotUUID="u1"', 'SnapshotName-1="two"', 'SnapshotName-1-12="three"', 'CurrentSnapshotName="two"', 'SnapshotName-x="no"', 'MySnapshotName="no"', 'SnapshotName-1-="no"'].join('\n'),
    );
    expect(snapshotNames(info)).toEqual(['one', 'two', 'three']);
    expect(snapshotNames(parseMachineReadable('name="vm"\n'))).toEqual([]);
  });
});

describe('list vms', () => {
  test('name and UUID per line, names with spaces and quotes; other lines skipped', () => {
    const text = '"kubelab-cp1" {0b5c6d1e-0000-4000-8000-000000000001}  \r\n"my "vm"" {0B5C6D1E-0000-4000-8000-00000000000A}\n"<inaccessible>" {not-a-uuid}\nx"a" {0b5c6d1e}\n"b" {0b5c6d1e} trailing\n';
    expect(parseVmList(text)).toEqual([
      { name: 'kubelab-cp1', uuid: '0b5c6d1e-0000-4000-8000-000000000001' },
      { name: 'my "vm"', uuid: '0B5C6D1E-0000-4000-8000-00000000000A' },
    ]);
  });
});

describe('host-only interfaces and networks, in any language', () => {
  const ifs = (lang: 'en' | 'ru') =>
    [
      [lang === 'en' ? 'Name:            vboxnet0' : 'Имя:            vboxnet0', 'GUID:            786f6276-656e-4074-8000-0a0027000000', 'DHCP:            Disabled', lang === 'en' ? 'IPAddress:       192.168.56.1' : 'IP-адрес:       192.168.56.1', lang === 'en' ? 'NetworkMask:     255.255.255.0' : 'Маска сети:     255.255.255.0', lang === 'en' ? 'IPV6Address:' : 'IPv6-адрес:', ''],
      [lang === 'en' ? 'Name:            vboxnet1' : 'Имя:            vboxnet1', 'GUID:            786f6276-656e-4174-8000-0a0027000001', 'DHCP:            Disabled', lang === 'en' ? 'IPAddress:       192.168.57.1' : 'IP-адрес:       192.168.57.1', lang === 'en' ? 'NetworkMask:     255.255.0.0' : 'Маска сети:     255.255.0.0', ''],
    ]
      .flat()
      .join('\r\n');
  test.each(['en', 'ru'] as const)('hostonlyifs (%s): each record found by its GUID line and read by position', (lang) => {
    expect(parseHostOnlyIfs(ifs(lang))).toEqual([
      { name: 'vboxnet0', ip: '192.168.56.1', netmask: '255.255.255.0' },
      { name: 'vboxnet1', ip: '192.168.57.1', netmask: '255.255.0.0' },
    ]);
  });
  test('hostonlyifs: a record cut short reads as empty fields; a GUID on the first line has no name line and is not a record', () => {
    expect(parseHostOnlyIfs('Name:            vboxnet0\nGUID:            786f\n')).toEqual([{ name: 'vboxnet0', ip: '', netmask: '' }]);
    expect(parseHostOnlyIfs('GUID:            786f\nDHCP:  x\nIPAddress:  1.2.3.4\nNetworkMask:  255.0.0.0\n')).toEqual([]);
    expect(parseHostOnlyIfs('Name:\nGUID:            786f\nDHCP:  x\nIPAddress:\nNetworkMask: 255.0.0.0\n')).toEqual([{ name: '', ip: '', netmask: '255.0.0.0' }]);
    expect(parseHostOnlyIfs('Name:            vboxnet0\n   GUID:            786f\n')).toEqual([]);
    expect(parseHostOnlyIfs('')).toEqual([]);
    // a line without a value (no blank after its colon, or no label at all) reads as empty
    expect(parseHostOnlyIfs('vboxnet9\nGUID:            786f\nDHCP:  x\nIPAddress:192.168.9.1\nNetworkMask:\n')).toEqual([{ name: '', ip: '', netmask: '' }]);
  });
  test('hostonlynets (macOS): the blank line after GUID does not shift the fields', () => {
    const nets = ['Name:            kubelab', 'GUID:            0b5c6d1e-0000-4000-8000-000000000009', '', 'State:           Enabled', 'NetworkMask:     255.255.255.0', 'LowerIP:         192.168.56.2', 'UpperIP:         192.168.56.199', 'VBoxNetworkName: hostonly-kubelab', '', 'Имя:            other', 'GUID:            0b5c6d1e-0000-4000-8000-00000000000a', '', 'Состояние:      Выключено', 'Маска сети:     255.255.0.0', 'Нижний IP:      10.0.0.2', 'Верхний IP:     10.0.0.9', ''].join('\n');
    expect(parseHostOnlyNets(nets)).toEqual([
      { name: 'kubelab', netmask: '255.255.255.0', lowerIp: '192.168.56.2', upperIp: '192.168.56.199' },
      { name: 'other', netmask: '255.255.0.0', lowerIp: '10.0.0.2', upperIp: '10.0.0.9' },
    ]);
    expect(parseHostOnlyNets('Name:            cut\nGUID:            0b5c\n')).toEqual([{ name: 'cut', netmask: '', lowerIp: '', upperIp: '' }]);
    expect(parseHostOnlyNets('GUID:            0b5c\nState: x\nNetworkMask: 255.0.0.0\n')).toEqual([]);
    expect(parseHostOnlyNets('Name:            n\n GUID:            0b5c\n')).toEqual([]);
    // the line after GUID blank but for spaces is no field either
    expect(parseHostOnlyNets('n9\nGUID:            0b5c\n   \nState: x\nNetworkMask: 255.0.0.0\nLowerIP: 10.0.0.2\nUpperIP:\n')).toEqual([{ name: '', netmask: '255.0.0.0', lowerIp: '10.0.0.2', upperIp: '' }]);
  });
});

describe('media listings (list hdds / list dvds), in any language', () => {
  const listing = ['UUID:           5d0c', 'Parent UUID:    base', 'State:          created', 'Расположение:   /home/me/VirtualBox VMs/kubelab-cp1/disk: one.vdi', 'Location:       /p/.kubelab/seed/cp1.iso', 'Storage format: VDI', 'Capacity:       20480 MBytes', 'Empty:', '', 'Location:    ', ''].join('\r\n');
  test('a medium at a file: any label, the whole value after the first colon (colons in the path kept)', () => {
    const same = (a: string, b: string) => a === b;
    expect(listsMediumAt(listing, '/home/me/VirtualBox VMs/kubelab-cp1/disk: one.vdi', same)).toBe(true);
    expect(listsMediumAt(listing, '/p/.kubelab/seed/cp1.iso', same)).toBe(true);
    expect(listsMediumAt(listing, '/p/.kubelab/seed/w1.iso', same)).toBe(false);
    // an empty value is no file, even to a comparison that would take it
    expect(listsMediumAt('Location:\nLocation:    \n', '', () => true)).toBe(false);
    expect(listsMediumAt('no label here\n', 'no label here', () => true)).toBe(false);
    // lines split on LF alone too (VBoxManage on Linux and macOS)
    expect(listsMediumAt('UUID:  5d0c\nLocation:   /p/a.vdi\n', '/p/a.vdi', same)).toBe(true);
    // blanks after the value are not part of it
    expect(listsMediumAt('Location:   /p/a.vdi   \n', '/p/a.vdi', same)).toBe(true);
    // a value starts after the first colon that a blank follows, at the start of the line only
    expect(listsMediumAt('x:y: /p/a.vdi\n', '/p/a.vdi', same)).toBe(false);
  });
  test('media inside a folder: their locations, nothing for empty values or lines without a label', () => {
    const inside = (file: string, dir: string) => file.startsWith(`${dir}/`);
    expect(mediaInside(listing, '/p/.kubelab', inside)).toEqual(['/p/.kubelab/seed/cp1.iso']);
    expect(mediaInside(listing, '/home/me/VirtualBox VMs', inside)).toEqual(['/home/me/VirtualBox VMs/kubelab-cp1/disk: one.vdi']);
    expect(mediaInside('Location:\n/p/x\nLocation:    \n', '', () => true)).toEqual([]);
    expect(mediaInside('UUID:  5d0c\nLocation:   /p/.kubelab/a.vdi\n', '/p/.kubelab', inside)).toEqual(['/p/.kubelab/a.vdi']);
  });
  test('capacity: the first "<number> <unit>" value, whatever the unit word says', () => {
    expect(parseCapacityMb(listing)).toBe(20480);
    expect(parseCapacityMb('UUID:           5d0c\nРазмер:         10240 МБайт\nНа диске:       2 МБайт\n')).toBe(10240);
    expect(parseCapacityMb('Format: VDI\nCapacity:       20480 MBytes extra\nSize on disk:   7 MBytes\n')).toBe(7);
    expect(parseCapacityMb('Capacity:       about 20480 MBytes\n')).toBeUndefined();
    expect(parseCapacityMb('Capacity:       20480   MBytes\n')).toBe(20480);
    expect(parseCapacityMb('UUID: 5d0c\n')).toBeUndefined();
  });
});

describe('VBoxManage --version', () => {
  test('the version line, with or without build suffix and revision; what came before it kept', () => {
    expect(parseVersion('7.0.14r161095\n')).toEqual({ version: [7, 0, 14], line: '7.0.14r161095', before: '' });
    expect(parseVersion('7.1.4_Ubuntur165100\r\n')).toEqual({ version: [7, 1, 4], line: '7.1.4_Ubuntur165100', before: '' });
    expect(parseVersion('6.1.50\n')).toEqual({ version: [6, 1, 50], line: '6.1.50', before: '' });
    expect(parseVersion('7.1.4\n')).toEqual({ version: [7, 1, 4], line: '7.1.4', before: '' });
    expect(parseVersion('10.12.100r1\n')).toEqual({ version: [10, 12, 100], line: '10.12.100r1', before: '' });
    expect(parseVersion('\nWARNING: x\n\n7.1.4r1\n')).toEqual({ version: [7, 1, 4], line: '7.1.4r1', before: 'WARNING: x' });
    const warning = 'WARNING: The vboxdrv kernel module is not loaded. (kernel 6.8.0-45-generic) Please run\n   /sbin/vboxconfig\n';
    expect(parseVersion(`${warning}  7.1.4r165100  \n`)).toEqual({ version: [7, 1, 4], line: '7.1.4r165100', before: warning.trim() });
  });
  test('no version line: undefined (a version mid-line, or followed by words, is not one)', () => {
    expect(parseVersion('')).toBeUndefined();
    expect(parseVersion('running kernel 6.8.0 here\n')).toBeUndefined();
    expect(parseVersion('running kernel 6.8.0\n')).toBeUndefined();
    expect(parseVersion('7.1.4r1+x\n')).toBeUndefined();
    expect(parseVersion('7.1.4r165100 (beta)\n')).toBeUndefined();
    expect(parseVersion('7.1\n')).toBeUndefined();
  });
});

describe('getextradata enumerate, in any language', () => {
  test('key and value from each line; a comma inside the value is kept; trailing blanks dropped', () => {
    const text = 'Key: kubelab/lab, Value: kubelab\r\nКлюч: GUI/LastCloseAction, Значение: PowerOff\nKey: kubelab/note, Value: a, b: c  \nno extradata line\n';
    expect(parseExtraDataList(text)).toEqual(
      new Map([
        ['kubelab/lab', 'kubelab'],
        ['GUI/LastCloseAction', 'PowerOff'],
        ['kubelab/note', 'a, b: c'],
      ]),
    );
    expect(parseExtraDataList('')).toEqual(new Map());
    // a line that does not start with a label is no entry
    expect(parseExtraDataList('x, y: k, Value: v\n')).toEqual(new Map());
  });
});

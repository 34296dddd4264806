import * as fs from 'fs';
import * as path from 'path';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { locateVBoxManage } from '../../cli/virtualbox/locate';
import { networkDown, networkRecordPath, networkUp, readNetworkRecord } from '../../cli/virtualbox/network';
import { VBOXMANAGE_MISSING, VBoxManage, VBoxManageError } from '../../cli/virtualbox/vboxmanage';
import { StandInEnv, standInEnv, withEnv } from '../support/vboxmanage-standin-env';

describe('locating VBoxManage', () => {
  const files = (...present: string[]) => (f: string) => present.includes(f);
  test('PATH first', () => {
    expect(locateVBoxManage({ PATH: '/opt/a:/usr/bin' }, 'linux', files('/usr/bin/VBoxManage'))).toBe('/usr/bin/VBoxManage');
  });
  test('Windows: VBOX_MSI_INSTALL_PATH, then VBOX_INSTALL_PATH, then Program Files', () => {
    const msi = 'C:\\Program Files\\Oracle\\VirtualBox\\';
    expect(locateVBoxManage({ Path: 'C:\\Windows', VBOX_MSI_INSTALL_PATH: msi }, 'win32', files('C:\\Program Files\\Oracle\\VirtualBox\\VBoxManage.exe'))).toBe(
      'C:\\Program Files\\Oracle\\VirtualBox\\VBoxManage.exe',
    );
    expect(locateVBoxManage({ VBOX_INSTALL_PATH: 'D:\\VB' }, 'win32', files('D:\\VB\\VBoxManage.exe'))).toBe('D:\\VB\\VBoxManage.exe');
    expect(locateVBoxManage({ ProgramFiles: 'E:\\PF' }, 'win32', files('E:\\PF\\Oracle\\VirtualBox\\VBoxManage.exe'))).toBe('E:\\PF\\Oracle\\VirtualBox\\VBoxManage.exe');
  });
  test('macOS app bundle; undefined when nowhere', () => {
    expect(locateVBoxManage({ PATH: '/usr/bin' }, 'darwin', files('/Applications/VirtualBox.app/Contents/MacOS/VBoxManage'))).toBe(
      '/Applications/VirtualBox.app/Contents/MacOS/VBoxManage',
    );
    expect(locateVBoxManage({ PATH: '/usr/bin' }, 'linux', files())).toBeUndefined();
  });
  test('no VBoxManage: one clear error', () => {
    const saved = process.env;
    process.env = { PATH: '/nonexistent' };
    try {
      expect(() => new VBoxManage()).toThrow(VBOXMANAGE_MISSING);
    } finally {
      process.env = saved;
    }
  });
});

describe('running VBoxManage (against the stand-in on PATH)', () => {
  let s: StandInEnv;
  beforeEach(() => (s = standInEnv()));
  afterEach(() => s.cleanup());
  test('stdout on success; "VBoxManage: error:" is a failure even at exit 0', async () => {
    expect((await withEnv(s.env, () => new VBoxManage().run(['--version']))).trim()).toBe('7.1.4r165100');
    const v = await withEnv({ ...s.env, VBOXMANAGE_STANDIN_FAIL: 'list:exit0' }, async () => new VBoxManage());
    const err = await withEnv({ ...s.env, VBOXMANAGE_STANDIN_FAIL: 'list:exit0' }, () => v.run(['list', 'vms']).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(VBoxManageError);
    expect((err as VBoxManageError).message).toMatch(/^VBoxManage list vms failed: VBoxManage: error: stand-in told to fail 'list'\nVBoxManage: error: Details: code E_FAIL/);
  });

  test('session-lock errors are retried; other errors are not', async () => {
    const env = { ...s.env, VBOXMANAGE_STANDIN_LOCKED: 'list:2' };
    const v = await withEnv(env, async () => new VBoxManage());
    await expect(withEnv(env, () => v.run(['list', 'vms']))).resolves.toBe('');
    await expect(withEnv(env, () => v.run(['list', 'vms', '--bogus']))).rejects.toThrow(/failed \(exit 2\): VBoxManage: error: Unknown option: --bogus/);
    const stubborn = { ...s.env, VBOXMANAGE_STANDIN_LOCKED: 'list:99' };
    const few = await withEnv(stubborn, async () => new VBoxManage({ retries: 2 }));
    await expect(withEnv(stubborn, () => few.run(['list', 'vms']))).rejects.toThrow(/VBOX_E_INVALID_OBJECT_STATE/);
  });
});

describe('host-only network (against the stand-in)', () => {
  let s: StandInEnv;
  let project: string;
  beforeEach(() => {
    s = standInEnv();
    project = path.join(s.root, 'project');
    fs.mkdirSync(project);
  });
  afterEach(() => s.cleanup());
  const cfg = resolveLabConfig({}).config;
  const lines: string[] = [];
  const out = (l: string) => lines.push(l);

  test('macOS: a host-only network named after the lab, removed by down', async () => {
    await withEnv(s.env, async () => {
      const vb = new VBoxManage();
      const rec = await networkUp(vb, cfg, labPaths(project), out, 'darwin');
      expect(rec).toEqual({ lab: 'kubelab', kind: 'hostonlynet', name: 'kubelab-net', created: true, cidr: '192.168.56.0/24', hostIp: '192.168.56.1' });
      expect(s.state().hostonlynets).toEqual([
        { name: 'kubelab-net', id: expect.any(String), mask: '255.255.255.0', lower: '192.168.56.1', upper: '192.168.56.1', enabled: true },
      ]);
      await networkUp(vb, cfg, labPaths(project), out, 'darwin');
      expect(s.state().hostonlynets).toHaveLength(1);
      await networkDown(vb, 'kubelab', labPaths(project), out);
      expect(s.state().hostonlynets).toEqual([]);
    });
  });

  test('macOS: a network an interrupted add left with its name only gets its mask and range on the next up, and down removes it', async () => {
    // VBoxManageHostonly.cpp handleNetAdd (VirtualBox/virtualbox 4908d8d1) makes the network by name first and sets
    // mask, range and enabled one call each after: a VBoxManage stopped in between leaves this (settings empty).
    const file = path.join(s.stateDir, 'state.json');
    fs.mkdirSync(s.stateDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ vms: [], media: [], hostonlyifs: [], hostonlynets: [{ name: 'kubelab-net', id: 'x', mask: '', lower: '', upper: '', enabled: false }], counters: {} }));
    // kubelab recorded it as its own before the add.
    fs.mkdirSync(labPaths(project).stateDir, { recursive: true });
    fs.writeFileSync(networkRecordPath(labPaths(project)), JSON.stringify({ lab: 'kubelab', kind: 'hostonlynet', name: 'kubelab-net', created: true, cidr: '192.168.56.0/24', hostIp: '192.168.56.1' }));
    await withEnv(s.env, async () => {
      const vb = new VBoxManage();
      await networkUp(vb, cfg, labPaths(project), out, 'darwin');
      expect(s.state().hostonlynets).toEqual([{ name: 'kubelab-net', id: 'x', mask: '255.255.255.0', lower: '192.168.56.1', upper: '192.168.56.1', enabled: true }]);
      await networkDown(vb, 'kubelab', labPaths(project), out);
      expect(s.state().hostonlynets).toEqual([]);
    });
  });

  describe('an interface a network up made but could not note (stopped right after hostonlyif create)', () => {
    /** What kubelab records before `hostonlyif create`: the interfaces there were. */
    const pending = (before: string[]) => {
      fs.mkdirSync(labPaths(project).stateDir, { recursive: true });
      fs.writeFileSync(networkRecordPath(labPaths(project)), JSON.stringify({ lab: 'kubelab', kind: 'hostonlyif', name: '', created: true, cidr: '192.168.56.0/24', hostIp: '192.168.56.1', creating: { before } }));
    };
    test('the next up adopts it, sets its address and records it as the lab’s', async () => {
      await withEnv(s.env, async () => {
        const vb = new VBoxManage();
        await vb.run(['hostonlyif', 'create']);
        pending([]);
        const rec = await networkUp(vb, cfg, labPaths(project), out, 'linux');
        expect(rec).toEqual({ lab: 'kubelab', kind: 'hostonlyif', name: 'vboxnet0', created: true, cidr: '192.168.56.0/24', hostIp: '192.168.56.1' });
        expect(lines).toContain('kubelab: host-only interface vboxnet0 was made by a network up that was interrupted; using it');
        expect(s.calls().filter((c) => c.startsWith('hostonlyif'))).toEqual(['hostonlyif create', 'hostonlyif ipconfig vboxnet0 --ip 192.168.56.1 --netmask 255.255.255.0']);
      });
    });
    test('network down removes it', async () => {
      await withEnv(s.env, async () => {
        const vb = new VBoxManage();
        await vb.run(['hostonlyif', 'create']);
        await vb.run(['hostonlyif', 'create']);
        pending(['vboxnet0']);
        await networkDown(vb, 'kubelab', labPaths(project), out);
        expect(s.state().hostonlyifs.map((i) => i.name)).toEqual(['vboxnet0']);
        expect(readNetworkRecord(labPaths(project))).toBeUndefined();
      });
    });
    test('two new interfaces: neither is taken, and the error names both', async () => {
      await withEnv(s.env, async () => {
        const vb = new VBoxManage();
        await vb.run(['hostonlyif', 'create']);
        await vb.run(['hostonlyif', 'create']);
        pending([]);
        await expect(networkUp(vb, cfg, labPaths(project), out, 'linux')).rejects.toThrow(/host-only interfaces vboxnet0, vboxnet1 appeared after a network up of lab kubelab was interrupted .*cannot tell which/);
        await expect(networkDown(vb, 'kubelab', labPaths(project), out)).rejects.toThrow(/cannot tell which/);
        expect(s.state().hostonlyifs).toHaveLength(2);
      });
    });
  });

  test('an interface that was there before the lab is reused and left in place by down', async () => {
    await withEnv(s.env, async () => {
      const vb = new VBoxManage();
      await vb.run(['hostonlyif', 'create']);
      await vb.run(['hostonlyif', 'ipconfig', 'vboxnet0', '--ip', '192.168.56.1', '--netmask', '255.255.255.0']);
      const rec = await networkUp(vb, cfg, labPaths(project), out, 'linux');
      expect([rec.name, rec.created]).toEqual(['vboxnet0', false]);
      await networkDown(vb, 'kubelab', labPaths(project), out);
      expect(lines[lines.length - 1]).toBe('kubelab: host-only interface vboxnet0 was there before the lab; leaving it');
      expect(s.state().hostonlyifs.map((i) => i.name)).toEqual(['vboxnet0']);
      expect(readNetworkRecord(labPaths(project))).toBeUndefined();
    });
  });

  test('an address outside networks.conf is refused by VirtualBox, and the error says so', async () => {
    const other = resolveLabConfig({ network: { cidr: '10.20.0.0/24', hostIp: '10.20.0.1' }, nodes: [{ name: 'cp1', role: 'server', ip: '10.20.0.10' }] }).config;
    await withEnv(s.env, async () => {
      await expect(networkUp(new VBoxManage(), other, labPaths(project), out, 'linux')).rejects.toThrow(/hostonlyif ipconfig vboxnet0 --ip 10.20.0.1 .*E_ACCESSDENIED/);
      // Recorded as created before configuring, so `network down` still removes it.
      expect(readNetworkRecord(labPaths(project))).toMatchObject({ name: 'vboxnet0', created: true });
      await networkDown(new VBoxManage(), 'kubelab', labPaths(project), out);
      expect(s.state().hostonlyifs).toEqual([]);
    });
  });
});

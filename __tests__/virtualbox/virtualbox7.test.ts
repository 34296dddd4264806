/**
 * kubelab against VirtualBox 7 as its source says it behaves (issue 9), through the
 * VBoxManage STAND-IN (not VirtualBox; see ../support/vboxmanage-standin.js, which
 * cites the VirtualBox source of each behaviour): live VM states, the kernel-module
 * warning, group folders, translated output, lock-only retries, the macOS DHCP range,
 * per-project ownership. The verbs run as the CLI runs them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { kvmConflict } from '../../cli/doctor/host-advice';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { isOn } from '../../cli/virtualbox/lab-vm';
import { networkUp } from '../../cli/virtualbox/network';
import { stopNodeVm } from '../../cli/virtualbox/node-vm';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { ImageServer, startImageServer } from '../image/image-server';
import { requireTool } from '../support/tools';
import { StandInEnv, withEnv } from '../support/vboxmanage-standin-env';
import { cli, fakeNodes, kubelab, scratchLab } from './standin-harness';

let server: ImageServer;
beforeAll(async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
});
afterAll(() => server.close());

let s: StandInEnv;
let project: string;
beforeEach(() => ({ s, project } = scratchLab(server.baseUrl)));
afterEach(() => s.cleanup());

/** A whole node lifecycle is some sixty VBoxManage processes: on a loaded machine that outlasts jest's default 30 s. */
const SLOW_MS = 120_000;

const vbm = (...args: string[]) => withEnv(s.env, () => new VBoxManage().run(args));

/** A node VM as `vm create` leaves it (lab and project marked, ready), made directly in the stand-in: no guest needed. */
async function nodeVm(name: string, opts: { state?: string; projectDir?: string } = {}): Promise<void> {
  const ova = path.join(s.root, 'node.ova');
  fs.writeFileSync(ova, 'x');
  const dir = opts.projectDir ?? project;
  await vbm('import', ova, '--vsys', '0', '--vmname', `kubelab-${name}`, '--group', '/kubelab', '--basefolder', path.join(dir, '.kubelab', 'vms'));
  await vbm('setextradata', `kubelab-${name}`, 'kubelab/lab', 'kubelab');
  await vbm('setextradata', `kubelab-${name}`, 'kubelab/project', path.resolve(dir));
  await vbm('setextradata', `kubelab-${name}`, 'kubelab/ready', 'yes');
  await vbm('startvm', `kubelab-${name}`, '--type', 'headless');
  if (opts.state) s.setVmState(`kubelab-${name}`, opts.state);
}
const vmOf = (name: string) => s.state().vms.find((v) => v.name === `kubelab-${name}`);

describe('VM states: off only in the states VirtualBox defines as off', () => {
  test.each(['poweroff', 'saved', 'aborted', 'aborted-saved', 'teleported'])('%s is off', (state) => expect(isOn({ state })).toBe(false));
  test.each(['running', 'paused', 'gurumeditation', 'stopping', 'livesnapshotting', 'onlinesnapshotting', 'deletingsnapshotlive', 'teleporting', 'teleportingin', 'settingup'])(
    '%s is on',
    (state) => expect(isOn({ state })).toBe(true),
  );

  test('vm stop --force powers off a VM in gurumeditation; vm destroy deletes one in livesnapshotting', async () => {
    await nodeVm('cp1', { state: 'gurumeditation' });
    expect(await cli(s, project, 'vm', 'stop', 'cp1', '--force')).toEqual({ code: 0, out: 'kubelab: VM kubelab-cp1 powered off' });
    expect(vmOf('cp1')!.state).toBe('poweroff');
    s.setVmState('kubelab-cp1', 'livesnapshotting');
    expect(await cli(s, project, 'vm', 'destroy', 'cp1')).toEqual({ code: 0, out: 'kubelab: destroyed VM kubelab-cp1 and its seed' });
    expect(vmOf('cp1')).toBeUndefined();
  });
});

describe('the Linux kernel-module warning before the version line', () => {
  test("doctor reads VBoxManage's own version line and fails with the kernel-module advice", async () => {
    const lines: string[] = [];
    const ctx = new CliContext(project, (l) => lines.push(l), (l) => lines.push(l));
    const { main } = await import('../../cli/main');
    const env = { ...s.env, VBOXMANAGE_STANDIN_KERNEL_MODULE: 'missing', VBOXMANAGE_STANDIN_KERNEL: '5.15.0-91-generic' };
    const code = await withEnv(env, () => main(['doctor', '--preflight'], project, ctx));
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^FAIL virtualbox: VirtualBox 7\.1\.4r165100: the VirtualBox kernel module \(vboxdrv\) is not loaded.*WARNING: The vboxdrv kernel module is not loaded/);
    expect(lines[0]).toMatch(/\n +fix: .*linux-headers-\$\(uname -r\).*sudo \/sbin\/vboxconfig/);
  });
});

describe('VM folders follow VirtualBox: <basefolder>/<group>/<vm>', () => {
  test('the base VM is imported into its group folder, with no later move', async () => {
    expect((await cli(s, project, 'image', 'import')).code).toBe(0);
    expect(vmOf('base')!.cfgFile).toBe(path.join(project, '.kubelab', 'vms', 'kubelab', 'kubelab-base', 'kubelab-base.vbox'));
    expect(s.calls().filter((c) => /^modifyvm kubelab-base .*--groups/.test(c))).toEqual([]);
  });

  requireTool('/usr/sbin/sshd')('with a node that answers over SSH', () => {
    test("a folder left by a crash where VirtualBox keeps the node's files does not block vm create", async () => {
      const nodes = await fakeNodes(project);
      try {
        const leftover = path.join(project, '.kubelab', 'vms', 'kubelab', 'kubelab-cp1');
        fs.mkdirSync(leftover, { recursive: true });
        fs.writeFileSync(path.join(leftover, 'kubelab-cp1.vbox'), 'left by a crash\n');
        const r = await kubelab({ ...s.env, ...nodes.env }, project, 'vm', 'create', 'cp1');
        expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
        expect(vmOf('cp1')!.cfgFile).toBe(path.join(leftover, 'kubelab-cp1.vbox'));
      } finally {
        await nodes.stop();
      }
    }, SLOW_MS);

    test('Russian VBoxManage: create, snapshot, restore, status, destroy and network down all work', async () => {
      const nodes = await fakeNodes(project);
      const ru = { ...s, env: { ...s.env, VBOXMANAGE_STANDIN_LANG: 'ru' } };
      try {
        const r = await kubelab({ ...ru.env, ...nodes.env }, project, 'vm', 'create', 'cp1');
        expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
        expect(r.stdout).toMatch(/created host-only interface vboxnet0/);
        expect((await cli(ru, project, 'snapshot', 'take', 'cp1')).code).toBe(0);
        expect((await cli(ru, project, 'snapshot', 'take', 'cp1')).out).toMatch(/already has snapshot kubelab-bootstrapped; nothing to do/);
        expect((await cli(ru, project, 'snapshot', 'restore', 'cp1')).out).toMatch(/restored kubelab-cp1 to snapshot kubelab-bootstrapped/);
        expect((await cli(ru, project, 'vm', 'status', 'cp1')).out).toBe('kubelab-cp1: running, ip 192.168.56.10, created');
        expect((await cli(ru, project, 'vm', 'destroy', 'cp1')).out).toBe('kubelab: forgot the pinned SSH host key of cp1\nkubelab: destroyed VM kubelab-cp1 and its seed');
        expect(s.state().media.filter((m) => m.kind === 'dvd')).toEqual([]);
        expect((await cli(ru, project, 'network', 'down')).out).toBe('kubelab: removed host-only interface vboxnet0');
      } finally {
        await nodes.stop();
      }
    }, SLOW_MS);
  });
});

describe('retries: only for a held session', () => {
  test('vm destroy right after the power-off waits for the session to be released', async () => {
    await nodeVm('cp1');
    const r = await cli({ ...s, env: { ...s.env, VBOXMANAGE_STANDIN_UNLOCK_AFTER_CALLS: '4' } }, project, 'vm', 'destroy', 'cp1');
    expect(r).toEqual({ code: 0, out: 'kubelab: destroyed VM kubelab-cp1 and its seed' });
    expect(s.calls().filter((c) => c.startsWith('unregistervm')).length).toBeGreaterThan(1);
  });

  test('startvm of a running VM fails at once, not after 8 retries', async () => {
    await nodeVm('cp1');
    await expect(vbm('startvm', 'kubelab-cp1', '--type', 'headless')).rejects.toThrow(/VBOX_E_INVALID_OBJECT_STATE/);
    expect(s.calls().filter((c) => c.startsWith('startvm')).length).toBe(2); // the one in nodeVm, and this one
  });

  test('NS_ERROR_INVALID_ARG is not retried', async () => {
    const env = { ...s.env, VBOXMANAGE_STANDIN_FAIL: 'list', VBOXMANAGE_STANDIN_FAIL_CODE: 'NS_ERROR_INVALID_ARG' };
    await expect(withEnv(env, () => new VBoxManage().run(['list', 'vms']))).rejects.toThrow(/NS_ERROR_INVALID_ARG/);
    expect(s.calls().filter((c) => c === 'list vms')).toHaveLength(1);
  });

  test('a VM that finished its ACPI shutdown just before the power-off: the stop succeeds', async () => {
    await nodeVm('cp1');
    const lines: string[] = [];
    const env = { ...s.env, VBOXMANAGE_STANDIN_ACPI_DELAY_MS: '0' };
    await withEnv(env, () => stopNodeVm(new VBoxManage(), 'kubelab', 'cp1', labPaths(project), (l) => lines.push(l), { graceMs: 0 }));
    expect(vmOf('cp1')!.state).toBe('poweroff');
    expect(lines[lines.length - 1]).toBe('kubelab: VM kubelab-cp1 powered off');
  });

  test('a slow ACPI shutdown: the wait says what it waits for and what it sees, then powers off at its deadline', async () => {
    await nodeVm('cp1');
    const lines: string[] = [];
    const env = { ...s.env, VBOXMANAGE_STANDIN_ACPI_DELAY_MS: '60000' };
    await withEnv(env, () => stopNodeVm(new VBoxManage(), 'kubelab', 'cp1', labPaths(project), (l) => lines.push(l), { graceMs: 1000, pollMs: 50, progressEveryMs: 300 }));
    expect(lines.filter((l) => /^kubelab: waiting for VM kubelab-cp1 to shut down \(ACPI power button\): \d s of 1 s \(last seen: running\)$/.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(lines.slice(-2)).toEqual(['kubelab: VM kubelab-cp1 did not shut down within 1 s; powering it off', 'kubelab: VM kubelab-cp1 powered off']);
    expect(vmOf('cp1')!.state).toBe('poweroff');
  });

  test('the ACPI power button presses only on a running VM: a paused one is refused (VBOX_E_INVALID_VM_STATE) and stays paused', async () => {
    await nodeVm('cp1', { state: 'paused' });
    await expect(vbm('controlvm', 'kubelab-cp1', 'acpipowerbutton')).rejects.toThrow(/VBOX_E_INVALID_VM_STATE/);
    expect(vmOf('cp1')!.state).toBe('paused');
  });

  test('a paused VM is stopped by powering it off, not with the power button (which only a running VM takes)', async () => {
    await nodeVm('cp1', { state: 'paused' });
    const r = await cli(s, project, 'vm', 'stop', 'cp1');
    expect(r).toEqual({ code: 0, out: 'kubelab: VM kubelab-cp1 powered off' });
    expect(s.calls().filter((c) => c.startsWith('controlvm'))).toEqual(['controlvm kubelab-cp1 poweroff']);
  });

  test('the ACPI shutdown takes its time: vm stop waits for it', async () => {
    await nodeVm('cp1');
    const r = await cli({ ...s, env: { ...s.env, VBOXMANAGE_STANDIN_ACPI_DELAY_MS: '400' } }, project, 'vm', 'stop', 'cp1');
    expect(r).toEqual({ code: 0, out: 'kubelab: VM kubelab-cp1 shut down' });
    expect(s.calls().filter((c) => c.startsWith('controlvm'))).toEqual(['controlvm kubelab-cp1 acpipowerbutton']);
  });
});

describe('macOS host-only network', () => {
  const cfg = resolveLabConfig({}).config;
  test('its DHCP range holds no node address (lower = upper = the host address, as Vagrant does)', async () => {
    await withEnv(s.env, () => networkUp(new VBoxManage(), cfg, labPaths(project), () => undefined, 'darwin'));
    const [net] = s.state().hostonlynets;
    expect([net.lower, net.upper]).toEqual([cfg.network.hostIp, cfg.network.hostIp]);
  });
  test('an existing network whose DHCP range covers node addresses is refused with the way out', async () => {
    await vbm('hostonlynet', 'add', '--name', 'kubelab-net', '--netmask', '255.255.255.0', '--lower-ip', '192.168.56.1', '--upper-ip', '192.168.56.254', '--enable');
    await expect(withEnv(s.env, () => networkUp(new VBoxManage(), cfg, labPaths(project), () => undefined, 'darwin'))).rejects.toThrow(
      /host-only network kubelab-net hands out 192\.168\.56\.1-192\.168\.56\.254 by DHCP, which covers the node addresses 192\.168\.56\.10 \(cp1\), .*kubelab network down/,
    );
  });
});

describe('ownership: a VM is this project’s only with its lab marker and this project’s identity', () => {
  test('a second clone of the project with the same lab name neither adopts nor deletes the first one’s VMs', async () => {
    const first = path.join(s.root, 'first-clone');
    fs.mkdirSync(first);
    await nodeVm('cp1', { projectDir: first });
    const message = `the VirtualBox VM 'kubelab-cp1' belongs to lab 'kubelab' of another kubelab project (${path.resolve(first)}); kubelab leaves it alone. Give this project another lab name: set name: in its kubelab.config.yaml (for example name: kubelab2).`;
    expect(await cli(s, project, 'vm', 'destroy', 'cp1')).toEqual({ code: 1, out: `kubelab: error: ${message}` });
    expect((await cli(s, project, 'vm', 'create', 'cp1')).out).toContain(message);
    expect((await cli(s, project, 'vm', 'stop', 'cp1')).out).toContain(message);
    expect(vmOf('cp1')!.state).toBe('running');
    // The first clone still owns it.
    expect(await cli(s, first, 'vm', 'destroy', 'cp1')).toEqual({ code: 0, out: 'kubelab: destroyed VM kubelab-cp1 and its seed' });
  });
});

describe('host problems at startvm get the advice doctor gives', () => {
  test('VERR_VMX_IN_VMX_ROOT_MODE, VERR_SVM_IN_USE (before 7.2.10) and VERR_SVM_HOST_SVME_NOT_ENABLED (7.2.10): the KVM advice for that version', async () => {
    await nodeVm('cp1', { state: 'poweroff' });
    const cases: [string, string, number[], string[], 'Y' | 'N'][] = [
      ['VERR_VMX_IN_VMX_ROOT_MODE', '7.1.4r165100', [7, 1, 4], ['kvm_intel'], 'Y'],
      ['VERR_SVM_IN_USE', '7.1.4r165100', [7, 1, 4], ['kvm_amd'], 'Y'],
      ['VERR_SVM_HOST_SVME_NOT_ENABLED', '7.2.10r170000', [7, 2, 10], ['kvm_amd'], 'N'],
    ];
    for (const [verr, version, v, modules, param] of cases) {
      const r = await cli({ ...s, env: { ...s.env, VBOXMANAGE_STANDIN_START_ERROR: verr, VBOXMANAGE_STANDIN_VERSION: version } }, project, 'vm', 'start', 'cp1');
      const advice = kvmConflict(modules, param, v)!;
      expect([verr, r.code]).toEqual([verr, 1]);
      expect(r.out).toContain(`VirtualBox could not start VM kubelab-cp1: ${advice.problem}. Fix: ${advice.fix}.`);
    }
  });
  test('VERR_VM_DRIVER_NOT_INSTALLED: the kernel-module advice', async () => {
    await nodeVm('cp1', { state: 'poweroff' });
    const r = await cli({ ...s, env: { ...s.env, VBOXMANAGE_STANDIN_START_ERROR: 'VERR_VM_DRIVER_NOT_INSTALLED' } }, project, 'vm', 'start', 'cp1');
    expect(r.out).toMatch(/kernel module \(vboxdrv\) is not loaded.*Fix: .*sudo \/sbin\/vboxconfig/);
  });
});

describe('the stand-in follows VirtualBox', () => {
  test('nested snapshots as showvminfo/snapshot list --machinereadable print them', async () => {
    await nodeVm('cp1', { state: 'poweroff' });
    await vbm('snapshot', 'kubelab-cp1', 'take', 'one');
    await vbm('snapshot', 'kubelab-cp1', 'take', 'two', '--description', 'second');
    await vbm('snapshot', 'kubelab-cp1', 'restore', 'one');
    await vbm('snapshot', 'kubelab-cp1', 'take', 'three');
    const listed = await vbm('snapshot', 'kubelab-cp1', 'list', '--machinereadable');
    expect(listed.trim().split('\n').filter((l) => !/UUID/.test(l))).toEqual([
      'SnapshotName="one"',
      'SnapshotName-1="two"',
      'SnapshotDescription-1="second"',
      'SnapshotName-2="three"',
      'CurrentSnapshotName="three"',
      'CurrentSnapshotNode="SnapshotName-2"',
    ]);
    // kubelab reads them from showvminfo, which prints the same tree.
    expect((await cli(s, project, 'snapshot', 'restore', 'cp1', 'nope')).out).toMatch(/it has: one, two, three\)/);
  });

  test('changing the primary group moves the VM folder to <basefolder>/<group>/<vm>', async () => {
    const ova = path.join(s.root, 'x.ova');
    fs.writeFileSync(ova, 'x');
    const base = path.join(s.root, 'vms');
    await vbm('import', ova, '--vsys', '0', '--vmname', 'v', '--basefolder', base);
    expect(s.state().vms[0].cfgFile).toBe(path.join(base, 'v', 'v.vbox'));
    await vbm('modifyvm', 'v', '--groups', '/lab');
    expect(s.state().vms[0].cfgFile).toBe(path.join(base, 'lab', 'v', 'v.vbox'));
    expect(fs.existsSync(path.join(base, 'lab', 'v', 'v.vbox'))).toBe(true);
    expect(fs.existsSync(path.join(base, 'v'))).toBe(false);
    expect(s.state().media.every((m) => m.location.startsWith(path.join(base, 'lab', 'v')))).toBe(true);
  });

  test('the kernel-module warning comes first on every command; the Russian mode translates labels, not codes or machine-readable output', async () => {
    const warned = await withEnv({ ...s.env, VBOXMANAGE_STANDIN_KERNEL_MODULE: 'missing' }, () => new VBoxManage().run(['--version']));
    expect(warned).toMatch(/^WARNING: The vboxdrv kernel module is not loaded\.[\s\S]*\(5\.15\.0-91-generic\)[\s\S]*\n7\.1\.4r165100\n$/);
    const ru = { ...s.env, VBOXMANAGE_STANDIN_LANG: 'ru' };
    await withEnv(ru, () => new VBoxManage().run(['hostonlyif', 'create']));
    const listed = await withEnv(ru, () => new VBoxManage().run(['list', 'hostonlyifs']));
    expect(listed).toMatch(/^Имя: +vboxnet0\nGUID: +\S+\nDHCP: +Выключено\n/);
    const missing = await withEnv(ru, () => new VBoxManage().run(['showvminfo', 'nope', '--machinereadable']).catch((e: Error) => e.message));
    expect(missing).toMatch(/Не удалось найти .*VBOX_E_OBJECT_NOT_FOUND/s);
  });
});

describe('config: node names that collide with kubelab’s own VMs', () => {
  test("a node named 'base' is refused with one line naming the field, value and what is allowed", () => {
    expect(() => resolveLabConfig({ nodes: [{ name: 'cp1', role: 'server', ip: '192.168.56.10' }, { name: 'base', role: 'agent', ip: '192.168.56.11' }] })).toThrow(
      /nodes\[1\]\.name = "base": is reserved: the VM kubelab-base is the base image every node is cloned from; allowed: any other hostname/,
    );
  });
});

test('image import on a Linux arm64 host: refused before any download or VirtualBox call', async () => {
  const { ensureBaseImage } = await import('../../cli/virtualbox/base-image');
  const { ubuntuImageSource } = await import('../../cli/image/ubuntu-image');
  const requests = server.ranges.length;
  const err = await withEnv(s.env, () =>
    ensureBaseImage({ vb: new VBoxManage(), lab: 'kubelab', paths: labPaths(project), source: ubuntuImageSource(s.env), out: () => undefined, progress: () => undefined, host: { platform: 'linux', arch: 'arm64' } }).catch((e: Error) => e),
  );
  expect((err as Error).message).toMatch(/no Linux host package for arm64 CPUs.*nothing was downloaded/);
  expect(s.calls()).toEqual([]);
  expect(server.ranges.length).toBe(requests);
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';
import { Finding, HostFacts, MIN_TERRAFORM, allowedRanges, formatFinding, realHostFacts, runChecks } from '../../cli/doctor/checks';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';
import { hostThatFits } from '../support/host-facts';
import { requireTool } from '../support/tools';
import { StandInEnv, standInEnv, withEnv } from '../support/vboxmanage-standin-env';

const cfg = resolveLabConfig({}).config;
const paths = labPaths(os.tmpdir());

let s: StandInEnv;
beforeEach(() => (s = standInEnv()));
afterEach(() => s.cleanup());

/** A host that can run the default lab, with the VBoxManage stand-in as its VirtualBox. */
const host = hostThatFits;
const check = (h: HostFacts, stopOnFail = false, env: NodeJS.ProcessEnv = s.env) => withEnv(env, () => runChecks(cfg, paths, h, stopOnFail));
const levels = (found: Finding[]) => found.map((f) => `${f.level} ${f.check}`);

test('a host that fits: every finding ok', async () => {
  const found = await check(host());
  expect(levels(found)).toEqual(['ok virtualbox', 'ok kvm', 'ok terraform', 'ok memory', 'ok cpus', 'ok network', 'ok address', 'ok address', 'ok address']);
  expect(found[0].message).toMatch(/^VirtualBox 7\.1\.4r165100 \(.*VBoxManage\)$/);
});

test('VirtualBox missing: a fail that says so and how to fix it', async () => {
  const found = await check(host(), false, { PATH: '/nonexistent' });
  expect(found[0]).toEqual({
    level: 'fail',
    check: 'virtualbox',
    message: expect.stringMatching(/^VirtualBox is missing: VBoxManage is not on PATH/),
    fix: expect.stringMatching(/install VirtualBox 7/),
  });
  // Preflight stops at the first fail.
  expect(levels(await check(host(), true, { PATH: '/nonexistent' }))).toEqual(['fail virtualbox']);
});

test('VirtualBox older than 7.0 fails', async () => {
  const found = await check(host(), false, { ...s.env, VBOXMANAGE_STANDIN_VERSION: '6.1.50r161033' });
  expect(formatFinding(found[0])).toBe('FAIL virtualbox: VirtualBox 6.1.50r161033 is older than 7.0\n     fix: install VirtualBox 7 from https://www.virtualbox.org/wiki/Downloads');
});

test('Windows: Hyper-V detected is a warning with the fix; networks.conf is not checked', async () => {
  const found = await check(host({ platform: 'win32', hypervisorPresent: async () => true }));
  const hv = found.find((f) => f.check === 'hypervisor')!;
  expect(hv.level).toBe('warn');
  expect(hv.message).toMatch(/very slow fallback mode/);
  expect(hv.fix).toMatch(/hypervisorlaunchtype off/);
  expect(found.some((f) => f.check === 'network')).toBe(false);
  const clean = await check(host({ platform: 'win32', hypervisorPresent: async () => false }));
  expect(clean.find((f) => f.check === 'hypervisor')!.level).toBe('ok');
});

test('RAM and CPUs: too little fails, tight warns', async () => {
  expect(levels(await check(host({ totalMemoryMb: 4096 }))).filter((l) => l.endsWith('memory'))).toEqual(['fail memory']);
  expect(levels(await check(host({ totalMemoryMb: 7000 }))).filter((l) => l.endsWith('memory'))).toEqual(['warn memory']);
  expect(levels(await check(host({ cpus: 1 }))).filter((l) => l.endsWith('cpus'))).toEqual(['fail cpus']);
  expect(levels(await check(host({ cpus: 2 }))).filter((l) => l.endsWith('cpus'))).toEqual(['warn cpus']);
});

test('Linux/macOS: the subnet must be allowed by /etc/vbox/networks.conf', async () => {
  expect(allowedRanges('# comment\n* 10.0.0.0/8 192.168.0.0/16\n* 2001::/64\n')).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
  const found = await check(host({ networksConf: () => '* 10.0.0.0/8\n' }));
  const net = found.find((f) => f.check === 'network')!;
  expect(net.level).toBe('fail');
  expect(net.fix).toBe('add the line "* 192.168.56.0/24" to /etc/vbox/networks.conf (as root), or set network.cidr inside 10.0.0.0/8');
});

test('node addresses: something else answering fails; the lab own VM is fine; a network answering everywhere warns', async () => {
  const answering = new Set(['192.168.56.11']);
  const found = await check(host({ answers: async (ip) => answering.has(ip) }));
  expect(found.filter((f) => f.check === 'address').map((f) => f.level)).toEqual(['ok', 'fail', 'ok']);
  expect(found.find((f) => f.level === 'fail')!.message).toBe('192.168.56.11 (w1) already answers on this network, and not from a VM of lab kubelab');
  // Once the lab's own w1 exists (marked as the lab's), its answer is expected.
  await withEnv(s.env, async () => {
    const vb = new VBoxManage();
    const ova = path.join(s.root, 'x.ova');
    fs.writeFileSync(ova, 'x');
    await vb.run(['import', ova, '--vsys', '0', '--vmname', 'kubelab-w1']);
    await vb.run(['setextradata', 'kubelab-w1', 'kubelab/lab', 'kubelab']);
    await vb.run(['setextradata', 'kubelab-w1', 'kubelab/project', path.resolve(paths.projectDir)]);
  });
  const own = await check(host({ answers: async (ip) => answering.has(ip) }));
  expect(own.find((f) => f.message.startsWith('192.168.56.11'))).toMatchObject({ level: 'ok', message: "192.168.56.11 answers: it is the lab's own VM kubelab-w1" });
  const everywhere = await check(host({ answers: async () => true }));
  expect(everywhere.filter((f) => f.check === 'address')).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/accepts connections to any address/) })]);
});

test('kubelab doctor on a host without VirtualBox exits 1 and says clearly that VirtualBox is missing', async () => {
  const lines: string[] = [];
  const project = path.join(s.root);
  const ctx = new CliContext(project, (l) => lines.push(l), (l) => lines.push(l));
  const code = await withEnv({ PATH: '/nonexistent' }, () => main(['doctor', '--preflight'], project, ctx));
  expect(code).toBe(1);
  expect(lines[0]).toMatch(/^FAIL virtualbox: VirtualBox is missing/);
  expect(lines[lines.length - 1]).toMatch(/^kubelab: error: 1 check failed \(virtualbox\)/);
});

describe('Linux: a loaded KVM and the VirtualBox version decide the fix', () => {
  const kvmFinding = async (modules: string[], enableVirtAtLoad: 'Y' | 'N' | undefined, version: string) =>
    (await check(host({ kvm: () => ({ modules, enableVirtAtLoad }) }), false, { ...s.env, VBOXMANAGE_STANDIN_VERSION: version })).find((f) => f.check === 'kvm')!;

  test('VirtualBox before 7.2.10 with kvm_intel holding VT-x (Linux 6.12+): fail, unload KVM or set enable_virt_at_load=0, or upgrade', async () => {
    const f = await kvmFinding(['kvm_intel'], 'Y', '7.1.4r165100');
    expect(f.level).toBe('fail');
    expect(f.message).toMatch(/^kvm_intel is loaded and holds VT-x\/AMD-V .*VirtualBox 7\.1\.4 cannot start VMs beside it \(VERR_VMX_IN_VMX_ROOT_MODE \/ VERR_SVM_IN_USE\)/);
    expect(f.fix).toMatch(/upgrade to VirtualBox 7\.2\.10 or later; or unload KVM now \(sudo modprobe -r kvm_intel kvm\) and keep it off with the line "options kvm enable_virt_at_load=0"/);
    // The old workaround in place: fine before 7.2.10.
    expect((await kvmFinding(['kvm_intel'], 'N', '7.1.4r165100')).level).toBe('ok');
  });

  test('VirtualBox 7.2.10 and later with the old workaround enable_virt_at_load=N: fail, remove it', async () => {
    const f = await kvmFinding(['kvm_amd'], 'N', '7.2.10r170000');
    expect(f.level).toBe('fail');
    expect(f.message).toMatch(/VirtualBox 7\.2\.10 then fails to start VMs \(VERR_SVM_HOST_SVME_NOT_ENABLED\)/);
    expect(f.fix).toMatch(/^remove "enable_virt_at_load=0" from \/etc\/modprobe\.d/);
    // With the default Y, 7.2.10 runs beside KVM.
    expect((await kvmFinding(['kvm_amd'], 'Y', '7.2.10r170000')).level).toBe('ok');
  });

  test('no KVM module, or a kernel before 6.12 (no enable_virt_at_load): ok', async () => {
    expect((await kvmFinding([], undefined, '7.1.4r165100')).message).toBe('no KVM module loaded');
    expect((await kvmFinding(['kvm_intel'], undefined, '7.1.4r165100')).level).toBe('ok');
  });

  test('kubelab doctor prints the KVM failure with its fix', async () => {
    const lines: string[] = [];
    const ctx = new CliContext(s.root, (l) => lines.push(l), (l) => lines.push(l));
    const { registerDoctorCommand } = await import('../../cli/doctor/doctor-command');
    const { Command } = await import('commander');
    const program = new Command().exitOverride();
    registerDoctorCommand(program, ctx, () => host({ kvm: () => ({ modules: ['kvm_intel'], enableVirtAtLoad: 'Y' }) }));
    await withEnv(s.env, () => program.parseAsync(['node', 'kubelab', 'doctor']).catch((e: Error) => lines.push(e.message)));
    expect(lines.join('\n')).toMatch(/FAIL kvm: kvm_intel is loaded[^\n]*\n +fix: upgrade to VirtualBox 7\.2\.10 or later/);
  });
});

describe('arm64 hosts', () => {
  test('Linux and Windows on Arm: refused first, with VirtualBox\'s reason, before anything else is asked', async () => {
    expect(await check(host({ arch: 'arm64', platform: 'linux' }), true)).toEqual([
      { level: 'fail', check: 'host', message: expect.stringMatching(/^VirtualBox publishes no Linux host package for arm64 CPUs .*issue #831/), fix: expect.stringMatching(/Apple Silicon Mac or an x86-64/) },
    ]);
    expect(await check(host({ arch: 'arm64', platform: 'win32' }), true)).toEqual([
      { level: 'fail', check: 'host', message: expect.stringMatching(/^this is a Windows on Arm computer: VirtualBox 7\.2 runs Windows on Arm hosts only through Hyper-V APIs .*issue #8/), fix: expect.any(String) },
    ]);
  });

  const onMac = async (version: string) => {
    const env = { ...s.env, VBOXMANAGE_STANDIN_VERSION: version };
    return (await check(host({ arch: 'arm64', platform: 'darwin' }), false, env)).filter((f) => f.check === 'host' || f.check === 'virtualbox');
  };

  test('Apple Silicon: VirtualBox 7.0 fails (arm64 VMs need 7.1), 7.1 warns (7.2 recommended), 7.2 is ok', async () => {
    expect(await onMac('7.0.20r163906')).toEqual([
      { level: 'ok', check: 'host', message: 'arm64 host (Apple Silicon): the nodes are arm64 Ubuntu 24.04 VMs' },
      { level: 'fail', check: 'virtualbox', message: expect.stringMatching(/^VirtualBox 7\.0\.20 cannot run arm64 VMs on this arm64 host: that needs VirtualBox 7\.1 or later/), fix: expect.stringMatching(/install VirtualBox 7\.2/) },
    ]);
    expect((await onMac('7.1.4r165100'))[1]).toMatchObject({ level: 'warn', message: expect.stringMatching(/^VirtualBox 7\.1\.4 runs arm64 VMs, but 7\.2 is recommended/) });
    expect((await onMac('7.2.8r170228')).slice(1)).toEqual([{ level: 'ok', check: 'virtualbox', message: expect.stringMatching(/^VirtualBox 7\.2\.8 runs the lab's arm64 Ubuntu VMs/) }]);
  });

  test('Apple Silicon with VirtualBox 7.2.10: warns about the host-only network failure of VirtualBox issue #727 and what to do', async () => {
    const found = await onMac('7.2.10r172340');
    expect(found[2]).toEqual({
      level: 'warn',
      check: 'virtualbox',
      message: expect.stringMatching(/^VirtualBox 7\.2\.10 on macOS: VirtualBox could not attach the VM to the lab's host-only network .*issue #727/),
      fix: expect.stringMatching(/other than 7\.2\.10.*issues\/727/),
    });
  });
});

describe('Terraform: present and at least the README minimum', () => {
  test('missing or too old fails; current is ok', async () => {
    const tf = async (v: string | undefined) => (await check(host({ terraformVersion: async () => v }))).find((f) => f.check === 'terraform')!;
    expect(await tf(undefined)).toMatchObject({ level: 'fail', message: expect.stringMatching(/^Terraform is not installed or does not run/) });
    expect(await tf('1.4.7')).toMatchObject({ level: 'fail', message: 'Terraform 1.4.7 is older than 1.5' });
    expect(await tf('1.5.0')).toMatchObject({ level: 'ok', message: 'Terraform 1.5.0' });
  });
  test("the README's minimum is the one doctor checks", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(`Terraform ≥ ${MIN_TERRAFORM.join('.')}`);
  });
});

requireTool('terraform')('the real terraform binary', () => {
  test('is read by its JSON version', async () => {
    expect(await realHostFacts().terraformVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

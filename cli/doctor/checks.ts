import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { parseCidr, subnetWithin } from '../../config/ipv4';
import { LabConfig, vmName } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { VBOX_DEFAULT_ALLOWED_RANGE } from '../../config/lab-config';
import { probeTcp } from '../ssh/wait';
import { inspectVm } from '../virtualbox/lab-vm';
import { parseVersion } from '../virtualbox/parse';
import { VBOXMANAGE_MISSING, VBoxManage } from '../virtualbox/vboxmanage';
import { vbox } from '../virtualbox/commands';
import { hostPlatform, hostRefusal } from '../image/host-arch';
import { arm64VirtualBoxAdvice } from './arm64-advice';
import { KERNEL_MODULE_ADVICE, KvmParameter, kvmConflict } from './host-advice';

export type FindingLevel = 'ok' | 'warn' | 'fail';

/** One result of `kubelab doctor`: what was found and, when not ok, how to fix it. */
export interface Finding {
  readonly level: FindingLevel;
  readonly check: string;
  readonly message: string;
  readonly fix?: string;
}

/** What the checks read from the host; tests pass their own. */
export interface HostFacts {
  readonly platform: NodeJS.Platform;
  readonly totalMemoryMb: number;
  readonly cpus: number;
  /** Contents of /etc/vbox/networks.conf, or undefined when the file does not exist. */
  readonly networksConf: () => string | undefined;
  /** CPU architecture as VirtualBox sees it (process.arch, arm64 also under Rosetta: hostPlatform). */
  readonly arch: string;
  /**
   * Windows: whether a hypervisor (Hyper-V, WSL2, VBS) runs, from WMI
   * Win32_ComputerSystem.HypervisorPresent — the flag `systeminfo` reports, but as a
   * boolean, where systeminfo's sentence is translated. Undefined when it cannot be read.
   */
  readonly hypervisorPresent: () => Promise<boolean | undefined>;
  /** Linux: the loaded KVM modules (kvm_intel, kvm_amd) and /sys/module/kvm/parameters/enable_virt_at_load (absent before Linux 6.12). */
  readonly kvm: () => { readonly modules: string[]; readonly enableVirtAtLoad: KvmParameter };
  /** `terraform version -json`'s terraform_version (TERRAFORM_BINARY_NAME honoured), or undefined when it does not run. */
  readonly terraformVersion: () => Promise<string | undefined>;
  /** Whether something answers at this address (TCP 22 connects or is refused). */
  readonly answers: (ip: string) => Promise<boolean>;
  readonly vboxManage: () => VBoxManage;
}

export function realHostFacts(): HostFacts {
  return {
    platform: process.platform,
    totalMemoryMb: Math.floor(os.totalmem() / 1048576),
    cpus: os.cpus().length,
    networksConf: () => (fs.existsSync('/etc/vbox/networks.conf') ? fs.readFileSync('/etc/vbox/networks.conf', 'utf8') : undefined),
    arch: hostPlatform().arch,
    hypervisorPresent: () =>
      new Promise((resolve) =>
        execFile(
          'powershell.exe',
          ['-NoProfile', '-NonInteractive', '-Command', '[int](Get-CimInstance -ClassName Win32_ComputerSystem).HypervisorPresent'],
          { windowsHide: true, timeout: 60000 },
          (err, stdout) => resolve(err ? undefined : String(stdout).trim() === '1' ? true : String(stdout).trim() === '0' ? false : undefined),
        ),
      ),
    kvm: () => readKvm(),
    terraformVersion: () =>
      new Promise((resolve) =>
        execFile(process.env.TERRAFORM_BINARY_NAME || 'terraform', ['version', '-json'], { windowsHide: true, timeout: 60000 }, (err, stdout) => {
          if (err) return resolve(undefined);
          try {
            resolve(String(JSON.parse(String(stdout)).terraform_version));
          } catch {
            resolve(undefined);
          }
        }),
      ),
    answers: async (ip) => {
      const r = await probeTcp(ip, 22, 700);
      return r === 'open' || r === 'ECONNREFUSED';
    },
    vboxManage: () => new VBoxManage(),
  };
}

/** The minimum VirtualBox kubelab is built for (hostonlynet on macOS, VBoxManage option names). */
export const MIN_VIRTUALBOX: [number, number] = [7, 0];
/** The minimum Terraform (the README's requirements say the same). */
export const MIN_TERRAFORM: [number, number] = [1, 5];

function readKvm(): { modules: string[]; enableVirtAtLoad: KvmParameter } {
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined);
  const modules = (read('/proc/modules') ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((m) => m === 'kvm_intel' || m === 'kvm_amd');
  const param = read('/sys/module/kvm/parameters/enable_virt_at_load');
  return { modules, enableVirtAtLoad: param === 'Y' || param === '1' ? 'Y' : param === 'N' || param === '0' ? 'N' : undefined };
}
/** Memory kept for the host itself when checking the nodes fit. */
const HOST_RESERVE_MB = 2048;
/** TEST-NET-3 (RFC 5737): reserved for documentation, so nothing real ever answers there. */
const NEVER_ANSWERS = '203.0.113.1';

/** Runs every check in order; with stopOnFail (preflight) stops after the first fail. */
export async function runChecks(cfg: LabConfig, paths: LabPaths, host: HostFacts, stopOnFail = false): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const stop = () => stopOnFail && findings.some((f) => f.level === 'fail');

  // The host's CPU first: VirtualBox runs no lab on some arm64 hosts at all.
  const refusal = hostRefusal(host);
  if (refusal) {
    add({ level: 'fail', check: 'host', message: refusal, fix: 'run the lab on an Apple Silicon Mac or an x86-64 (Intel/AMD) computer; nothing was downloaded' });
    if (stop()) return findings;
  } else if (host.arch === 'arm64') {
    add({ level: 'ok', check: 'host', message: 'arm64 host (Apple Silicon): the nodes are arm64 Ubuntu 24.04 VMs' });
  }

  // VirtualBox itself.
  let vb: VBoxManage | undefined;
  let vboxVersion: [number, number, number] | undefined;
  try {
    vb = host.vboxManage();
    const printed = (await vb.run(vbox.version())).trim();
    const v = parseVersion(printed);
    vboxVersion = v?.version;
    if (!v) add({ level: 'warn', check: 'virtualbox', message: `VBoxManage at ${vb.executable} printed an unknown version '${printed}'` });
    else if (v.version[0] < MIN_VIRTUALBOX[0] || (v.version[0] === MIN_VIRTUALBOX[0] && v.version[1] < MIN_VIRTUALBOX[1])) {
      add({ level: 'fail', check: 'virtualbox', message: `VirtualBox ${v.line} is older than ${MIN_VIRTUALBOX.join('.')}`, fix: 'install VirtualBox 7 from https://www.virtualbox.org/wiki/Downloads' });
    } else if (v.before !== '') {
      // Printed by the VBox.sh wrapper before VBoxManage's own version line (src/VBox/Installer/linux/VBox.sh).
      add({ level: 'fail', check: 'virtualbox', message: `VirtualBox ${v.line}: ${KERNEL_MODULE_ADVICE.problem} (VBoxManage said: ${v.before.split('\n')[0].trim()})`, fix: KERNEL_MODULE_ADVICE.fix });
    } else if (host.arch === 'arm64') {
      for (const f of arm64VirtualBoxAdvice(v.version, host.platform)) add({ check: 'virtualbox', ...f, message: `${f.message} (${vb.executable})` });
    } else add({ level: 'ok', check: 'virtualbox', message: `VirtualBox ${v.line} (${vb.executable})` });
  } catch (err) {
    vb = undefined;
    const missing = (err as Error).message === VBOXMANAGE_MISSING;
    add({
      level: 'fail',
      check: 'virtualbox',
      message: missing ? 'VirtualBox is missing: VBoxManage is not on PATH, and VBOX_MSI_INSTALL_PATH / VBOX_INSTALL_PATH do not point at it' : `VBoxManage does not work: ${(err as Error).message}`,
      fix: missing ? 'install VirtualBox 7 (https://www.virtualbox.org/wiki/Downloads; see docs/virtualbox.md), or put the folder holding VBoxManage on PATH' : 'reinstall VirtualBox 7',
    });
  }
  if (stop()) return findings;

  // Linux 6.12+: a loaded KVM holds VT-x/AMD-V; what fixes it depends on the VirtualBox version.
  if (host.platform === 'linux') {
    const kvm = host.kvm();
    const conflict = kvmConflict(kvm.modules, kvm.enableVirtAtLoad, vboxVersion);
    if (conflict) add({ level: 'fail', check: 'kvm', message: conflict.problem, fix: conflict.fix });
    else if (kvm.modules.length > 0) add({ level: 'ok', check: 'kvm', message: `${kvm.modules.join(' and ')} loaded; VirtualBox${vboxVersion ? ` ${vboxVersion.join('.')}` : ''} can run beside it (enable_virt_at_load=${kvm.enableVirtAtLoad ?? 'absent: Linux before 6.12'}), though not while KVM guests run` });
    else add({ level: 'ok', check: 'kvm', message: 'no KVM module loaded' });
    if (stop()) return findings;
  }

  // Windows: another hypervisor turns VirtualBox into its very slow fallback mode.
  if (host.platform === 'win32') {
    const present = await host.hypervisorPresent();
    if (present === true) {
      add({
        level: 'warn',
        check: 'hypervisor',
        message: 'Hyper-V is running (Hyper-V, WSL2, Virtual Machine Platform, or Memory Integrity/VBS): VirtualBox then runs VMs in a very slow fallback mode (turtle icon)',
        fix: 'turn off Hyper-V, Virtual Machine Platform, Windows Hypervisor Platform and Core isolation > Memory integrity, then reboot (as admin: bcdedit /set hypervisorlaunchtype off)',
      });
    } else if (present === undefined) {
      add({ level: 'warn', check: 'hypervisor', message: 'could not read Win32_ComputerSystem.HypervisorPresent (PowerShell) to tell whether Hyper-V is on', fix: 'if VMs boot very slowly, turn off Hyper-V/WSL2/Memory integrity' });
    } else add({ level: 'ok', check: 'hypervisor', message: 'no other hypervisor (Hyper-V/WSL2/VBS) detected' });
  }

  // Terraform runs every step.
  add(await terraformFinding(host));
  if (stop()) return findings;

  // Host capacity.
  const needMb = cfg.nodes.reduce((sum, n) => sum + n.memoryMb, 0);
  if (needMb + HOST_RESERVE_MB > host.totalMemoryMb) {
    add({
      level: needMb > host.totalMemoryMb ? 'fail' : 'warn',
      check: 'memory',
      message: `the nodes need ${needMb} MB of RAM; this host has ${host.totalMemoryMb} MB, and the host itself needs about ${HOST_RESERVE_MB} MB`,
      fix: 'lower memoryMb of the nodes in kubelab.config.yaml (K3s minimums: server 2048, agent 512), or use fewer agents',
    });
  } else add({ level: 'ok', check: 'memory', message: `the nodes need ${needMb} MB of RAM; this host has ${host.totalMemoryMb} MB` });
  const biggest = Math.max(...cfg.nodes.map((n) => n.cpus));
  const totalCpus = cfg.nodes.reduce((sum, n) => sum + n.cpus, 0);
  if (biggest > host.cpus) {
    add({ level: 'fail', check: 'cpus', message: `a node asks for ${biggest} CPUs; this host has ${host.cpus}`, fix: `set cpus of every node to at most ${host.cpus}` });
  } else if (totalCpus > host.cpus * 2) {
    add({ level: 'warn', check: 'cpus', message: `the nodes have ${totalCpus} CPUs in all on a host with ${host.cpus}; they will be slow`, fix: 'lower cpus of the agents' });
  } else add({ level: 'ok', check: 'cpus', message: `the nodes have ${totalCpus} CPUs in all; this host has ${host.cpus}` });
  if (stop()) return findings;

  // Linux/macOS: VirtualBox allows host-only addresses only in the ranges of networks.conf.
  if (host.platform !== 'win32') {
    const subnet = parseCidr(cfg.network.cidr)!;
    const conf = host.networksConf();
    const allowed = conf === undefined ? [VBOX_DEFAULT_ALLOWED_RANGE] : allowedRanges(conf);
    const where = conf === undefined ? `the default range (no /etc/vbox/networks.conf)` : '/etc/vbox/networks.conf';
    if (allowed.some((r) => subnetWithin(subnet, parseCidr(r)!))) {
      add({ level: 'ok', check: 'network', message: `${cfg.network.cidr} is allowed by ${where}: ${allowed.join(' ')}` });
    } else {
      add({
        level: 'fail',
        check: 'network',
        message: `VirtualBox will refuse ${cfg.network.cidr} for the host-only network: ${where} allows only ${allowed.join(' ') || 'nothing'}`,
        fix: `add the line "* ${cfg.network.cidr}" to /etc/vbox/networks.conf (as root), or set network.cidr inside ${allowed.join(' ') || VBOX_DEFAULT_ALLOWED_RANGE}`,
      });
    }
    if (stop()) return findings;
  }

  // Node addresses must be free, unless the lab's own VM answers there. A network that
  // accepts connections even to a documentation-only address (a transparent proxy) tells nothing.
  if (await host.answers(NEVER_ANSWERS)) {
    add({
      level: 'warn',
      check: 'address',
      message: `cannot tell whether the node addresses are free: this network accepts connections to any address, even ${NEVER_ANSWERS} (a proxy or firewall answers for everyone)`,
      fix: `make sure nothing else uses ${cfg.nodes.map((n) => n.ip).join(', ')}`,
    });
    return findings;
  }
  for (const node of cfg.nodes) {
    if (!(await host.answers(node.ip))) {
      add({ level: 'ok', check: 'address', message: `${node.ip} (${node.name}) is free` });
      continue;
    }
    const own = vb ? await inspectVm(vb, vmName(cfg, node), cfg.name, paths).catch(() => undefined) : undefined;
    if (own?.registered && own.ours) add({ level: 'ok', check: 'address', message: `${node.ip} answers: it is the lab's own VM ${own.name}` });
    else {
      add({
        level: 'fail',
        check: 'address',
        message: `${node.ip} (${node.name}) already answers on this network, and not from a VM of lab ${cfg.name}`,
        fix: `give ${node.name} another ip in kubelab.config.yaml, or stop whatever uses ${node.ip}`,
      });
    }
    if (stop()) return findings;
  }
  return findings;
}

/** Terraform runs every step, whatever the nodes are. */
export async function terraformFinding(host: Pick<HostFacts, 'terraformVersion'>): Promise<Finding> {
  const tf = await host.terraformVersion();
  const tfv = tf ? /^(\d+)\.(\d+)/.exec(tf) : null;
  if (!tf) {
    return { level: 'fail', check: 'terraform', message: `Terraform is not installed or does not run (${process.env.TERRAFORM_BINARY_NAME || 'terraform'} version)`, fix: `install Terraform ${MIN_TERRAFORM.join('.')} or later (https://developer.hashicorp.com/terraform/install), or OpenTofu with TERRAFORM_BINARY_NAME=tofu` };
  }
  if (!tfv || Number(tfv[1]) < MIN_TERRAFORM[0] || (Number(tfv[1]) === MIN_TERRAFORM[0] && Number(tfv[2]) < MIN_TERRAFORM[1])) {
    return { level: 'fail', check: 'terraform', message: `Terraform ${tf} is older than ${MIN_TERRAFORM.join('.')}`, fix: `install Terraform ${MIN_TERRAFORM.join('.')} or later (https://developer.hashicorp.com/terraform/install)` };
  }
  return { level: 'ok', check: 'terraform', message: `Terraform ${tf}` };
}

/** Ranges of networks.conf lines like "* 10.0.0.0/8 192.168.0.0/16". */
export function allowedRanges(conf: string): string[] {
  return conf
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('*'))
    .flatMap((l) => l.slice(1).trim().split(/\s+/))
    .filter((r) => parseCidr(r) !== undefined);
}

/** "ok   …" / "WARN …" / "FAIL …" lines, with the fix indented below. */
export function formatFinding(f: Finding): string {
  const tag = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' }[f.level];
  return `${tag} ${f.check}: ${f.message}${f.fix ? `\n     fix: ${f.fix}` : ''}`;
}

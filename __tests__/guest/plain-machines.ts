/**
 * PLAIN MACHINES for the real-guest suite: the Debian test guest (build-image.sh) booted by
 * qemu directly, not through the VBoxManage stand-in, and prepared the way
 * docs/growing-the-lab.md ("Existing machines as nodes") tells a user to prepare a machine:
 * a login user with passwordless sudo in /etc/sudoers.d/kubelab, the key in that user's
 * authorized_keys, SSH reachable at the machine's address. cloud-init does those steps at
 * first boot (the NoCloud seed below), nothing else: no kubelab user, no kubelab file.
 *
 * Each machine has two NICs, like a VirtualBox or cloud VM with a NAT NIC: NIC1 qemu user
 * networking (10.0.2.15, the default route), NIC2 a tap on a bridge of this test's network
 * namespace holding the address the lab config names. Network setup refuses to run in the
 * machine's own namespace (run.sh puts the suite in one of its own).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { writeIso9660 } from '../../cli/seed/iso9660';

export interface PlainMachine {
  readonly name: string;
  /** The address on NIC2 (the one the lab config names). */
  readonly address: string;
  readonly user: string;
  readonly cpus: number;
  readonly memoryMb: number;
  /** OpenSSH public key lines put into the user's authorized_keys. */
  readonly authorizedKeys: readonly string[];
}

export interface PlainNetwork {
  readonly bridge: string;
  /** This test's address on the bridge, with its prefix, e.g. 10.20.0.1/24. */
  readonly hostCidr: string;
}

/**
 * Refuses to touch networking outside a network namespace of the test's own: one that holds
 * only loopback and what the guest suites make (these bridges and taps, the VBoxManage
 * stand-in's vboxnetN and klXXXXXXXXnN). (/proc/1/ns/net is not readable in every container.)
 */
export function requireOwnNetns(): void {
  const names = fs.readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
  const foreign = names.filter((n) => n !== 'lo' && !/^(pmbr\d+|pm\d+tap|vboxnet\d+|kl[0-9a-f]{8}n\d)$/.test(n));
  if (foreign.length > 0) {
    throw new Error(`plain machines: refusing to touch networking: this network namespace has ${foreign.join(', ')}; run the suite with npm run test:guest, which makes a namespace of its own`);
  }
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || String(r.error ?? '')).trim()}`);
  return r.stdout;
}

export function bridgeUp(n: PlainNetwork): void {
  requireOwnNetns();
  spawnSync('ip', ['link', 'del', n.bridge]);
  run('ip', ['link', 'add', n.bridge, 'type', 'bridge']);
  run('ip', ['addr', 'add', n.hostCidr, 'dev', n.bridge]);
  run('ip', ['link', 'set', n.bridge, 'up']);
}

export function bridgeDown(n: PlainNetwork): void {
  requireOwnNetns();
  spawnSync('ip', ['link', 'del', n.bridge]);
}

/** The guest image's disk as a qcow2 base (from the OVA's VMDK), made once per work dir. */
export function baseDisk(guestDir: string, workDir: string): string {
  const base = path.join(workDir, 'base.qcow2');
  if (fs.existsSync(base)) return base;
  const ova = fs.readdirSync(guestDir).find((f) => f.endsWith('.ova'));
  if (!ova) throw new Error(`no .ova in ${guestDir}`);
  const member = run('tar', ['-tf', path.join(guestDir, ova)]).split('\n').find((m) => m.endsWith('.vmdk'))!;
  run('tar', ['-xf', path.join(guestDir, ova), '-C', workDir, member]);
  run('qemu-img', ['convert', '-O', 'qcow2', path.join(workDir, member), base]);
  fs.rmSync(path.join(workDir, member));
  return base;
}

/** The NoCloud seed: hostname, the user with the key and passwordless sudo (the docs' two steps), the address on NIC2. */
function seed(m: PlainMachine, prefix: number): Buffer {
  const userData = [
    '#cloud-config',
    // Host keys of one type: generating RSA and ECDSA keys too takes minutes under emulation.
    'ssh_genkeytypes: [ed25519]',
    // The machine resolves its own name, as an installed Debian or Ubuntu does (127.0.1.1 in /etc/hosts).
    'manage_etc_hosts: true',
    'users:',
    `  - name: ${m.user}`,
    '    shell: /bin/bash',
    '    lock_passwd: true',
    '    ssh_authorized_keys:',
    ...m.authorizedKeys.map((k) => `      - ${JSON.stringify(k)}`),
    'write_files:',
    // docs/growing-the-lab.md: `<user> ALL=(ALL) NOPASSWD:ALL` in /etc/sudoers.d/kubelab.
    '  - path: /etc/sudoers.d/kubelab',
    '    permissions: "0440"',
    `    content: "${m.user} ALL=(ALL) NOPASSWD:ALL\\n"`,
    // Something of the user's own, which kubelab must leave as it is.
    `  - path: /home/${m.user}/notes.txt`,
    `    content: "my notes on ${m.name}\\n"`,
    '    defer: true',
    `    owner: ${m.user}:${m.user}`,
    '',
  ].join('\n');
  const networkConfig = [
    'version: 2',
    'ethernets:',
    '  enp0s3: {dhcp4: true}',
    `  enp0s8: {addresses: [${m.address}/${prefix}]}`,
    '',
  ].join('\n');
  return writeIso9660({
    volumeId: 'cidata',
    files: [
      { name: 'user-data', content: Buffer.from(userData) },
      { name: 'meta-data', content: Buffer.from(`instance-id: ${m.name}\nlocal-hostname: ${m.name}\n`) },
      { name: 'network-config', content: Buffer.from(networkConfig) },
    ],
  });
}

export interface Booted {
  readonly machine: PlainMachine;
  readonly pid: number;
  readonly serialLog: string;
}

/** Boots one machine under qemu (TCG) with its own overlay disk and seed; returns once qemu runs. */
export function bootPlainMachine(guestDir: string, workDir: string, n: PlainNetwork, m: PlainMachine, index: number): Booted {
  requireOwnNetns();
  const dir = path.join(workDir, m.name);
  fs.mkdirSync(dir, { recursive: true });
  const disk = path.join(dir, 'disk.qcow2');
  run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', baseDisk(guestDir, workDir), disk]);
  const iso = path.join(dir, 'seed.iso');
  fs.writeFileSync(iso, seed(m, Number(n.hostCidr.split('/')[1])));
  const tap = `pm${index}tap`;
  spawnSync('ip', ['link', 'del', tap]);
  run('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  run('ip', ['link', 'set', tap, 'master', n.bridge]);
  run('ip', ['link', 'set', tap, 'up']);
  const mac = (nic: number) => `52:54:00:9${index}:00:0${nic}`;
  const serialLog = path.join(dir, 'serial.log');
  const pidFile = path.join(dir, 'qemu.pid');
  execFileSync('qemu-system-x86_64', [
    '-name', m.name,
    '-machine', 'pc', '-accel', 'tcg', '-cpu', 'max',
    '-smp', String(m.cpus), '-m', String(m.memoryMb),
    '-nodefaults', '-no-user-config', '-vga', 'none', '-display', 'none',
    // Slot-named NICs (enp0s3, enp0s8), as in the VBoxManage stand-in's qemu mode.
    '-global', 'PIIX4_PM.acpi-root-pci-hotplug=off',
    '-global', 'PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off',
    '-drive', `file=${disk},format=qcow2,if=none,id=disk0,cache=unsafe`,
    '-device', 'virtio-blk-pci,drive=disk0,addr=0x5',
    '-netdev', 'user,id=nic1',
    '-device', `e1000,netdev=nic1,mac=${mac(1)},bus=pci.0,addr=0x3`,
    '-netdev', `tap,id=nic2,ifname=${tap},script=no,downscript=no`,
    '-device', `e1000,netdev=nic2,mac=${mac(2)},bus=pci.0,addr=0x8`,
    '-drive', `file=${iso},format=raw,if=none,id=cd0,media=cdrom,readonly=on`,
    '-device', 'ide-cd,drive=cd0,bus=ide.1',
    '-kernel', path.join(guestDir, 'vmlinuz'),
    '-initrd', path.join(guestDir, 'initrd.img'),
    '-append', 'root=LABEL=kubelab-root ro console=ttyS0',
    '-serial', `file:${serialLog}`,
    '-pidfile', pidFile,
    '-daemonize',
  ]);
  return { machine: m, pid: Number(fs.readFileSync(pidFile, 'utf8').trim()), serialLog };
}

/** Waits until the machine's SSH port answers with an SSH banner; on timeout the error quotes the machine's console. */
export async function waitForSsh(address: string, timeoutMs: number, serialLog?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const banner = await new Promise<string>((resolve) => {
      const s = net.connect({ host: address, port: 22, timeout: 3000 });
      let got = '';
      s.on('data', (d) => {
        got += d;
        s.destroy();
      });
      s.on('timeout', () => s.destroy());
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
    });
    if (banner.startsWith('SSH-')) return;
    if (Date.now() > deadline) {
      const console = serialLog && fs.existsSync(serialLog) ? fs.readFileSync(serialLog, 'utf8').split('\n').slice(-15).join('\n') : '(no console log)';
      throw new Error(`${address}: no SSH banner within ${Math.round(timeoutMs / 1000)} s; the console's last lines:\n${console}`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export function stopPlainMachine(b: Booted): void {
  try {
    process.kill(b.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

'use strict';
/*
 * QEMU MODE of the VBoxManage stand-in (vboxmanage-standin.js) — STILL NOT VIRTUALBOX.
 *
 * With VBOXMANAGE_STANDIN_QEMU=<guest dir> the stand-in keeps its JSON bookkeeping, and
 * these hooks make the disks and VMs it describes real: what boots is a real guest under
 * qemu (software emulation, `-accel tcg`; never KVM). <guest dir> holds the kernel and
 * initrd of the test guest (__tests__/guest/build-image.sh), booted directly.
 *
 *   import            the OVA's VMDK (tar member) converted to a qcow2 at the disk's location
 *   clonemedium       a qcow2 copy of the source disk
 *   snapshot/clonevm  every differencing image the stand-in records becomes a qcow2 overlay
 *                     on its parent (VirtualBox: a snapshot freezes the disk and writes a diff)
 *   modifymedium      --resize: qemu-img resize
 *   hostonlyif        a Linux bridge named like the interface (vboxnetN) with the host address
 *   startvm           qemu: NIC1 user networking (VirtualBox NAT: 10.0.2.15, DHCP) at PCI slot 3,
 *                     NIC2 a tap on the host-only bridge at slot 8, ACPI PCI hotplug off so the
 *                     guest names them enp0s3/enp0s8 as under VirtualBox; UART1 to the file kubelab
 *                     named; the seed DVD as an IDE CD-ROM; CPUs and memory from modifyvm
 *   controlvm         poweroff: QMP "quit"; acpipowerbutton: QMP "system_powerdown", qemu's power-button
 *                     press (Console::powerButton presses the ACPI button, or the GPIO power key on
 *                     armv8virtual: cited in vboxmanage-standin.js); the VM stays running until the
 *                     guest has shut down and its qemu ended, as in VirtualBox
 *   any call          a VM whose qemu process has ended is "poweroff"
 *
 * A VM made with `createvm --platform-architecture arm` (VirtualBox ≥ 7.1 on Apple Silicon)
 * boots under qemu-system-aarch64 instead: `-machine virt` with Debian's UEFI firmware for it
 * (qemu-efi-aarch64: /usr/share/qemu-efi-aarch64/QEMU_EFI.fd), the disk on virtio-blk, the
 * seed DVD as a SCSI CD-ROM on virtio-scsi (virt has no IDE), the NICs as e1000 (82540EM, the
 * NIC VirtualBox gives Arm guests by default: src/VBox/Main/src-all/Global.cpp, "Other/Unknown
 * (ARM 64-bit)") with the MACs VirtualBox assigned, and the PL011 UART (ttyAMA0) as UART1.
 * The NICs sit where armv8virtual puts them: i_configNetworkCtrls gives a fixed slot (3, 8, …)
 * only on PIIX3/ICH9 ("Platforms other than x86 just use the auto assignment":
 * src/VBox/Main/src-client/ConsoleImplConfigCommon.cpp, $Id r108045, commit 3e1e23fe), and the
 * auto assignment for ARMv8Virtual takes g_aArmv8Rules alone, whose "nic" slots start at 8
 * (BusAssignmentManager.cpp there, $Id r106320, commit 4908d8d1; 7.1 line, the 7.2 tag is not
 * in the index: unverified for 7.2). So NIC1 (NAT) is 00:08.0 and NIC2 (host-only) 00:09.0,
 * which the guest names enp0s8 and enp0s9: the seed's network config has to find them by MAC
 * and rename them (NIC1 to enp0s3, NIC2 to the name NIC1 had).
 *
 * Host networking is only touched inside a network namespace other than the machine's own
 * (the test's `unshare --net`); anywhere else every call that would touch it fails.
 */
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const GUEST_DIR = process.env.VBOXMANAGE_STANDIN_QEMU;
const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

function run(cmd, args, fail) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) fail(`stand-in (qemu mode): ${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error || '').toString().trim()}`);
  return r.stdout;
}

function isQcow2(file) {
  try {
    const fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, 0);
    fs.closeSync(fd);
    return b.equals(QCOW2_MAGIC);
  } catch {
    return false;
  }
}

/** The test's own namespace holds only loopback and what this stand-in made (bridges vboxnetN, taps kl…). */
function inOwnNetns(fail) {
  // /proc/self/net follows the caller's namespace (/sys/class/net shows the one sysfs was mounted in).
  const names = fs.readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
  const foreign = names.filter((n) => n !== 'lo' && !/^vboxnet\d+$/.test(n) && !/^kl[0-9a-f]{8}n\d$/.test(n));
  if (foreign.length > 0) {
    fail(`stand-in (qemu mode): refusing to touch host networking: this network namespace has ${foreign.join(', ')}; run the test under unshare --net`);
  }
}

function alive(pid) {
  if (!pid) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system');
  } catch {
    return false;
  }
}

function vmDir(vm) {
  return path.dirname(vm.cfgFile);
}

/** One QMP exchange over the VM's socket (a child Node, since the stand-in runs synchronously). */
function qmp(vm, command, fail) {
  const script = `
const net = require('net');
const s = net.connect(process.argv[1]);
let buf = '';
let sent = false;
s.on('data', (d) => {
  buf += d;
  if (!sent && buf.includes('"QMP"')) { sent = true; s.write(JSON.stringify({ execute: 'qmp_capabilities' }) + JSON.stringify({ execute: process.argv[2] })); }
  if ((buf.match(/"return"/g) || []).length >= 2) s.end();
});
s.on('close', () => process.exit(0));
s.on('error', (e) => { console.error(e.message); process.exit(e.code === 'ECONNRESET' ? 0 : 1); });
setTimeout(() => { console.error('no QMP answer in 10 s'); process.exit(1); }, 10000);
`;
  const r = spawnSync(process.execPath, ['-e', script, path.join(vmDir(vm), 'qmp.sock'), command], { encoding: 'utf8' });
  if (r.status !== 0) fail(`stand-in (qemu mode): QMP ${command} to ${vm.name} failed: ${r.stderr.trim()}`);
}

/** The NIC's MAC as VirtualBox assigned it (showvminfo macaddressN), in qemu's notation. */
function macFor(vm, nic) {
  return vm.macs[nic].toLowerCase().match(/../g).join(':');
}

const AARCH64_FIRMWARE = '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd';

function netmaskBits(mask) {
  return mask.split('.').reduce((n, o) => n + Number(o).toString(2).replace(/0/g, '').length, 0);
}

/** Before each call: VMs whose qemu ended are powered off. */
function before(s) {
  for (const vm of s.vms) {
    if (vm.qemuPid && !alive(vm.qemuPid)) {
      vm.state = 'poweroff';
      delete vm.qemuPid;
    }
  }
}

function startQemu(s, vm, fail) {
  if (!GUEST_DIR || !fs.existsSync(path.join(GUEST_DIR, 'vmlinuz'))) fail(`stand-in (qemu mode): no vmlinuz in VBOXMANAGE_STANDIN_QEMU=${GUEST_DIR}`);
  const dir = vmDir(vm);
  const hdd = Object.values(vm.attachments).find((a) => a.type === 'hdd');
  const disk = hdd && s.media.find((m) => m.uuid === hdd.medium);
  if (!disk) fail(`stand-in (qemu mode): ${vm.name} has no disk`);
  const dvd = Object.values(vm.attachments).find((a) => a.type === 'dvddrive');
  const iso = dvd && s.media.find((m) => m.uuid === dvd.medium);
  const arm = vm.platform === 'arm';
  if (arm && !fs.existsSync(AARCH64_FIRMWARE)) fail(`stand-in (qemu mode): no ${AARCH64_FIRMWARE} (Debian package qemu-efi-aarch64)`);
  const bus = arm ? 'pcie.0' : 'pci.0';
  const args = arm
    ? [
        '-name', vm.name,
        // pauth-impdef: the cheaper pointer-authentication algorithm under TCG (qemu docs, "Arm CPU Features").
        '-machine', 'virt', '-accel', 'tcg', '-cpu', 'max,pauth-impdef=on',
        '-smp', String(vm.cpus), '-m', String(vm.memory),
        '-nodefaults', '-no-user-config', '-display', 'none',
        '-bios', AARCH64_FIRMWARE,
        '-drive', `file=${disk.location},format=qcow2,if=none,id=disk0,cache=unsafe`,
        '-device', `virtio-blk-pci,drive=disk0,bus=${bus},addr=0x5`,
      ]
    : [
        '-name', vm.name,
        '-machine', 'pc', '-accel', 'tcg', '-cpu', 'max',
        '-smp', String(vm.cpus), '-m', String(vm.memory),
        '-nodefaults', '-no-user-config', '-vga', 'none', '-display', 'none',
        // Without ACPI PCI hotplug the guest names NICs by slot (enp0s3, enp0s8) as under VirtualBox.
        // (acpi-root-pci-hotplug: else the slots get ACPI _SUN numbers and systemd names them ens3/ens8.)
        '-global', 'PIIX4_PM.acpi-root-pci-hotplug=off',
        '-global', 'PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off',
        '-drive', `file=${disk.location},format=qcow2,if=none,id=disk0,cache=unsafe`,
        '-device', 'virtio-blk-pci,drive=disk0,addr=0x5',
      ];
  for (const n of [1, 2]) {
    const nic = vm.nics[n];
    if (!nic || nic.type === 'none') continue;
    // x86: NIC1 slot 3, NIC2 slot 8 (VirtualBox's fixed slots); armv8virtual: 8 and 9 (see the top).
    const slot = arm ? (n === 1 ? '0x8' : '0x9') : n === 1 ? '0x3' : '0x8';
    if (nic.type === 'nat') args.push('-netdev', `user,id=nic${n}`);
    else if (nic.type === 'hostonly') {
      inOwnNetns(fail);
      const tap = `kl${vm.uuid.slice(0, 8)}n${n}`;
      spawnSync('ip', ['link', 'del', tap]);
      run('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap'], fail);
      run('ip', ['link', 'set', tap, 'master', nic.hostonlyadapter], fail);
      run('ip', ['link', 'set', tap, 'up'], fail);
      args.push('-netdev', `tap,id=nic${n},ifname=${tap},script=no,downscript=no`);
    } else fail(`stand-in (qemu mode): NIC${n} type ${nic.type} is not supported`);
    args.push('-device', `e1000,netdev=nic${n},mac=${macFor(vm, n)},bus=${bus},addr=${slot}`);
  }
  if (iso) {
    args.push('-drive', `file=${iso.location},format=raw,if=none,id=cd0,media=cdrom,readonly=on`);
    if (arm) args.push('-device', `virtio-scsi-pci,id=scsi0,bus=${bus},addr=0x6`, '-device', 'scsi-cd,drive=cd0,bus=scsi0.0');
    else args.push('-device', 'ide-cd,drive=cd0,bus=ide.1');
  }
  const serial = vm.uartmode1 && vm.uartmode1.startsWith('file,') ? vm.uartmode1.slice(5) : path.join(dir, 'serial.log');
  const pidFile = path.join(dir, 'qemu.pid');
  fs.rmSync(path.join(dir, 'qmp.sock'), { force: true });
  args.push(
    '-kernel', path.join(GUEST_DIR, 'vmlinuz'),
    '-initrd', path.join(GUEST_DIR, 'initrd.img'),
    '-append', `root=LABEL=kubelab-root ro console=${arm ? 'ttyAMA0' : 'ttyS0'}`,
    '-serial', `file:${serial}`,
    '-qmp', `unix:${path.join(dir, 'qmp.sock')},server=on,wait=off`,
    '-pidfile', pidFile,
    '-daemonize',
  );
  fs.writeFileSync(path.join(dir, 'qemu.args'), JSON.stringify(args));
  run(arm ? 'qemu-system-aarch64' : 'qemu-system-x86_64', args, fail);
  vm.qemuPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
}

/** After a call changed the bookkeeping: make it real. */
function after(sub, args, s, { fail }) {
  if (sub === 'import') {
    const vm = s.vms[s.vms.length - 1];
    const disk = s.media.find((m) => m.uuid === Object.values(vm.attachments)[0].medium);
    const ova = args.find((a) => a.endsWith('.ova'));
    const members = run('tar', ['-tf', ova], fail).split('\n').filter((m) => m.endsWith('.vmdk'));
    const tmp = path.join(vmDir(vm), members[0]);
    run('tar', ['-xf', ova, '-C', vmDir(vm), members[0]], fail);
    fs.rmSync(disk.location, { force: true });
    run('qemu-img', ['convert', '-O', 'qcow2', tmp, disk.location], fail);
    fs.rmSync(tmp, { force: true });
    disk.capacityMb = Math.round(JSON.parse(run('qemu-img', ['info', '--output=json', disk.location], fail))['virtual-size'] / 1048576);
  } else if (sub === 'clonemedium') {
    const target = s.media[s.media.length - 1];
    const pos = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] || '').startsWith('--'));
    const src = s.media.find((m) => m.location === path.resolve(pos[0] === 'disk' ? pos[1] : pos[0]));
    fs.rmSync(target.location, { force: true });
    run('qemu-img', ['convert', '-O', 'qcow2', src.location, target.location], fail);
  } else if (sub === 'modifymedium' && args.includes('--resize')) {
    const pos = args[0] === 'disk' ? args[1] : args[0];
    const m = s.media.find((x) => x.uuid === pos || x.location === path.resolve(pos));
    run('qemu-img', ['resize', m.location, `${m.capacityMb}M`], fail);
  } else if (sub === 'hostonlyif') {
    inOwnNetns(fail);
    if (args[0] === 'create') {
      const i = s.hostonlyifs[s.hostonlyifs.length - 1];
      run('ip', ['link', 'add', i.name, 'type', 'bridge'], fail);
    } else if (args[0] === 'ipconfig') {
      const i = s.hostonlyifs.find((x) => x.name === args[1]);
      run('ip', ['addr', 'flush', 'dev', i.name], fail);
      run('ip', ['addr', 'add', `${i.ip}/${netmaskBits(i.mask)}`, 'dev', i.name], fail);
      run('ip', ['link', 'set', i.name, 'up'], fail);
    } else if (args[0] === 'remove') {
      run('ip', ['link', 'del', args[1]], fail);
    }
  } else if (sub === 'startvm') {
    startQemu(s, s.vms.find((v) => v.name === args[0] || v.uuid === args[0]), fail);
  } else if (sub === 'controlvm') {
    const vm = s.vms.find((v) => v.name === args[0] || v.uuid === args[0]);
    if (args[1] === 'poweroff') {
      qmp(vm, 'quit', fail);
      for (let i = 0; i < 100 && alive(vm.qemuPid); i++) execFileSync('sleep', ['0.1']);
      delete vm.qemuPid;
    } else if (args[1] === 'acpipowerbutton') {
      qmp(vm, 'system_powerdown', fail);
      // The guest decides when it is off: its qemu process ends then (see before). The plain
      // stand-in's timed shutdown would call the VM off while the guest still runs.
      vm.state = 'running';
      delete vm.acpiShutdownAt;
    }
  }
  // Differencing images the stand-in recorded (snapshot take/restore, linked clones) become qcow2 overlays.
  for (const m of s.media) {
    if (m.kind !== 'hdd' || !m.parent || isQcow2(m.location)) continue;
    const parent = s.media.find((x) => x.uuid === m.parent);
    fs.rmSync(m.location, { force: true });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', parent.location, m.location], fail);
  }
}

module.exports = { before, after };

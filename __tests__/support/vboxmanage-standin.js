#!/usr/bin/env node
'use strict';
/*
 * STAND-IN FOR TESTS — THIS IS NOT VIRTUALBOX.
 *
 * A VBoxManage stand-in that the tests put on PATH under the name `VBoxManage`, because
 * VirtualBox cannot run on the test machines. It runs no VM. It keeps VMs, media,
 * snapshots and host-only interfaces as JSON in $VBOXMANAGE_STANDIN_DIR, accepts only
 * the subcommands and options kubelab uses, in the grammar of the VBoxManage manual
 * (VirtualBox 7), and rejects anything else the way the real one does
 * ("VBoxManage: error: ..." on stderr, exit 1).
 *
 * Every behaviour follows VirtualBox's own source, cited beside it. "VBoxManage*.cpp"
 * means src/VBox/Frontends/VBoxManage/ of VirtualBox/virtualbox at commit 4908d8d1
 * (VirtualBox 7.x, Oracle's public repository), VBoxManageInfo.cpp at 44a0f07f ($Id
 * r109948); "MachineImpl.cpp"/"VirtualBoxImpl.cpp"/"MediumImpl.cpp"/
 * "HostNetworkInterfaceImpl.cpp" are src/VBox/Main/src-server/ at 4908d8d1, netif.h is
 * src/VBox/Main/include/ there. 4908d8d1 is on the 7.1 line (Version.kmk 7.1.5, r106320):
 * the index holds no 7.2 tag of these files, so their 7.2 behaviour is unverified. Where a
 * detail could not be read there, the comment says "unverified".
 *
 * Told by environment variables to misbehave:
 *   VBOXMANAGE_STANDIN_FAIL=<subcommand>[:exit0]   that subcommand fails (with :exit0, prints the error but exits 0)
 *   VBOXMANAGE_STANDIN_FAIL_CODE=<code>            the COM code of that failure (default E_FAIL), e.g. NS_ERROR_INVALID_ARG
 *   VBOXMANAGE_STANDIN_START_ERROR=<VERR_…>        startvm fails with that VirtualBox status (host problems: KVM, kernel module)
 *   VBOXMANAGE_STANDIN_LOCKED=<subcommand>:<n>     its first n calls report a session lock
 *   VBOXMANAGE_STANDIN_KILL_PARENT=<subcommand>    kills the calling process (a crash half-way), then exits
 *   VBOXMANAGE_STANDIN_INTERRUPT=<n>:<signal>      once its n-th call (the n-th line of calls) has done its work and saved it,
 *                                                  sends <signal> (SIGINT: a Ctrl-C; SIGKILL: a crash) to the calling process
 *   VBOXMANAGE_STANDIN_NETWORKS=<cidr> ...         ranges allowed for host-only addresses (default 192.168.56.0/21)
 *   VBOXMANAGE_STANDIN_KERNEL_MODULE=missing       the Linux wrapper's kernel-module WARNING before every output
 *   VBOXMANAGE_STANDIN_KERNEL=<release>            the kernel release that WARNING names (default 5.15.0-91-generic)
 *   VBOXMANAGE_STANDIN_LANG=ru                     VBoxManage's Russian translation (the approved one: nls/ApprovedLanguages.kmk)
 *   VBOXMANAGE_STANDIN_ACPI_DELAY_MS=<ms>          how long the guest takes to shut down after the ACPI power button (default 200)
 *   VBOXMANAGE_STANDIN_MACS=by-name                MAC addresses derived from the VM name, not random (tests that compare two runs)
 *   VBOXMANAGE_STANDIN_UNLOCK_AFTER_CALLS=<n>      the session stays locked after a power-off until n more VBoxManage calls began (default 0)
 * Tests may also set a VM's VMState in the state file (a crash, a live snapshot, …).
 * Calls that overlap in time (what kubelab's lock must prevent) are counted in
 * $VBOXMANAGE_STANDIN_DIR/overlaps and answered with a session-lock error. Every call
 * is logged, one line of arguments each, in $VBOXMANAGE_STANDIN_DIR/calls.
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const DIR = process.env.VBOXMANAGE_STANDIN_DIR;
const VERSION = process.env.VBOXMANAGE_STANDIN_VERSION || '7.1.4r165100';
// VBOXMANAGE_STANDIN_QEMU=<guest dir>: the disks and VMs become real under qemu (vboxmanage-standin-qemu.js).
const qemuMode = process.env.VBOXMANAGE_STANDIN_QEMU ? require('./vboxmanage-standin-qemu') : undefined;

class UsageError extends Error {}
let holdingBusy = false;

/**
 * VBoxManage's messages are its tr() strings (DECLARE_TRANSLATION_CONTEXT in each
 * VBoxManage*.cpp, Main's tr() in MachineImpl.cpp): they come out in the GUI's language
 * or the OS locale. The only approved translation is Russian (nls/ApprovedLanguages.kmk).
 * The wording below is the stand-in's own (unverified: VBoxManage_ru.ts was not
 * available to read); what it follows is WHICH strings are translated: labels and
 * sentences, never the key="value" machine-readable output, the "GUID:" and "DHCP:"
 * labels (VBoxManageList.cpp prints them without tr()), error codes or VERR_* names.
 */
const RU = {
  'Name:            %s': 'Имя:            %s',
  'IPAddress:       %s': 'IP-адрес:       %s',
  'NetworkMask:     %s': 'Маска сети:     %s',
  'IPV6Address:     %s': 'IPv6-адрес:     %s',
  'Status:          %s': 'Состояние:      %s',
  'VBoxNetworkName: %s': 'Имя сети VBox:  %s',
  'State:           %s': 'Состояние:      %s',
  'LowerIP:         %s': 'Нижний IP:      %s',
  'UpperIP:         %s': 'Верхний IP:     %s',
  Enabled: 'Включено',
  Disabled: 'Выключено',
  Up: 'Включён',
  'Key: %s, Value: %s': 'Ключ: %s, Значение: %s',
  'Value: %s': 'Значение: %s',
  'No value set!': 'Значение не задано!',
  "Interface '%s' was successfully created": "Интерфейс '%s' успешно создан",
  'This machine does not have any snapshots': 'У этой машины нет снимков',
  'Successfully imported the appliance.': 'Конфигурация успешно импортирована.',
  'UUID:           %s': 'UUID:           %s',
  'Parent UUID:    %s': 'UUID родителя:  %s',
  'State:          %s': 'Состояние:      %s',
  'Location:       %s': 'Расположение:   %s',
  'Storage format: %s': 'Формат:         %s',
  'Capacity:       %s MBytes': 'Размер:         %s МБайт',
  'Size on disk:   %s MBytes': 'На диске:       %s МБайт',
  "Could not find a registered machine named '%s'": "Не удалось найти зарегистрированную машину с именем '%s'",
  "Machine '%s' is not currently running": "Машина '%s' сейчас не запущена",
  "Cannot unregister the machine '%s' while it is locked": "Невозможно отменить регистрацию машины '%s', пока она заблокирована",
  "The machine '%s' is already locked by a session (or being locked or unlocked)": "Машина '%s' уже заблокирована сеансом (или блокируется/разблокируется)",
};
function tr(format, ...args) {
  const text = process.env.VBOXMANAGE_STANDIN_LANG === 'ru' && RU[format] !== undefined ? RU[format] : format;
  let i = 0;
  return text.replace(/%s/g, () => String(args[i++]));
}

/**
 * The VMState values of a VM without a VM process (VBoxManageInfo.cpp
 * machineStateToName); every other state has a live VM process and holds the session.
 */
const OFF_STATES = ['poweroff', 'saved', 'aborted', 'aborted-saved', 'teleported'];

/**
 * How VBoxManage prints a failed COM call: the message, then the untranslated code
 * (VBoxManage glue, GluePrintErrorInfo: "Details: code %Rhrc (%#RX32), component %ls,
 * interface %ls"; the hex values below are VirtualBox's, from VBox/com/defs.h and
 * the XPCOM codes, unverified in this file).
 */
const HEX = { VBOX_E_OBJECT_NOT_FOUND: '0x80bb0001', VBOX_E_INVALID_VM_STATE: '0x80bb0002', VBOX_E_INVALID_OBJECT_STATE: '0x80bb0007', VBOX_E_OBJECT_IN_USE: '0x80bb000c', E_FAIL: '0x80004005', NS_ERROR_FAILURE: '0x80004005', NS_ERROR_INVALID_ARG: '0x80070057', E_INVALIDARG: '0x80070057', E_ACCESSDENIED: '0x80070005' };
function comError(message, code, component = 'MachineWrap', iface = 'IMachine') {
  return `${message}\nVBoxManage: error: Details: code ${code} (${HEX[code]}), component ${component}, interface ${iface}`;
}


/** A new VM's folder and settings file, refused like VirtualBox does when the name or the file is taken. */
/**
 * The settings file of a new VM: <basefolder><group>/<name>/<name>.vbox, the group
 * being the first of --groups / --group ("/" adds nothing) — VirtualBoxImpl.cpp
 * VirtualBox::composeMachineFilename, called by clonevm (VBoxManageMisc.cpp
 * handleCloneVM with groups[0]) and import (ApplianceImplImport, the primary group).
 */
function newMachineFolder(s, name, baseFolder, group = '/') {
  if (s.vms.some((v) => v.name === name)) fail(`A machine named '${name}' already exists`);
  const folder = path.join(baseFolder || path.join(DIR, 'VirtualBox VMs'), group === '/' ? '' : group, name);
  const cfgFile = path.join(folder, `${name}.vbox`);
  if (fs.existsSync(cfgFile)) fail(`Machine settings file '${cfgFile}' already exists`);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(cfgFile, 'stand-in settings\n');
  return { folder, cfgFile };
}

/**
 * The MAC addresses of a new VM's eight network adapters: VirtualBox's OUI 08:00:27 and
 * three random bytes (HostImpl.cpp Host::i_generateMACAddress; unverified in this file).
 * showvminfo prints them as macaddress<N>="080027XXXXXX", uppercase without separators
 * (VBoxManageInfo.cpp; the key as minikube's VirtualBox driver reads it, kubernetes/minikube
 * pkg/drivers/virtualbox/virtualbox.go getHostOnlyMACAddress).
 */
function newMacs(vmName) {
  const macs = {};
  // VBOXMANAGE_STANDIN_MACS=by-name: the three bytes come from the VM's name instead, so two runs compare equal.
  const bytes = (n) => (process.env.VBOXMANAGE_STANDIN_MACS === 'by-name' ? crypto.createHash('sha256').update(`${vmName}/${n}`).digest().subarray(0, 3) : crypto.randomBytes(3));
  for (let n = 1; n <= 8; n++) macs[n] = `080027${bytes(n).toString('hex').toUpperCase()}`;
  return macs;
}

/** The virtual size of a qcow2 image: a big-endian 64-bit number at byte 24 (qemu docs/interop/qcow2.txt). */
function qcow2CapacityMb(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const h = Buffer.alloc(32);
    fs.readSync(fd, h, 0, 32, 0);
    return h.readUInt32BE(0) === 0x514649fb ? Math.round(Number(h.readBigUInt64BE(24)) / 1048576) : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function fail(message, code = 1) {
  process.stderr.write(`VBoxManage: error: ${message}\n`);
  process.exit(code);
}

if (!DIR) fail('stand-in: VBOXMANAGE_STANDIN_DIR is not set');
fs.mkdirSync(DIR, { recursive: true });
const STATE = path.join(DIR, 'state.json');
const BUSY = path.join(DIR, 'busy');

function load() {
  if (!fs.existsSync(STATE)) return { vms: [], media: [], hostonlyifs: [], hostonlynets: [], counters: {} };
  return JSON.parse(fs.readFileSync(STATE, 'utf8'));
}
function save(s) {
  const tmp = `${STATE}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(s, null, 1));
  fs.renameSync(tmp, STATE);
}
const uuid = () => crypto.randomUUID();

/** Option parsing like RTGetOpt: "--opt value" or "--opt=value"; unknown options are errors. */
function parseOptions(args, spec, { positionals = 0 } = {}) {
  const opts = {};
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2)) {
      let inline;
      const eq = a.indexOf('=');
      if (eq > 0) {
        inline = a.slice(eq + 1);
        a = a.slice(0, eq);
      }
      const key = Object.keys(spec).find((k) => (spec[k] instanceof RegExp ? spec[k].test(a) : k === a));
      if (!key) throw new UsageError(`Unknown option: ${a}`);
      const arity = spec[key] instanceof RegExp ? 1 : spec[key];
      const values = [];
      if (inline !== undefined) values.push(inline);
      while (values.length < (typeof arity === 'function' ? arity(args[i + 1]) : arity)) {
        i++;
        if (i >= args.length) throw new UsageError(`Missing value for ${a}`);
        values.push(args[i]);
      }
      (opts[a] = opts[a] || []).push(values.length === 0 ? true : values.length === 1 ? values[0] : values);
    } else pos.push(a);
  }
  if (pos.length > positionals) throw new UsageError(`Invalid parameter '${pos[positionals]}'`);
  return { opts, pos };
}
const last = (v) => (Array.isArray(v) ? v[v.length - 1] : v);

function ipToInt(ip) {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function inRanges(ip) {
  const ranges = (process.env.VBOXMANAGE_STANDIN_NETWORKS || '192.168.56.0/21').split(/\s+/).filter(Boolean);
  return ranges.some((r) => {
    const [net, len] = r.split('/');
    const size = 2 ** (32 - Number(len));
    return ipToInt(ip) >= ipToInt(net) && ipToInt(ip) < ipToInt(net) + size;
  });
}

function findVm(s, ref) {
  const vm = s.vms.find((v) => v.name === ref || v.uuid === ref);
  if (!vm) fail(comError(tr("Could not find a registered machine named '%s'", ref), 'VBOX_E_OBJECT_NOT_FOUND', 'VirtualBoxWrap', 'IVirtualBox'));
  return vm;
}
function findMedium(s, ref, kind) {
  const abs = path.isAbsolute(ref) ? ref : path.resolve(ref);
  return s.media.find((m) => (m.uuid === ref || m.location === abs) && (!kind || m.kind === kind));
}
const isOn = (vm) => !OFF_STATES.includes(vm.state);
/** The session of a VM that just powered off is released a moment later (the VM process exits after the state change). */
const sessionLocked = (vm) => isOn(vm) || vm.lockedCalls > 0;
/** Changing a VM needs its session: MachineImpl.cpp lockMachine fails with VBOX_E_INVALID_OBJECT_STATE while another holds it. */
function requireOff(vm) {
  if (sessionLocked(vm)) fail(comError(tr("The machine '%s' is already locked by a session (or being locked or unlocked)", vm.name), 'VBOX_E_INVALID_OBJECT_STATE'));
}
/** showMediumInfo (VBoxManageDisk.cpp): translated labels, Capacity before "Size on disk" (field order unverified beyond these). */
function mediumInfo(m) {
  return [
    tr('UUID:           %s', m.uuid),
    tr('Parent UUID:    %s', m.parent || 'base'),
    tr('State:          %s', 'created'),
    tr('Location:       %s', m.location),
    tr('Storage format: %s', m.format),
    tr('Capacity:       %s MBytes', m.capacityMb),
    tr('Size on disk:   %s MBytes', 2),
  ].join('\n') + '\n';
}
/**
 * VBoxManageInfo.cpp showSnapshots, machine-readable: the root is SnapshotName, its
 * children SnapshotName-1, -2, …, theirs SnapshotName-1-1, …; SnapshotDescription only
 * when not empty; the current one adds CurrentSnapshotName/UUID/Node.
 */
function snapshotTree(vm) {
  const lines = [];
  const walk = (sn, prefix) => {
    lines.push(`SnapshotName${prefix}="${sn.name}"`, `SnapshotUUID${prefix}="${sn.uuid}"`);
    if (sn.description) lines.push(`SnapshotDescription${prefix}="${sn.description.replace(/"/g, '\\"')}"`);
    if (sn.uuid === vm.currentSnapshot) lines.push(`CurrentSnapshotName="${sn.name}"`, `CurrentSnapshotUUID="${sn.uuid}"`, `CurrentSnapshotNode="SnapshotName${prefix}"`);
    vm.snapshots.filter((c) => c.parent === sn.uuid).forEach((c, i) => walk(c, `${prefix}-${i + 1}`));
  };
  const root = vm.snapshots.find((sn) => !sn.parent);
  if (root) walk(root, '');
  return lines;
}
function mediaInUse(s, uuidRef) {
  return s.vms.some((v) => Object.values(v.attachments).some((a) => a.medium === uuidRef) || v.snapshots.some((sn) => Object.values(sn.attachments).some((a) => a.medium === uuidRef)));
}
function newDiff(s, parent, folder, owner) {
  const id = uuid();
  const location = path.join(folder, 'Snapshots', `{${id}}.vdi`);
  fs.mkdirSync(path.dirname(location), { recursive: true });
  fs.writeFileSync(location, `stand-in differencing image of ${parent.uuid}\n`);
  const m = { uuid: id, kind: 'hdd', location, format: 'VDI', capacityMb: parent.capacityMb, parent: parent.uuid, owner };
  s.media.push(m);
  return m;
}
function deleteMediumFile(s, m) {
  fs.rmSync(m.location, { force: true });
  s.media = s.media.filter((x) => x.uuid !== m.uuid);
}

const commands = {
  list(s, args) {
    const { pos } = parseOptions(args, { '--long': 0, '-l': 0, '--sorted': 0, '-s': 0 }, { positionals: 1 });
    const what = pos[0];
    const block = (rows) => rows.join('\n') + (rows.length ? '\n' : '');
    switch (what) {
      case 'vms':
        return s.vms.map((v) => `"${v.name}" {${v.uuid}}\n`).join('');
      case 'runningvms':
        return s.vms.filter(isOn).map((v) => `"${v.name}" {${v.uuid}}\n`).join('');
      case 'hdds':
      case 'dvds':
        return block(
          s.media
            .filter((m) => m.kind === (what === 'hdds' ? 'hdd' : 'dvd'))
            .map((m) => mediumInfo(m)),
        );
      // VBoxManageList.cpp listNetworkInterfaces: labels through List::tr() except "GUID:" and "DHCP:"; a blank line ends each.
      case 'hostonlyifs':
        return s.hostonlyifs
          .map((i) =>
            [
              tr('Name:            %s', i.name),
              `GUID:            ${i.guid}`,
              `DHCP:            ${tr('Disabled')}`,
              tr('IPAddress:       %s', i.ip),
              tr('NetworkMask:     %s', i.mask),
              tr('IPV6Address:     %s', ''),
              tr('Status:          %s', tr('Up')),
              tr('VBoxNetworkName: %s', `HostInterfaceNetworking-${i.name}`),
            ].join('\n') + '\n\n',
          )
          .join('');
      // VBoxManageList.cpp listHostOnlyNetworks: note the blank line right after "GUID:" (its format is "GUID: %ls\n\n").
      case 'hostonlynets':
        return s.hostonlynets
          .map((n) =>
            [
              tr('Name:            %s', n.name),
              `GUID:            ${n.id}`,
              '',
              tr('State:           %s', n.enabled ? tr('Enabled') : tr('Disabled')),
              tr('NetworkMask:     %s', n.mask),
              tr('LowerIP:         %s', n.lower),
              tr('UpperIP:         %s', n.upper),
              tr('VBoxNetworkName: %s', `hostonly-${n.name}`),
            ].join('\n') + '\n\n',
          )
          .join('');
      default:
        throw new UsageError(`Invalid parameter '${what}'`);
    }
  },

  showvminfo(s, args) {
    const { opts, pos } = parseOptions(args, { '--machinereadable': 0, '--details': 0, '--log': 1, '--password-id': 1, '--password': 1 }, { positionals: 1 });
    if (!pos[0]) throw new UsageError('Missing VM name');
    if (!opts['--machinereadable']) throw new UsageError('stand-in: only --machinereadable output is kept');
    const vm = findVm(s, pos[0]);
    const lines = [
      `name="${vm.name}"`,
      `groups="${vm.groups.join(',')}"`,
      `ostype="${vm.ostype || 'Ubuntu_64'}"`,
      `UUID="${vm.uuid}"`,
      `CfgFile="${vm.cfgFile}"`,
      `memory=${vm.memory}`,
      `cpus=${vm.cpus}`,
      `ioapic="${vm.ioapic}"`,
      `VMState="${vm.state}"`,
    ];
    vm.controllers.forEach((c, i) => lines.push(`storagecontrollername${i}="${c.name}"`, `storagecontrollertype${i}="${c.type}"`, `storagecontrollermaxportcount${i}="${c.ports}"`));
    for (const [slot, a] of Object.entries(vm.attachments)) {
      const [ctl, port, dev] = slot.split('|');
      const m = s.media.find((x) => x.uuid === a.medium);
      lines.push(`"${ctl}-${port}-${dev}"="${m ? m.location : 'emptydrive'}"`);
      if (m) lines.push(`"${ctl}-ImageUUID-${port}-${dev}"="${m.uuid}"`);
    }
    for (let n = 1; n <= 8; n++) {
      const nic = vm.nics[n];
      lines.push(`nic${n}="${nic ? nic.type : 'none'}"`);
      if (nic && nic.type !== 'none' && vm.macs) lines.push(`macaddress${n}="${vm.macs[n]}"`);
      if (nic && nic.hostonlyadapter) lines.push(`hostonlyadapter${n}="${nic.hostonlyadapter}"`);
      if (nic && nic.hostonlynet) lines.push(`hostonly-network${n}="${nic.hostonlynet}"`);
      if (nic && nic.cable) lines.push(`cableconnected${n}="${nic.cable}"`);
    }
    lines.push(`uart1="${vm.uart1 || 'off'}"`);
    if (vm.uartmode1) lines.push(`uartmode1="${vm.uartmode1}"`);
    // VBoxManageInfo.cpp showVMInfo: the snapshot tree comes last, only when there is one.
    lines.push(...snapshotTree(vm));
    return lines.join('\n') + '\n';
  },

  showmediuminfo(s, args) {
    const { pos } = parseOptions(args, {}, { positionals: 2 });
    const ref = ['disk', 'dvd', 'floppy'].includes(pos[0]) ? pos[1] : pos[0];
    const m = ref && findMedium(s, ref);
    if (!m) fail(`Could not find file for the medium '${ref}'`);
    return mediumInfo(m);
  },

  hostonlyif(s, args) {
    const [sub, ...rest] = args;
    if (sub === 'create') {
      parseOptions(rest, {});
      let n = 0;
      while (s.hostonlyifs.some((i) => i.name === `vboxnet${n}`)) n++;
      // A new interface is listed with a default address before any ipconfig: on hosts other than Windows,
      // HostNetworkInterfaceImpl.cpp i_setVirtualBox takes extradata HostOnly/<name>/IPAddress, else
      // getDefaultIPv4Address(<name>) = 192.168.56.1 + (N << 16) in network order, i.e. 192.168.(56+N).1, with
      // VBOXNET_IPV4MASK_DEFAULT 255.255.255.0 (src/VBox/Main/include/netif.h); getIPAddress reports that one.
      s.hostonlyifs.push({ name: `vboxnet${n}`, guid: uuid(), ip: `192.168.${56 + n}.1`, mask: '255.255.255.0' });
      // VBoxManageHostonly.cpp handleCreate: HostOnly::tr("Interface '%ls' was successfully created\n").
      return `0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n${tr("Interface '%s' was successfully created", `vboxnet${n}`)}\n`;
    }
    if (sub === 'ipconfig') {
      const { opts, pos } = parseOptions(rest, { '--dhcp': 0, '--ip': 1, '--netmask': 1, '--ipv6': 1, '--netmasklengthv6': 1 }, { positionals: 1 });
      const i = s.hostonlyifs.find((x) => x.name === pos[0]);
      if (!i) fail(`The host network interface named '${pos[0]}' could not be found`);
      const ip = last(opts['--ip']);
      if (!ip) throw new UsageError('Missing --ip');
      if (!inRanges(ip)) fail('Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)');
      i.ip = ip;
      i.mask = last(opts['--netmask']) || '255.255.255.0';
      return '';
    }
    if (sub === 'remove') {
      const { pos } = parseOptions(rest, {}, { positionals: 1 });
      if (!s.hostonlyifs.some((x) => x.name === pos[0])) fail(`The host network interface named '${pos[0]}' could not be found`);
      s.hostonlyifs = s.hostonlyifs.filter((x) => x.name !== pos[0]);
      return '0%...100%\n';
    }
    throw new UsageError(`Invalid parameter '${sub}'`);
  },

  hostonlynet(s, args) {
    const [sub, ...rest] = args;
    if (sub === 'add') {
      const { opts } = parseOptions(rest, { '--name': 1, '--id': 1, '--netmask': 1, '--lower-ip': 1, '--upper-ip': 1, '--enable': 0, '--disable': 0 });
      for (const o of ['--name', '--netmask', '--lower-ip', '--upper-ip']) if (!opts[o]) throw new UsageError(`Missing ${o}`);
      const name = last(opts['--name']);
      if (s.hostonlynets.some((n) => n.name === name)) fail(`Host-only network '${name}' already exists`);
      s.hostonlynets.push({ name, id: uuid(), mask: last(opts['--netmask']), lower: last(opts['--lower-ip']), upper: last(opts['--upper-ip']), enabled: !opts['--disable'] });
      return '';
    }
    if (sub === 'modify') {
      // VBoxManageHostonly.cpp handleNetModify: the network found by --name (else --id), then each given setting applied.
      const { opts } = parseOptions(rest, { '--name': 1, '--id': 1, '--netmask': 1, '--lower-ip': 1, '--upper-ip': 1, '--enable': 0, '--disable': 0 });
      const n = s.hostonlynets.find((x) => (opts['--name'] ? x.name === last(opts['--name']) : x.id === last(opts['--id'])));
      if (!n) fail(`Host-only network '${last(opts['--name']) || last(opts['--id'])}' could not be found`);
      if (opts['--netmask']) n.mask = last(opts['--netmask']);
      if (opts['--lower-ip']) n.lower = last(opts['--lower-ip']);
      if (opts['--upper-ip']) n.upper = last(opts['--upper-ip']);
      if (opts['--enable']) n.enabled = true;
      if (opts['--disable']) n.enabled = false;
      return '';
    }
    if (sub === 'remove') {
      const { opts } = parseOptions(rest, { '--name': 1, '--id': 1 });
      const name = last(opts['--name']);
      if (!s.hostonlynets.some((n) => n.name === name)) fail(`Host-only network '${name}' could not be found`);
      s.hostonlynets = s.hostonlynets.filter((n) => n.name !== name);
      return '';
    }
    throw new UsageError(`Invalid parameter '${sub}'`);
  },

  import(s, args) {
    const { opts, pos } = parseOptions(
      args,
      { '--dry-run': 0, '-n': 0, '--options': 1, '--vsys': 1, '--ostype': 1, '--vmname': 1, '--settingsfile': 1, '--basefolder': 1, '--group': 1, '--memory': 1, '--cpus': 1, '--description': 1, '--eula': 1 },
      { positionals: 1 },
    );
    const ova = pos[0];
    if (!ova || !fs.existsSync(ova)) fail(`Appliance read failed\nVBoxManage: error: Could not open the file '${ova}'`);
    const name = last(opts['--vmname']) || 'ubuntu-noble-24.04-cloudimg';
    // VBoxManageAppliance.cpp: "--vsys N --group <group>" sets the primary group, which places the folder.
    const group = last(opts['--group']) || '/';
    const { folder, cfgFile } = newMachineFolder(s, name, last(opts['--basefolder']), group);
    const disk = { uuid: uuid(), kind: 'hdd', location: path.join(folder, `${name}-disk001.vmdk`), format: 'VMDK', capacityMb: 3584, parent: null };
    fs.writeFileSync(disk.location, 'stand-in disk\n');
    s.media.push(disk);
    s.vms.push({
      name,
      uuid: uuid(),
      cfgFile,
      groups: [group],
      state: 'poweroff',
      memory: 1024,
      cpus: 2,
      ioapic: 'on',
      extradata: {},
      nics: { 1: { type: 'nat' } },
      macs: newMacs(name),
      controllers: [{ name: 'SCSI', type: 'LsiLogic', ports: 16 }],
      attachments: { 'SCSI|0|0': { type: 'hdd', medium: disk.uuid } },
      snapshots: [],
    });
    return `0%...10%...100%\n${tr('Successfully imported the appliance.')}\n`;
  },

  /**
   * VBoxManageMisc.cpp handleCreateVM: a VM with no disks, of the given platform
   * architecture (--platform-architecture x86|arm, VirtualBox 7.1; default the host's),
   * registered with --register, its folder placed like any new VM's.
   */
  createvm(s, args) {
    const { opts } = parseOptions(args, { '--name': 1, '--groups': 1, '--ostype': 1, '--register': 0, '--basefolder': 1, '--uuid': 1, '--default': 0, '--platform-architecture': 1, '--platform-arch': 1 });
    const name = last(opts['--name']);
    if (!name) throw new UsageError('Missing --name');
    const platform = last(opts['--platform-architecture'] || opts['--platform-arch']) || 'x86';
    if (!['x86', 'arm'].includes(platform)) throw new UsageError(`Invalid platform architecture '${platform}'`);
    const groups = opts['--groups'] ? last(opts['--groups']).split(',') : ['/'];
    const { cfgFile } = newMachineFolder(s, name, last(opts['--basefolder']), groups[0]);
    if (!opts['--register']) fail('stand-in: VMs are only kept when registered (--register)');
    const vm = { name, uuid: uuid(), cfgFile, groups, platform, ostype: last(opts['--ostype']) || 'Other', state: 'poweroff', memory: 128, cpus: 1, ioapic: 'on', extradata: {}, nics: { 1: { type: 'nat' } }, macs: newMacs(name), controllers: [], attachments: {}, snapshots: [] };
    s.vms.push(vm);
    return `Virtual machine '${name}' is created and registered.\nUUID: ${vm.uuid}\nSettings file: '${cfgFile}'\n`;
  },

  clonemedium(s, args) {
    const { opts, pos } = parseOptions(args, { '--format': 1, '--variant': 1, '--existing': 0 }, { positionals: 3 });
    const [src, dst] = ['disk', 'dvd', 'floppy'].includes(pos[0]) ? pos.slice(1) : pos;
    // VBoxManageDisk.cpp handleCloneMedium: the source is opened with openMedium, which
    // registers a file not known yet; it stays registered after the clone.
    let m = findMedium(s, src);
    if (!m && src && fs.existsSync(src)) {
      const capacityMb = qcow2CapacityMb(path.resolve(src));
      m = { uuid: uuid(), kind: 'hdd', location: path.resolve(src), format: capacityMb === undefined ? 'RAW' : 'QCOW', capacityMb: capacityMb ?? Math.round(fs.statSync(src).size / 1048576), parent: null };
      s.media.push(m);
    }
    if (!m) fail(`Could not find file for the medium '${src}'`);
    const target = path.resolve(dst);
    if (fs.existsSync(target)) fail(`Cannot create the medium storage unit '${target}': already exists`);
    fs.writeFileSync(target, 'stand-in disk (converted)\n');
    const format = last(opts['--format']) || m.format;
    // The copy is made first and registered as the last step (MediumImpl.cpp i_taskCloneHandler: "leaving an
    // orphan file is better than breaking media registry consistency"); VirtualBoxImpl.cpp i_registerMedium refuses
    // a location that a registered medium already has (i_checkMediaForConflicts), even one whose file is gone.
    const taken = s.media.find((x) => x.location === target);
    if (taken) {
      fail(comError(`Cannot register the hard disk '${target}' {${uuid()}} because a hard disk '${target}' with UUID {${taken.uuid}} already exists`, 'E_INVALIDARG', 'VirtualBoxWrap', 'IVirtualBox'));
    }
    s.media.push({ uuid: uuid(), kind: 'hdd', location: target, format, capacityMb: m.capacityMb, parent: null });
    return `0%...100%\nClone medium created in format '${format}'. UUID: ${s.media[s.media.length - 1].uuid}\n`;
  },

  modifymedium(s, args) {
    const { opts, pos } = parseOptions(args, { '--resize': 1, '--resizebyte': 1, '--compact': 0, '--type': 1, '--autoreset': 1, '--property': 1, '--move': 1, '--description': 1 }, { positionals: 2 });
    const ref = ['disk', 'dvd', 'floppy'].includes(pos[0]) ? pos[1] : pos[0];
    const m = ref && findMedium(s, ref, 'hdd');
    if (!m) fail(`Could not find file for the medium '${ref}'`);
    if (opts['--resize']) {
      const mb = Number(last(opts['--resize']));
      if (m.format === 'VMDK') fail('Failed to resize medium\nVBoxManage: error: Resize medium operation for this format is not implemented yet!');
      if (mb < m.capacityMb) fail('Failed to resize medium\nVBoxManage: error: Shrinking is not yet supported');
      m.capacityMb = mb;
    }
    return '0%...100%\n';
  },

  storagectl(s, args) {
    const { opts, pos } = parseOptions(args, { '--name': 1, '--add': 1, '--controller': 1, '--portcount': 1, '--hostiocache': 1, '--bootable': 1, '--rename': 1, '--remove': 0 }, { positionals: 1 });
    const vm = findVm(s, pos[0]);
    requireOff(vm);
    const name = last(opts['--name']);
    if (!name) throw new UsageError('Missing --name');
    if (opts['--add']) {
      if (!['ide', 'sata', 'scsi', 'floppy', 'sas', 'usb', 'pcie', 'virtio'].includes(last(opts['--add']))) throw new UsageError(`Invalid --add argument '${last(opts['--add'])}'`);
      if (vm.controllers.some((c) => c.name === name)) fail(`Storage controller named '${name}' already exists`);
      vm.controllers.push({ name, type: last(opts['--controller']) || 'IntelAhci', ports: Number(last(opts['--portcount']) || 1) });
    }
    return '';
  },

  storageattach(s, args) {
    const { opts, pos } = parseOptions(args, { '--storagectl': 1, '--port': 1, '--device': 1, '--type': 1, '--medium': 1, '--mtype': 1, '--comment': 1, '--nonrotational': 1, '--discard': 1, '--hotpluggable': 1 }, { positionals: 1 });
    const vm = findVm(s, pos[0]);
    const ctl = vm.controllers.find((c) => c.name === last(opts['--storagectl']));
    if (!ctl) fail(`Could not find a controller named '${last(opts['--storagectl'])}'`);
    const type = last(opts['--type']);
    const medium = last(opts['--medium']);
    if (!medium) throw new UsageError('Missing --medium');
    if (type !== 'dvddrive') requireOff(vm);
    const slot = `${ctl.name}|${last(opts['--port']) || 0}|${last(opts['--device']) || 0}`;
    if (medium === 'none') {
      delete vm.attachments[slot];
      return '';
    }
    const kind = type === 'dvddrive' ? 'dvd' : 'hdd';
    let m = findMedium(s, medium, kind);
    if (!m) {
      const file = path.resolve(medium);
      if (!fs.existsSync(file)) fail(`Could not find file for the medium '${file}' (VERR_FILE_NOT_FOUND)`);
      m = { uuid: uuid(), kind, location: file, format: kind === 'dvd' ? 'RAW' : 'VDI', capacityMb: 1, parent: null };
      s.media.push(m);
    }
    vm.attachments[slot] = { type: type || 'hdd', medium: m.uuid };
    return '';
  },

  closemedium(s, args) {
    const { opts, pos } = parseOptions(args, { '--delete': 0 }, { positionals: 2 });
    const kind = { disk: 'hdd', dvd: 'dvd', floppy: 'floppy' }[pos[0]];
    const ref = kind ? pos[1] : pos[0];
    const m = ref && findMedium(s, ref, kind);
    if (!m) fail(`Could not find file for the medium '${ref}'`);
    if (mediaInUse(s, m.uuid)) fail(`Cannot close medium '${m.location}' because it is still attached to virtual machines`);
    if (s.media.some((x) => x.parent === m.uuid)) fail(`Cannot close medium '${m.location}' because it has 1 child media`);
    if (opts['--delete']) fs.rmSync(m.location, { force: true });
    s.media = s.media.filter((x) => x.uuid !== m.uuid);
    return '';
  },

  snapshot(s, args) {
    const [ref, sub, ...rest] = args;
    if (!ref || !sub) throw new UsageError('Missing snapshot subcommand');
    const vm = findVm(s, ref);
    const folder = path.dirname(vm.cfgFile);
    if (sub === 'take') {
      const { opts, pos } = parseOptions(rest, { '--description': 1, '--live': 0, '--uniquename': 1 }, { positionals: 1 });
      if (!pos[0]) throw new UsageError('Missing snapshot name');
      const attachments = JSON.parse(JSON.stringify(vm.attachments));
      for (const a of Object.values(vm.attachments)) {
        if (a.type !== 'hdd') continue;
        a.medium = newDiff(s, s.media.find((m) => m.uuid === a.medium), folder, vm.uuid).uuid;
      }
      // A new snapshot is a child of the current one (the tree showSnapshots prints), and becomes current.
      const sn = { name: pos[0], uuid: uuid(), parent: vm.currentSnapshot || null, description: last(opts['--description']) || '', attachments, state: vm.state === 'running' ? 'saved' : 'poweroff', config: { cpus: vm.cpus, memory: vm.memory } };
      vm.snapshots.push(sn);
      vm.currentSnapshot = sn.uuid;
      return `0%...100%\nSnapshot taken. UUID: ${sn.uuid}\n`;
    }
    if (sub === 'restore') {
      parseOptions(rest, {}, { positionals: 1 });
      const sn = vm.snapshots.find((x) => x.name === rest[0] || x.uuid === rest[0]);
      if (!sn) fail(`Could not find a snapshot named '${rest[0]}'`);
      if (isOn(vm)) fail(`Cannot restore a snapshot of a running VM`);
      for (const a of Object.values(vm.attachments)) {
        const m = s.media.find((x) => x.uuid === a.medium);
        if (a.type === 'hdd' && m && m.owner === vm.uuid && !s.media.some((x) => x.parent === m.uuid)) deleteMediumFile(s, m);
      }
      vm.attachments = JSON.parse(JSON.stringify(sn.attachments));
      for (const a of Object.values(vm.attachments)) if (a.type === 'hdd') a.medium = newDiff(s, s.media.find((m) => m.uuid === a.medium), folder, vm.uuid).uuid;
      vm.state = sn.state === 'saved' ? 'saved' : 'poweroff';
      vm.currentSnapshot = sn.uuid;
      return `0%...100%\nRestoring snapshot '${sn.name}' (${sn.uuid})\n`;
    }
    if (sub === 'delete') {
      parseOptions(rest, {}, { positionals: 1 });
      const sn = vm.snapshots.find((x) => x.name === rest[0] || x.uuid === rest[0]);
      if (!sn) fail(`Could not find a snapshot named '${rest[0]}'`);
      const children = vm.snapshots.filter((x) => x.parent === sn.uuid);
      if (children.length > 1) fail(comError(`Snapshot '${sn.name}' of the machine '${vm.name}' has more than one child snapshot (${children.length})`, 'VBOX_E_INVALID_OBJECT_STATE', 'SessionMachine'));
      for (const c of children) c.parent = sn.parent;
      if (vm.currentSnapshot === sn.uuid) vm.currentSnapshot = sn.parent || undefined;
      vm.snapshots = vm.snapshots.filter((x) => x !== sn);
      return '0%...100%\n';
    }
    if (sub === 'list') {
      parseOptions(rest, { '--details': 0, '--machinereadable': 0 });
      // No snapshots: a translated sentence on stdout and a failure exit (VBoxManageSnapshot.cpp; wording and exit code unverified there).
      if (vm.snapshots.length === 0) {
        process.stdout.write(`${tr('This machine does not have any snapshots')}\n`);
        process.exit(1);
      }
      return snapshotTree(vm).join('\n') + '\n';
    }
    throw new UsageError(`Invalid parameter '${sub}'`);
  },

  clonevm(s, args) {
    const { opts, pos } = parseOptions(
      args,
      { '--snapshot': 1, '--mode': 1, '--options': 1, '--name': 1, '--groups': 1, '--basefolder': 1, '--uuid': 1, '--register': 0 },
      { positionals: 1 },
    );
    const src = findVm(s, pos[0]);
    const options = (opts['--options'] || []).join(',').split(',').filter(Boolean);
    for (const o of options) if (!['link', 'keepallmacs', 'keepnatmacs', 'keepdisknames', 'keephwuuids'].includes(o)) throw new UsageError(`Invalid clone options '${o}'`);
    const snapName = last(opts['--snapshot']);
    const sn = snapName && src.snapshots.find((x) => x.name === snapName || x.uuid === snapName);
    if (snapName && !sn) fail(`Could not find a snapshot named '${snapName}'`);
    if (options.includes('link') && !sn) fail('Linked clone can only be created from a snapshot');
    const name = last(opts['--name']) || `${src.name} Clone`;
    const groups = opts['--groups'] ? last(opts['--groups']).split(',') : ['/'];
    const { folder, cfgFile } = newMachineFolder(s, name, last(opts['--basefolder']), groups[0]);
    const vm = JSON.parse(JSON.stringify({ ...src, snapshots: [] }));
    delete vm.currentSnapshot;
    Object.assign(vm, { name, uuid: uuid(), cfgFile, state: 'poweroff', extradata: {}, groups });
    // A clone gets new MAC addresses unless told to keep them (VBoxManageMisc.cpp handleCloneVM: CloneOptions_KeepAllMACs).
    if (!options.includes('keepallmacs')) vm.macs = newMacs(name);
    vm.attachments = JSON.parse(JSON.stringify(sn ? sn.attachments : src.attachments));
    for (const a of Object.values(vm.attachments)) if (a.type === 'hdd') a.medium = newDiff(s, s.media.find((m) => m.uuid === a.medium), folder, vm.uuid).uuid;
    if (!opts['--register']) fail('stand-in: clones are only kept when registered (--register)');
    s.vms.push(vm);
    return `0%...100%\nMachine has been successfully cloned as "${name}"\n`;
  },

  setextradata(s, args) {
    const [ref, key, value, ...extra] = args;
    if (!key || extra.length) throw new UsageError('Usage: setextradata <uuid|vmname>|global <key> [<value>]');
    const vm = findVm(s, ref);
    if (value === undefined) delete vm.extradata[key];
    else vm.extradata[key] = value;
    return '';
  },

  getextradata(s, args) {
    const [ref, key, ...extra] = args;
    if (!key || extra.length) throw new UsageError('Usage: getextradata <uuid|vmname>|global <key>|enumerate');
    const vm = findVm(s, ref);
    // VBoxManageMisc.cpp handleGetExtraData: Misc::tr("Key: %ls, Value: %ls\n"), Misc::tr("Value: %ls\n").
    if (key === 'enumerate') return Object.entries(vm.extradata).map(([k, v]) => `${tr('Key: %s, Value: %s', k, v)}\n`).join('');
    return key in vm.extradata ? `${tr('Value: %s', vm.extradata[key])}\n` : `${tr('No value set!')}\n`;
  },

  modifyvm(s, args) {
    const uartArity = (next) => (next === 'off' ? 1 : 2);
    const uartModeArity = (next) => (['disconnected'].includes(next) ? 1 : 2);
    const { opts, pos } = parseOptions(
      args,
      {
        '--name': 1,
        '--groups': 1,
        '--ostype': 1,
        '--description': 1,
        '--cpus': 1,
        '--memory': 1,
        '--ioapic': 1,
        '--chipset': 1,
        '--firmware': 1,
        '--graphicscontroller': 1,
        nic: /^--nic[1-8]$/,
        cable: /^--cableconnected[1-8]$/,
        hostonly: /^--(hostonlyadapter|host-only-adapter)[1-8]$/,
        hostonlynet: /^--host-only-net[1-8]$/,
        '--uart1': uartArity,
        '--uart2': uartArity,
        '--uartmode1': uartModeArity,
        '--uart-mode1': uartModeArity,
        '--uartmode2': uartModeArity,
      },
      { positionals: 1 },
    );
    const vm = findVm(s, pos[0]);
    requireOff(vm);
    for (const [k, values] of Object.entries(opts)) {
      const v = last(values);
      const n = Number(k.slice(-1));
      if (k === '--groups') moveToGroup(s, vm, v.split(','));
      else if (k === '--cpus') vm.cpus = Number(v);
      else if (k === '--memory') vm.memory = Number(v);
      else if (k === '--ioapic') vm.ioapic = v;
      else if (k === '--ostype') vm.ostype = v;
      else if (k === '--chipset') {
        // The chipset belongs to the VM's platform (VBoxManageModifyVM.cpp, --chipset; unverified which error VirtualBox prints).
        const arm = v === 'armv8virtual';
        if (arm !== (vm.platform === 'arm')) fail(`Chipset '${v}' is not supported by the platform architecture '${vm.platform || 'x86'}' of VM '${vm.name}' (stand-in wording)`);
        vm.chipset = v;
      } else if (k === '--firmware') vm.firmware = v;
      else if (k === '--graphicscontroller') vm.graphicscontroller = v;
      else if (k === '--name') vm.name = v;
      else if (/^--nic\d$/.test(k)) {
        if (!['none', 'null', 'nat', 'bridged', 'intnet', 'hostonly', 'hostonlynet', 'generic', 'natnetwork', 'cloud'].includes(v)) throw new UsageError(`Invalid --nic argument '${v}'`);
        vm.nics[n] = { ...(vm.nics[n] || {}), type: v };
      } else if (/^--cableconnected\d$/.test(k)) vm.nics[n] = { ...(vm.nics[n] || {}), cable: v };
      else if (/^--(hostonlyadapter|host-only-adapter)\d$/.test(k)) {
        if (!s.hostonlyifs.some((i) => i.name === v)) fail(`Host-only interface '${v}' does not exist`);
        vm.nics[n] = { ...(vm.nics[n] || {}), hostonlyadapter: v };
      } else if (/^--host-only-net\d$/.test(k)) {
        if (!s.hostonlynets.some((i) => i.name === v)) fail(`Host-only network '${v}' does not exist`);
        vm.nics[n] = { ...(vm.nics[n] || {}), hostonlynet: v };
      } else if (k === '--uart1') vm.uart1 = Array.isArray(v) ? `${v[0]},${v[1]}` : v;
      else if (k === '--uartmode1' || k === '--uart-mode1') vm.uartmode1 = Array.isArray(v) ? `${v[0]},${v[1]}` : v;
    }
    return '';
  },

  startvm(s, args) {
    const { opts, pos } = parseOptions(args, { '--type': 1, '--putenv': 1, '-E': 1, '--password': 1, '--password-id': 1 }, { positionals: 1 });
    const vm = findVm(s, pos[0]);
    if (opts['--type'] && !['gui', 'headless', 'sdl', 'separate'].includes(last(opts['--type']))) throw new UsageError(`Invalid session type '${last(opts['--type'])}'`);
    // MachineImpl.cpp launchVMProcess: a VM whose session is held (running, or its process still exiting) is refused with this code.
    if (sessionLocked(vm)) fail(comError(tr("The machine '%s' is already locked by a session (or being locked or unlocked)", vm.name), 'VBOX_E_INVALID_OBJECT_STATE'));
    // A host problem makes the VM process fail at power-on; VBoxManage prints the VERR_* status in the message (wording unverified).
    const hostError = process.env.VBOXMANAGE_STANDIN_KERNEL_MODULE === 'missing' ? 'VERR_VM_DRIVER_NOT_INSTALLED' : process.env.VBOXMANAGE_STANDIN_START_ERROR;
    if (hostError) fail(comError(`The virtual machine '${vm.name}' has terminated unexpectedly during startup (${hostError})`, 'NS_ERROR_FAILURE', 'ConsoleWrap', 'IConsole'));
    for (const [slot, a] of Object.entries(vm.attachments)) {
      const m = s.media.find((x) => x.uuid === a.medium);
      if (m && !fs.existsSync(m.location)) fail(`Could not open the medium '${m.location}' attached at ${slot} (VERR_FILE_NOT_FOUND)`);
    }
    if (vm.uartmode1 && vm.uartmode1.startsWith('file,')) {
      fs.writeFileSync(vm.uartmode1.slice(5), `[VBoxManage stand-in] ${vm.name} "started"; no guest runs here, so no console output\n`);
    }
    vm.state = 'running';
    return `Waiting for VM "${vm.name}" to power on...\nVM "${vm.name}" has been successfully started.\n`;
  },

  controlvm(s, args) {
    const [ref, action, ...rest] = args;
    const vm = findVm(s, ref);
    if (!['poweroff', 'acpipowerbutton', 'pause', 'resume', 'savestate', 'reset'].includes(action)) throw new UsageError(`Invalid parameter '${action}'`);
    parseOptions(rest, {});
    // VBoxManageControlVM.cpp: a VM without a VM process has no console to control; the message is ControlVM::tr(), without a code.
    if (!isOn(vm)) fail(tr("Machine '%s' is not currently running", vm.name));
    if (action === 'poweroff') {
      // Power-off works from every live state (a guru meditation too); the session is released a moment after.
      vm.state = 'poweroff';
      vm.lockedCalls = Number(process.env.VBOXMANAGE_STANDIN_UNLOCK_AFTER_CALLS || 0);
      delete vm.acpiShutdownAt;
    } else if (action === 'acpipowerbutton') {
      // VBoxManageControlVM.cpp handleControlVM: acpipowerbutton is IConsole::PowerButton() and nothing more.
      // src/VBox/Main/src-client/ConsoleImpl.cpp (4908d8d1) Console::powerButton: only a Running, Teleporting or
      // LiveSnapshotting VM, else i_setInvalidMachineStateError (VBOX_E_INVALID_VM_STATE; its message text not
      // read there: unverified); it presses the ACPI device's power button, or on an Arm VM (no "acpi" device) the
      // GpioButton on arm-pl061-gpio (the device tree's gpio-keys "GPIO Key Poweroff", linux,code 0x74 =
      // KEY_POWER: ConsoleImplConfigArmV8.cpp there), and returns. The button only asks the guest: it shuts
      // down, and its VM powers off, some time later (or never, if nothing in the guest handles the button).
      if (!['running', 'teleporting', 'livesnapshotting'].includes(vm.state)) {
        fail(comError(`Invalid machine state: ${vm.state}`, 'VBOX_E_INVALID_VM_STATE', 'ConsoleWrap', 'IConsole'));
      }
      vm.acpiShutdownAt = Date.now() + Number(process.env.VBOXMANAGE_STANDIN_ACPI_DELAY_MS || 200);
    } else if (action === 'pause') vm.state = 'paused';
    else if (action === 'resume') vm.state = 'running';
    else if (action === 'savestate') vm.state = 'saved';
    return action === 'poweroff' ? '0%...100%\n' : '';
  },

  unregistervm(s, args) {
    const { opts, pos } = parseOptions(args, { '--delete': 0, '--delete-all': 0 }, { positionals: 1 });
    const vm = findVm(s, pos[0]);
    // MachineImpl.cpp unregister: refused while a session holds the VM — also right after a power-off (code unverified there).
    if (sessionLocked(vm)) fail(comError(tr("Cannot unregister the machine '%s' while it is locked", vm.name), 'VBOX_E_INVALID_OBJECT_STATE'));
    if (opts['--delete'] || opts['--delete-all']) {
      const own = new Set([
        ...Object.values(vm.attachments).filter((a) => a.type === 'hdd').map((a) => a.medium),
        ...vm.snapshots.flatMap((sn) => Object.values(sn.attachments).filter((a) => a.type === 'hdd').map((a) => a.medium)),
        ...s.media.filter((m) => m.owner === vm.uuid).map((m) => m.uuid),
      ]);
      const others = s.vms.filter((v) => v !== vm);
      const blocking = s.media.find((m) => own.has(m.parent) && !own.has(m.uuid));
      if (blocking || [...own].some((id) => others.some((v) => Object.values(v.attachments).some((a) => a.medium === id)))) {
        fail(`Cannot unregister the machine '${vm.name}' because it has linked clones: its disks have child media\nVBoxManage: error: Details: code VBOX_E_OBJECT_IN_USE (0x80bb000c)`);
      }
      for (const id of own) {
        const m = s.media.find((x) => x.uuid === id);
        if (m) deleteMediumFile(s, m);
      }
      fs.rmSync(vm.cfgFile, { force: true });
      fs.rmSync(path.join(path.dirname(vm.cfgFile), 'Snapshots'), { recursive: true, force: true });
      try {
        fs.rmdirSync(path.dirname(vm.cfgFile));
      } catch {
        /* the real one also leaves a folder holding files it did not make */
      }
    }
    s.vms = s.vms.filter((v) => v !== vm);
    return '';
  },
};

/**
 * MachineImpl.cpp i_prepareSaveSettings: when the primary group changes and the VM's
 * folder ends in <old group>/<name>, the folder is renamed to <base>/<new group>/<name>
 * (parents made as needed, emptied old group folders removed) and every path inside
 * it follows.
 */
function moveToGroup(s, vm, groups) {
  const oldGroup = vm.groups[0] === '/' ? '' : vm.groups[0];
  const newGroup = groups[0] === '/' ? '' : groups[0];
  vm.groups = groups;
  if (oldGroup === newGroup) return;
  const dir = path.dirname(vm.cfgFile);
  const tail = path.join(oldGroup, vm.name);
  if (!dir.endsWith(path.sep + path.normalize(tail).replace(/^[/\\]+/, ''))) return;
  const base = dir.slice(0, dir.length - path.normalize(tail).replace(/^[/\\]+/, '').length - 1);
  const target = path.join(base, newGroup, vm.name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // RTPathRename does not replace an existing folder: the settings save fails (and the group change is undone).
  if (fs.existsSync(target)) {
    fail(comError(`Could not rename the directory '${dir}' to '${target}' to save the settings file (VERR_ALREADY_EXISTS)`, 'E_FAIL', 'SessionMachine'));
  }
  fs.renameSync(dir, target);
  for (let up = path.dirname(dir); up !== base && up.startsWith(base); up = path.dirname(up)) {
    try {
      fs.rmdirSync(up);
    } catch {
      break;
    }
  }
  const moved = (p) => (p && (p === dir || p.startsWith(dir + path.sep)) ? target + p.slice(dir.length) : p);
  vm.cfgFile = moved(vm.cfgFile);
  if (vm.uartmode1) vm.uartmode1 = vm.uartmode1.replace(/^file,(.*)$/, (_, f) => `file,${moved(f)}`);
  for (const m of s.media) m.location = moved(m.location);
}

function counter(s, key) {
  s.counters[key] = (s.counters[key] || 0) + 1;
  return s.counters[key];
}

/**
 * The Linux VBox.sh wrapper (src/VBox/Installer/linux/VBox.sh, the 7.x one that
 * points at /sbin/vboxconfig) prints this on stdout before it runs VBoxManage, for
 * every command, when `lsmod` shows no vboxdrv. Not translated: it is a shell here-doc.
 */
function kernelModuleWarning() {
  if (process.env.VBOXMANAGE_STANDIN_KERNEL_MODULE !== 'missing') return '';
  const kernel = process.env.VBOXMANAGE_STANDIN_KERNEL || '5.15.0-91-generic';
  return `WARNING: The vboxdrv kernel module is not loaded. Either there is no module
         available for the current kernel (${kernel}) or it failed to
         load. Please recompile the kernel module and install it by

           sudo /sbin/vboxconfig

         You will not be able to start VMs until this problem is fixed.
`;
}

/** VBOXMANAGE_STANDIN_INTERRUPT: the caller is interrupted right after this call's work is done and saved. */
function interruptCallerAfter(callNumber) {
  const [n, signal] = (process.env.VBOXMANAGE_STANDIN_INTERRUPT || '').split(':');
  if (n && Number(n) === callNumber) process.kill(process.ppid, signal || 'SIGINT');
}

/** A pending ACPI shutdown that has had its time finishes: the guest powered itself off. */
function finishShutdowns(s) {
  for (const vm of s.vms) {
    if (vm.acpiShutdownAt !== undefined && Date.now() >= vm.acpiShutdownAt) {
      vm.state = 'poweroff';
      delete vm.acpiShutdownAt;
    }
  }
}

function main() {
  const args = process.argv.slice(2);
  process.stdout.write(kernelModuleWarning());
  fs.appendFileSync(path.join(DIR, 'calls'), `${args.join(' ')}\n`);
  const callNumber = fs.readFileSync(path.join(DIR, 'calls'), 'utf8').split('\n').length - 1;
  if (args[0] === '--version' || args[0] === '-v' || args[0] === '-V') {
    // VBoxManage.cpp: "--version" prints VBOX_VERSION_STRING "r" revision on a line of its own.
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const sub = args[0];
  if (!sub || !commands[sub]) fail(`Unknown command '${sub}'\nVBoxManage: error: (this is the kubelab VBoxManage stand-in for tests)`);

  let busy;
  try {
    busy = fs.openSync(BUSY, 'wx');
    holdingBusy = true;
  } catch {
    fs.appendFileSync(path.join(DIR, 'overlaps'), `${process.pid} ${args.join(' ')}\n`);
    fail(comError('The object is already locked by a session (or being locked or unlocked) (stand-in: another VBoxManage call was running)', 'VBOX_E_INVALID_OBJECT_STATE'));
  }
  let code = 0;
  try {
    const s = load();
    finishShutdowns(s);
    // Time passes for a VM process still exiting: counted in calls, so tests do not depend on the machine's speed.
    for (const vm of s.vms) if (vm.lockedCalls > 0) vm.lockedCalls--;
    save(s);
    const failSpec = (process.env.VBOXMANAGE_STANDIN_FAIL || '').split(':');
    const lockSpec = (process.env.VBOXMANAGE_STANDIN_LOCKED || '').split(':');
    if (lockSpec[0] === sub && counter(s, `locked-${sub}`) <= Number(lockSpec[1] || 1)) {
      save(s);
      throw Object.assign(new Error(comError(tr("The machine '%s' is already locked by a session (or being locked or unlocked)", args[1]), 'VBOX_E_INVALID_OBJECT_STATE')), { exit: 1 });
    }
    if (failSpec[0] === sub) {
      const code = process.env.VBOXMANAGE_STANDIN_FAIL_CODE || 'E_FAIL';
      throw Object.assign(new Error(comError(`stand-in told to fail '${sub}'`, code)), { exit: failSpec[1] === 'exit0' ? 0 : 1 });
    }
    if (process.env.VBOXMANAGE_STANDIN_KILL_PARENT === sub) {
      process.kill(process.ppid, 'SIGKILL');
      process.exit(1);
    }
    if (qemuMode) qemuMode.before(s);
    const output = commands[sub](s, args.slice(1));
    if (qemuMode) qemuMode.after(sub, args.slice(1), s, { fail });
    save(s);
    process.stdout.write(output);
    interruptCallerAfter(callNumber);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`VBoxManage: error: ${err.message}\n`);
      code = 2;
    } else if (err && err.exit !== undefined) {
      process.stderr.write(`VBoxManage: error: ${err.message}\n`);
      code = err.exit;
    } else throw err;
  } finally {
    fs.closeSync(busy);
    fs.rmSync(BUSY, { force: true });
    holdingBusy = false;
  }
  process.exitCode = code;
}

// fail() exits from inside a command: release the busy marker on the way out.
const realExit = process.exit.bind(process);
process.exit = (code) => {
  if (holdingBusy) fs.rmSync(BUSY, { force: true });
  realExit(code);
};
main();

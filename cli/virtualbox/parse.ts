/**
 * Readers of VBoxManage's output, by its shape, never by its English words: VBoxManage
 * translates its labels and messages (every `tr()` string in its source) into the
 * VirtualBox GUI's language or the OS locale, whatever LANG says. What stays the same
 * in every language: key="value" lines of --machinereadable, `"name" {uuid}`, the
 * COM error codes (VBOX_E_…, NS_ERROR_…, VERR_…), untranslated labels such as "GUID:",
 * and the order of the fields.
 */

/** `showvminfo --machinereadable`: key="value" lines, keys sometimes quoted. */
export function parseMachineReadable(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^("(?:[^"\\]|\\.)*"|[^=]+)=(.*)/s.exec(line);
    if (!m) continue;
    out.set(unquote(m[1]), unquote(m[2]));
  }
  return out;
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s;
}

/** `list vms`: `"name" {uuid}` per line. */
export function parseVmList(text: string): { name: string; uuid: string }[] {
  return [...text.matchAll(/^"(.*)" \{([0-9a-fA-F-]+)\}\s*$/gm)].map((m) => ({ name: m[1], uuid: m[2] }));
}

/**
 * "label: value" → value; the label may be in any language (VBoxManageList.cpp prints List::tr("Name:  %ls")).
 * A line without a blank after its first colon ("Name:" alone, or no label) has none: undefined, which every reader takes as empty.
 */
function valueOf(line: string): string | undefined {
  // Stryker disable next-line Regex: one blank or several before the value, it is trimmed
  const m = /^[^:]*?:\s+(.*)/s.exec(line);
  return m ? m[1].trim() : undefined;
}

/** The lines that hold something: VBoxManage separates records by blank lines, and hostonlynets puts one after GUID. */
function filledLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

/**
 * `list hostonlyifs` (VBoxManageList.cpp listNetworkInterfaces): each interface is
 * Name, GUID, DHCP, IPAddress, NetworkMask, … in that order. "GUID:" is the one label
 * VirtualBox does not translate, so each record is found by it and read by position.
 */
export function parseHostOnlyIfs(text: string): { name: string; ip: string; netmask: string }[] {
  const lines = filledLines(text);
  // Stryker disable next-line StringLiteral: past the last line any text without a colon reads as no value, as '' does
  const at = (i: number) => valueOf(lines[i] ?? '') ?? '';
  return lines.flatMap((line, i) => (i > 0 && /^GUID:/.test(line) ? [{ name: at(i - 1), ip: at(i + 2), netmask: at(i + 3) }] : []));
}

/**
 * `list hostonlynets` (VBoxManageList.cpp listHostOnlyNetworks, macOS): Name, GUID
 * (followed by a blank line), State, NetworkMask, LowerIP, UpperIP, VBoxNetworkName.
 */
export function parseHostOnlyNets(text: string): { name: string; netmask: string; lowerIp: string; upperIp: string }[] {
  const lines = filledLines(text);
  // Stryker disable next-line StringLiteral: past the last line any text without a colon reads as no value, as '' does
  const at = (i: number) => valueOf(lines[i] ?? '') ?? '';
  return lines.flatMap((line, i) => (i > 0 && /^GUID:/.test(line) ? [{ name: at(i - 1), netmask: at(i + 2), lowerIp: at(i + 3), upperIp: at(i + 4) }] : []));
}

/** Whether a `list dvds`/`list hdds` listing names this file as a medium's location (any label, any language). */
export function listsMediumAt(text: string, file: string, same: (a: string, b: string) => boolean): boolean {
  return text.split(/\r?\n/).some((line) => {
    const v = valueOf(line);
    return v !== undefined && v !== '' && same(v, file);
  });
}

/** The medium locations in a `list hdds`/`list dvds` listing that lie inside dir (any label, any language). */
export function mediaInside(text: string, dir: string, inside: (file: string, dir: string) => boolean): string[] {
  return text
    .split(/\r?\n/)
    .map(valueOf)
    .filter((v): v is string => v !== undefined && v !== '' && inside(v, dir));
}

/**
 * `--version`: VBoxManage prints "7.1.4r165100" on a line of its own. On Linux the
 * VBox.sh wrapper may print a WARNING first (kernel module not loaded) that names the
 * kernel version; that one is in parentheses mid-line and is not taken.
 */
export function parseVersion(text: string): { version: [number, number, number]; line: string; before: string } | undefined {
  const lines = text.split(/\r?\n/);
  // the build suffix and revision ("_Ubuntu", "r165100") are letters, digits and underscores
  // Stryker disable next-line Regex: the third number's further digits are word characters that \w* takes all the same
  const at = lines.findIndex((l) => /^\d+\.\d+\.\d+\w*$/.test(l.trim()));
  if (at < 0) return undefined;
  const line = lines[at].trim();
  // Stryker disable next-line Regex: the line was found by a pattern anchored at its start
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(line)!;
  return { version: [Number(m[1]), Number(m[2]), Number(m[3])], line, before: lines.slice(0, at).join('\n').trim() };
}

/**
 * `getextradata <vm> enumerate`: one `<label>: <key>, <label>: <value>` line per key
 * (VBoxManageMisc.cpp, Misc::tr("Key: %ls, Value: %ls\n"): the labels are translated).
 */
export function parseExtraDataList(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^[^:,\n]*:\s(.*?),\s[^:,\n]*:\s(.*)/gm)].map((m) => [m[1], m[2].trimEnd()]));
}

/**
 * `showmediuminfo disk`: the capacity is the first "<number> <unit>" value (Capacity
 * comes before "Size on disk"; the unit word "MBytes" is translated).
 */
export function parseCapacityMb(text: string): number | undefined {
  for (const line of text.split(/\r?\n/)) {
    // Stryker disable next-line StringLiteral: a line without a value has no number either way
    const m = /^(\d+)\s+\S+$/.exec(valueOf(line) ?? '');
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The hard disks attached to a VM, from showvminfo: "<controller>-<port>-<device>"="path" with an "-ImageUUID-" twin. */
export function attachedDisks(info: Map<string, string>): { controller: string; port: number; device: number; path: string; uuid: string }[] {
  const disks = [];
  for (const [key, uuid] of info) {
    const m = /(.+)-ImageUUID-(\d+)-(\d+)$/.exec(key);
    if (!m) continue;
    // Stryker disable next-line StringLiteral: an image without its path line is no disk file either way
    const file = info.get(`${m[1]}-${m[2]}-${m[3]}`) ?? '';
    if (!/\.(vdi|vmdk|vhd)$/i.test(file)) continue;
    disks.push({ controller: m[1], port: Number(m[2]), device: Number(m[3]), path: file, uuid });
  }
  return disks;
}

/**
 * Snapshot names from `showvminfo --machinereadable`, which prints the whole tree
 * (VBoxManageInfo.cpp showSnapshots: SnapshotName, SnapshotName-1, SnapshotName-1-1, …)
 * and nothing when there are none.
 */
export function snapshotNames(info: Map<string, string>): string[] {
  return [...info].filter(([k]) => /^SnapshotName(-\d+)*$/.test(k)).map(([, v]) => v);
}

/** Readers of VBoxManage's output (run with LANG=C). */

/** `showvminfo --machinereadable` / `snapshot list --machinereadable`: key="value" lines, keys sometimes quoted. */
export function parseMachineReadable(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^("(?:[^"\\]|\\.)*"|[^=]+)=(.*)$/.exec(line);
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

/** `list hostonlyifs`, `list hostonlynets`, `list hdds`, `list dvds`: "Key:   value" blocks separated by blank lines. */
export function parseBlocks(text: string): Record<string, string>[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((block) => {
      const rec: Record<string, string> = {};
      for (const line of block.split(/\r?\n/)) {
        const m = /^([A-Za-z][\w ]*?):\s*(.*)$/.exec(line);
        if (m) rec[m[1]] = m[2].trim();
      }
      return rec;
    })
    .filter((rec) => Object.keys(rec).length > 0);
}

/** `hostonlyif create`: "Interface 'vboxnet0' was successfully created". */
export function parseCreatedInterface(text: string): string | undefined {
  return /Interface '(.+)' was successfully created/.exec(text)?.[1];
}

/** `--version`: "7.0.14r161095" → [7, 0, 14]. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** `getextradata <vm> enumerate`: "Key: k, Value: v" lines. */
export function parseExtraDataList(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^Key: (.*?), Value: (.*)$/gm)].map((m) => [m[1], m[2].trimEnd()]));
}

/** `showmediuminfo disk`: "Capacity: 10240 MBytes". */
export function parseCapacityMb(text: string): number | undefined {
  const m = /^Capacity:\s+(\d+) MBytes/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The hard disks attached to a VM, from showvminfo: "<controller>-<port>-<device>"="path" with an "-ImageUUID-" twin. */
export function attachedDisks(info: Map<string, string>): { controller: string; port: number; device: number; path: string; uuid: string }[] {
  const disks = [];
  for (const [key, uuid] of info) {
    const m = /^(.+)-ImageUUID-(\d+)-(\d+)$/.exec(key);
    if (!m) continue;
    const file = info.get(`${m[1]}-${m[2]}-${m[3]}`) ?? '';
    if (!/\.(vdi|vmdk|vhd)$/i.test(file)) continue;
    disks.push({ controller: m[1], port: Number(m[2]), device: Number(m[3]), path: file, uuid });
  }
  return disks;
}

/** Snapshot names from `snapshot list --machinereadable` (SnapshotName, SnapshotName-1, SnapshotName-1-1, …). */
export function snapshotNames(info: Map<string, string>): string[] {
  return [...info].filter(([k]) => /^SnapshotName(-\d+)*$/.test(k)).map(([, v]) => v);
}

/**
 * A minimal ISO 9660 image writer with Joliet names, just enough for a cloud-init
 * NoCloud seed: one root directory holding a few small files. No npm package writes
 * ISO images and host tools differ per OS (genisoimage, mkisofs, hdiutil, oscdimg),
 * so kubelab writes the few sectors itself.
 *
 * Layout (2048-byte sectors):
 *   0–15  system area (zeros)
 *   16    primary volume descriptor (8.3 upper-case names, like every ISO reader expects)
 *   17    Joliet supplementary volume descriptor (UCS-2 names: "user-data" keeps its '-' and case)
 *   18    volume descriptor set terminator
 *   19–22 path tables (L and M) of the primary tree, then of the Joliet tree
 *   23    primary root directory, 24 Joliet root directory
 *   25…   file data, shared by both trees
 */

export interface IsoFile {
  /** Name as the guest sees it through Joliet, e.g. "user-data". */
  readonly name: string;
  readonly content: Buffer;
}

export interface IsoOptions {
  /** Volume label, e.g. "cidata" (what cloud-init looks for). At most 16 characters. */
  readonly volumeId: string;
  readonly files: readonly IsoFile[];
  /** Timestamp recorded in the image; fixed by default so the same input gives the same bytes. */
  readonly date?: Date;
}

const SECTOR = 2048;
const FIRST_FILE_SECTOR = 25;
/** Joliet UCS-2 level 3 escape sequence. */
const JOLIET_ESCAPE = Buffer.from('%/E', 'ascii');
const FIXED_DATE = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

export function writeIso9660(options: IsoOptions): Buffer {
  const { volumeId, files } = options;
  const date = options.date ?? FIXED_DATE;
  if (volumeId.length === 0 || volumeId.length > 16) throw new Error(`ISO volume label '${volumeId}' must be 1 to 16 characters`);
  if (files.length === 0) throw new Error('an ISO image needs at least one file');
  const primaryNames = files.map((f) => primaryName(f.name));
  const duplicate = primaryNames.find((n, i) => primaryNames.indexOf(n) !== i);
  if (duplicate) throw new Error(`two files map to the same ISO 9660 name ${duplicate}; rename one`);
  for (const f of files) {
    if (f.name.length === 0 || f.name.length > 64 || /[\\/:*?";]/.test(f.name)) {
      throw new Error(`file name '${f.name}' is not a valid Joliet name (1 to 64 characters, none of \\ / : * ? " ;)`);
    }
  }

  const extents: number[] = [];
  let next = FIRST_FILE_SECTOR;
  for (const f of files) {
    extents.push(next);
    next += Math.max(1, sectorsFor(f.content.length));
  }
  const totalSectors = next;

  const primaryEntries = files.map((f, i) => ({ id: Buffer.from(primaryNames[i], 'ascii'), extent: extents[i], size: f.content.length }));
  const jolietEntries = files.map((f, i) => ({ id: Buffer.from(f.name, 'utf16le').swap16(), extent: extents[i], size: f.content.length }));

  const image = Buffer.alloc(totalSectors * SECTOR);
  const at = (sector: number) => sector * SECTOR;

  volumeDescriptor(1, volumeId, false).copy(image, at(16));
  volumeDescriptor(2, volumeId, true).copy(image, at(17));
  // Terminator: type 255, "CD001", version 1.
  image[at(18)] = 255;
  image.write('CD001', at(18) + 1, 'ascii');
  image[at(18) + 6] = 1;

  pathTable(23, 'LE').copy(image, at(19));
  pathTable(23, 'BE').copy(image, at(20));
  pathTable(24, 'LE').copy(image, at(21));
  pathTable(24, 'BE').copy(image, at(22));
  directory(23, primaryEntries).copy(image, at(23));
  directory(24, jolietEntries).copy(image, at(24));
  files.forEach((f, i) => f.content.copy(image, at(extents[i])));
  return image;

  function volumeDescriptor(type: 1 | 2, label: string, joliet: boolean): Buffer {
    const d = Buffer.alloc(SECTOR);
    const text = (offset: number, length: number, value: string) => writePadded(d, offset, length, value, joliet);
    d[0] = type;
    d.write('CD001', 1, 'ascii');
    d[6] = 1;
    text(8, 32, '');
    text(40, 32, label);
    both32(d, 80, totalSectors);
    if (joliet) JOLIET_ESCAPE.copy(d, 88);
    both16(d, 120, 1); // volume set size
    both16(d, 124, 1); // volume sequence number
    both16(d, 128, SECTOR);
    both32(d, 132, 10); // path table size: the root entry only
    d.writeUInt32LE(joliet ? 21 : 19, 140);
    d.writeUInt32BE(joliet ? 22 : 20, 148);
    directoryRecord(Buffer.from([0]), joliet ? 24 : 23, SECTOR, true).copy(d, 156);
    text(190, 128, '');
    text(318, 128, '');
    text(446, 128, '');
    text(574, 128, 'KUBELAB');
    text(702, 37, '');
    text(739, 37, '');
    text(776, 37, '');
    decimalDate(date).copy(d, 813);
    decimalDate(date).copy(d, 830);
    decimalDate(undefined).copy(d, 847);
    decimalDate(undefined).copy(d, 864);
    d[881] = 1; // file structure version
    return d;
  }

  function directory(self: number, entries: { id: Buffer; extent: number; size: number }[]): Buffer {
    const sorted = [...entries].sort((a, b) => Buffer.compare(a.id, b.id));
    const records = [
      directoryRecord(Buffer.from([0]), self, SECTOR, true),
      directoryRecord(Buffer.from([1]), self, SECTOR, true),
      ...sorted.map((e) => directoryRecord(e.id, e.extent, e.size, false)),
    ];
    const body = Buffer.concat(records);
    if (body.length > SECTOR) throw new Error('too many files for a one-sector ISO directory');
    return body;
  }

  function directoryRecord(id: Buffer, extent: number, size: number, isDirectory: boolean): Buffer {
    const length = 33 + id.length + (id.length % 2 === 0 ? 1 : 0);
    const r = Buffer.alloc(length);
    r[0] = length;
    both32(r, 2, extent);
    both32(r, 10, size);
    recordingDate(date).copy(r, 18);
    r[25] = isDirectory ? 2 : 0;
    both16(r, 28, 1);
    r[32] = id.length;
    id.copy(r, 33);
    return r;
  }
}

/** The 8.3 upper-case name ISO 9660 level 1 allows, as genisoimage maps it: "user-data" → "USER_DAT.;1". */
export function primaryName(name: string): string {
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const dot = name.lastIndexOf('.');
  const base = clean(dot > 0 ? name.slice(0, dot) : name).slice(0, 8);
  const ext = dot > 0 ? clean(name.slice(dot + 1)).slice(0, 3) : '';
  return `${base}.${ext};1`;
}

function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR);
}

function pathTable(rootSector: number, endian: 'LE' | 'BE'): Buffer {
  const t = Buffer.alloc(SECTOR);
  t[0] = 1; // length of the root's identifier
  if (endian === 'LE') {
    t.writeUInt32LE(rootSector, 2);
    t.writeUInt16LE(1, 6);
  } else {
    t.writeUInt32BE(rootSector, 2);
    t.writeUInt16BE(1, 6);
  }
  return t;
}

function both16(b: Buffer, offset: number, value: number): void {
  b.writeUInt16LE(value, offset);
  b.writeUInt16BE(value, offset + 2);
}

function both32(b: Buffer, offset: number, value: number): void {
  b.writeUInt32LE(value, offset);
  b.writeUInt32BE(value, offset + 4);
}

/** Space-padded text field: ASCII in the primary descriptor, UCS-2 big-endian in the Joliet one. */
function writePadded(b: Buffer, offset: number, length: number, value: string, joliet: boolean): void {
  if (joliet) {
    for (let i = 0; i + 1 < length; i += 2) b.writeUInt16BE(i / 2 < value.length ? value.charCodeAt(i / 2) : 0x20, offset + i);
    if (length % 2 === 1) b[offset + length - 1] = 0x20;
  } else {
    b.write(value.padEnd(length, ' ').slice(0, length), offset, 'ascii');
  }
}

/** 17-byte volume descriptor date ("YYYYMMDDHHMMSScc" + GMT offset); all zeros means "not specified". */
function decimalDate(date: Date | undefined): Buffer {
  const b = Buffer.alloc(17);
  if (!date) {
    b.write('0000000000000000', 0, 'ascii');
    return b;
  }
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  b.write(
    `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}00`,
    0,
    'ascii',
  );
  return b;
}

/** 7-byte directory record date: years since 1900, month, day, hour, minute, second, GMT offset. */
function recordingDate(date: Date): Buffer {
  return Buffer.from([
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  ]);
}

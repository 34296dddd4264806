import * as fs from 'fs';

/**
 * What VirtualBox's own qcow2 reader makes of a qcow2 image, checked before kubelab lets
 * `VBoxManage clonemedium` turn it into the base VM's VDI. Read in VirtualBox's
 * src/VBox/Storage/QCOW.cpp (VirtualBox/virtualbox at 4908d8d1, $Id r106320, 2024-10-15;
 * that this revision is the one in a 7.2 release tag is unverified):
 * - versions 2 and 3 are read alike (qcowOpenImage: uVersion = 2 for both); 1 is a different format;
 * - refused: encryption, internal snapshots, and in version 3 any incompatible-feature bit
 *   (QCOW_V3_INCOMPAT_FEAT_SUPPORTED_MASK is 0): dirty, corrupt, external data file,
 *   a compression type other than zlib (bit 3), extended L2 entries (bit 4);
 * - compressed clusters are inflated with zlib, on synchronous I/O only
 *   (qcowReadCompressedCluster), which is what clonemedium uses: a VM booting the image
 *   directly could not read them, which is one reason the base disk is converted to VDI;
 * - an L2 entry is masked with QCOW_V2_TBL_OFFSET_MASK and bit 0 is never looked at, so a
 *   version-3 "reads as zeros" cluster (qcow2 spec, docs/interop/qcow2.txt) would read other
 *   bytes instead of zeros: such an image is refused here rather than converted wrongly.
 * Layout of the header and tables: qemu's docs/interop/qcow2.txt (big-endian).
 */
export interface Qcow2Facts {
  readonly version: number;
  readonly virtualSizeBytes: number;
  readonly clusterBits: number;
  /** Clusters stored zlib-compressed. */
  readonly compressedClusters: number;
  /** Clusters whose L2 entry says "reads as zeros" (version 3). */
  readonly zeroFlagClusters: number;
  /** Why VirtualBox cannot convert it correctly; empty when it can. */
  readonly problems: readonly string[];
}

const MAGIC = 0x514649fb;
const INCOMPATIBLE = ['dirty bit', 'corrupt bit', 'external data file', 'compression type other than zlib', 'extended L2 entries'];
const COMPRESSED = 1n << 62n;
const OFFSET_MASK = 0x00fffffffffffe00n;

export async function inspectQcow2(file: string): Promise<Qcow2Facts> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const read = async (offset: number | bigint, length: number) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, Number(offset));
      if (bytesRead < length) throw new Error(`${file} ends at ${Number(offset) + bytesRead} bytes, inside a qcow2 table that should be ${length} bytes long`);
      return buf;
    };
    const h = await read(0, 104);
    if (h.readUInt32BE(0) !== MAGIC) throw new Error(`${file} is not a qcow2 image (no QFI\\xfb magic at its start)`);
    const version = h.readUInt32BE(4);
    const problems: string[] = [];
    if (version !== 2 && version !== 3) {
      return { version, virtualSizeBytes: 0, clusterBits: 0, compressedClusters: 0, zeroFlagClusters: 0, problems: [`qcow2 version ${version} (VirtualBox reads versions 2 and 3)`] };
    }
    const clusterBits = h.readUInt32BE(20);
    const virtualSizeBytes = Number(h.readBigUInt64BE(24));
    if (h.readUInt32BE(32) !== 0) problems.push('encryption');
    const l1Size = h.readUInt32BE(36);
    const l1Offset = h.readBigUInt64BE(40);
    if (h.readUInt32BE(60) !== 0) problems.push(`${h.readUInt32BE(60)} internal snapshot(s)`);
    if (version === 3) {
      const incompatible = h.readBigUInt64BE(72);
      for (let bit = 0; bit < 64; bit++) {
        if (incompatible & (1n << BigInt(bit))) problems.push(`incompatible feature: ${INCOMPATIBLE[bit] ?? `bit ${bit}`}`);
      }
    }
    let compressedClusters = 0;
    let zeroFlagClusters = 0;
    const clusterSize = 2 ** clusterBits;
    const l1 = await read(l1Offset, l1Size * 8);
    for (let i = 0; i < l1Size; i++) {
      const l2Offset = l1.readBigUInt64BE(i * 8) & OFFSET_MASK;
      if (l2Offset === 0n) continue;
      const l2 = await read(l2Offset, clusterSize);
      for (let j = 0; j < clusterSize / 8; j++) {
        const entry = l2.readBigUInt64BE(j * 8);
        if (entry & COMPRESSED) compressedClusters++;
        else if (version === 3 && entry & 1n) zeroFlagClusters++;
      }
    }
    if (zeroFlagClusters > 0) problems.push(`${zeroFlagClusters} cluster(s) flagged "reads as zeros", which VirtualBox's reader ignores`);
    return { version, virtualSizeBytes, clusterBits, compressedClusters, zeroFlagClusters, problems };
  } finally {
    await fh.close();
  }
}


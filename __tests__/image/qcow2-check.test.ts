/**
 * The qcow2 check against images made by the real qemu-img / qemu-io (qemu-utils): what
 * VirtualBox's QCOW.cpp reads (see cli/image/qcow2-check.ts) passes, what it refuses or
 * would misread is named.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspectQcow2 } from '../../cli/image/qcow2-check';
import { TOOL_TIMEOUT_MS, requireTool } from '../support/tools';

let dir: string;
let raw: string;
const MB = 1024 * 1024;

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS });
/** A qcow2 of the test's raw disk, made by qemu-img convert with these options. */
const converted = (name: string, ...opts: string[]) => {
  const file = path.join(dir, name);
  qemuImg('convert', '-f', 'raw', '-O', 'qcow2', ...opts, raw, file);
  return file;
};

requireTool('qemu-img')('qcow2 images as qemu-img writes them', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-qcow2-'));
    raw = path.join(dir, 'disk.raw');
    // 4 MB: 2 MB of random bytes (stored as they are), then 2 MB of text (compresses well).
    fs.writeFileSync(raw, Buffer.concat([crypto.randomBytes(2 * MB), Buffer.alloc(2 * MB, 'kubelab ')]));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('version 3 (qemu-img default, compat 1.1), uncompressed: readable, nothing compressed', async () => {
    const facts = await inspectQcow2(converted('v3.qcow2'));
    expect(facts).toMatchObject({ version: 3, virtualSizeBytes: 4 * MB, clusterBits: 16, compressedClusters: 0, zeroFlagClusters: 0, problems: [] });
  });

  test('zlib-compressed clusters (qemu-img convert -c; Ubuntu\'s cloud images may carry them): readable, the compressed ones counted', async () => {
    const facts = await inspectQcow2(converted('v3c.qcow2', '-c'));
    expect(facts.problems).toEqual([]);
    // The text half compresses; qemu-img stores a cluster uncompressed when compressing does not shrink it.
    expect(facts.compressedClusters).toBeGreaterThanOrEqual(32);
    expect(facts.compressedClusters).toBeLessThanOrEqual(64);
  });

  test('version 2 (compat=0.10): readable', async () => {
    expect(await inspectQcow2(converted('v2.qcow2', '-c', '-o', 'compat=0.10'))).toMatchObject({ version: 2, problems: [] });
  });

  test('zstd compression sets incompatible feature bit 3, which VirtualBox refuses', async () => {
    const facts = await inspectQcow2(converted('zstd.qcow2', '-c', '-o', 'compression_type=zstd'));
    expect(facts.problems).toEqual(['incompatible feature: compression type other than zlib']);
  });

  test('an internal snapshot is named', async () => {
    const file = converted('snap.qcow2');
    qemuImg('snapshot', '-c', 'first', file);
    expect((await inspectQcow2(file)).problems).toEqual(['1 internal snapshot(s)']);
  });

  test('clusters flagged "reads as zeros" (qemu-io write -z) are named: VirtualBox would read other bytes there', async () => {
    const file = converted('zero.qcow2');
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -z 0 128k', file], { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS });
    const facts = await inspectQcow2(file);
    expect(facts.zeroFlagClusters).toBe(2);
    expect(facts.problems).toEqual(['2 cluster(s) flagged "reads as zeros", which VirtualBox\'s reader ignores']);
  });

  test('a file that is not qcow2 is told apart', async () => {
    await expect(inspectQcow2(raw)).rejects.toThrow(/disk\.raw is not a qcow2 image/);
  });
});

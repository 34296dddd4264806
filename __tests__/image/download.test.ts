import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectedSum, fetchVerifiedImage } from '../../cli/image/download';
import { userCacheDir } from '../../cli/image/cache-dir';
import { assertHostRunsImage, hostPlatform } from '../../cli/image/host-arch';
import { progressBar } from '../../cli/image/progress-bar';
import { UBUNTU_OVA_FILE, ubuntuImageSource } from '../../cli/image/ubuntu-image';
import { ImageServer, startImageServer } from './image-server';

let dir: string;
let server: ImageServer | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-image-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});
const source = () => ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: server!.baseUrl });

test('the real image source is Ubuntu noble amd64 .ova with SHA256SUMS beside it', () => {
  expect(ubuntuImageSource({}, 'amd64')).toEqual({
    url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.ova',
    sumsUrl: 'https://cloud-images.ubuntu.com/noble/current/SHA256SUMS',
    fileName: 'noble-server-cloudimg-amd64.ova',
    format: 'ova',
    arch: 'amd64',
  });
});

test('per-user cache: XDG_CACHE_HOME, ~/.cache, %LOCALAPPDATA% on Windows', () => {
  expect(userCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux')).toBe(path.join('/x/cache', 'kubelab'));
  expect(userCacheDir({}, 'darwin')).toBe(path.join(os.homedir(), '.cache', 'kubelab'));
  expect(userCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toBe(path.join('C:\\Users\\u\\AppData\\Local', 'kubelab'));
});

test('SHA256SUMS parsing: both "*name" and "  name" forms; a missing entry is an error', () => {
  const sum = 'a'.repeat(64);
  expect(expectedSum(`${sum} *${UBUNTU_OVA_FILE}\n`, UBUNTU_OVA_FILE, 'x')).toBe(sum);
  expect(expectedSum(`${sum}  ${UBUNTU_OVA_FILE}\n`, UBUNTU_OVA_FILE, 'x')).toBe(sum);
  expect(() => expectedSum(`${sum} *other.img\n`, UBUNTU_OVA_FILE, 'SUMS')).toThrow(/SUMS lists no checksum for noble-server-cloudimg-amd64.ova/);
});

test('downloads, verifies, then reuses the cached file without downloading again', async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
  const seen: number[] = [];
  const first = await fetchVerifiedImage(source(), { cacheDir: dir, onProgress: (r) => seen.push(r) });
  // The bytes received: the image and the SHA256SUMS the stand-in serves (two lines).
  const sums = Buffer.byteLength(`${'0'.repeat(64)} *other-file.img\n${server.sha256} *${UBUNTU_OVA_FILE}\n`);
  expect(first).toEqual({ file: path.join(dir, UBUNTU_OVA_FILE), sha256: server.sha256, downloaded: true, bytes: server.content.length + sums });
  expect(fs.readFileSync(first.file).equals(server.content)).toBe(true);
  expect(seen[seen.length - 1]).toBe(server.content.length);
  const second = await fetchVerifiedImage(source(), { cacheDir: dir });
  // Ubuntu's "current" image changes: its SHA256SUMS is read again, the image is not.
  expect(second).toMatchObject({ downloaded: false, bytes: sums });
  expect(server.ranges).toHaveLength(1);
});

test('an interrupted download leaves only a .part file, and the next run resumes it with Range', async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE, cutFirstAt: 100 * 1024 });
  await expect(fetchVerifiedImage(source(), { cacheDir: dir })).rejects.toThrow(/broke off .*run the command again to resume/);
  expect(fs.existsSync(path.join(dir, UBUNTU_OVA_FILE))).toBe(false);
  const partSize = fs.statSync(path.join(dir, `${UBUNTU_OVA_FILE}.part`)).size;
  expect(partSize).toBeGreaterThan(0);
  expect(partSize).toBeLessThan(server.content.length);
  const got = await fetchVerifiedImage(source(), { cacheDir: dir });
  expect(got.downloaded).toBe(true);
  expect(server.ranges).toEqual(['', `bytes=${partSize}-`]);
  expect(fs.readFileSync(got.file).equals(server.content)).toBe(true);
  expect(fs.existsSync(path.join(dir, `${UBUNTU_OVA_FILE}.part`))).toBe(false);
});

test('a server that ignores Range makes a clean restart, not a corrupt append', async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE, cutFirstAt: 50 * 1024, ignoreRange: true });
  await expect(fetchVerifiedImage(source(), { cacheDir: dir })).rejects.toThrow(/broke off/);
  const got = await fetchVerifiedImage(source(), { cacheDir: dir });
  expect(fs.readFileSync(got.file).equals(server.content)).toBe(true);
});

test('a checksum mismatch is an error naming both sums, and no file is kept as good', async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE, wrongSum: true });
  const err = await fetchVerifiedImage(source(), { cacheDir: dir }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toContain(server.sha256);
  expect((err as Error).message).toMatch(/SHA256SUMS says [0-9a-f]{64}, the downloaded file has [0-9a-f]{64}/);
  expect(fs.readdirSync(dir).filter((f) => !f.endsWith('.lock'))).toEqual([]);
});

test('a cached file that no longer matches SHA256SUMS is downloaded again', async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
  fs.writeFileSync(path.join(dir, UBUNTU_OVA_FILE), 'an older image');
  const lines: string[] = [];
  const got = await fetchVerifiedImage(source(), { cacheDir: dir, out: (l) => lines.push(l) });
  expect(got.downloaded).toBe(true);
  expect(lines.join('\n')).toMatch(/no longer matches/);
});

test('progress bar: one line per 10 % when not a terminal', () => {
  const lines: string[] = [];
  const bar = progressBar('dl', (t) => lines.push(t), false);
  for (let i = 0; i <= 100; i++) bar(i * 1048576, 100 * 1048576);
  expect(lines).toHaveLength(11);
  expect(lines[10]).toBe('dl 100% (100/100 MB)\n');
});

test('a Linux arm64 host is refused before anything is downloaded: VirtualBox has no Linux/Arm64 host', async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
  await expect(fetchVerifiedImage(source(), { cacheDir: dir, host: { platform: 'linux', arch: 'arm64' } })).rejects.toThrow(
    /^VirtualBox publishes no Linux host package for arm64 CPUs .*; nothing was downloaded$/,
  );
  expect(server.ranges).toEqual([]);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('the image follows the nodes\' architecture: arm64 is the qcow2 disk image, amd64 the OVA', () => {
  expect(ubuntuImageSource({}, 'arm64')).toEqual({
    url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-arm64.img',
    sumsUrl: 'https://cloud-images.ubuntu.com/noble/current/SHA256SUMS',
    fileName: 'noble-server-cloudimg-arm64.img',
    format: 'qcow2',
    arch: 'arm64',
  });
  expect(ubuntuImageSource({ KUBELAB_HOST_ARCH: 'arm64' })).toMatchObject({ fileName: 'noble-server-cloudimg-arm64.img' });
  expect(ubuntuImageSource({ KUBELAB_HOST_ARCH: 'amd64' })).toMatchObject({ fileName: 'noble-server-cloudimg-amd64.ova', format: 'ova' });
  expect(() => ubuntuImageSource({ KUBELAB_HOST_ARCH: 'aarch64' })).toThrow('KUBELAB_HOST_ARCH="aarch64" is not a host architecture kubelab knows; allowed: amd64, arm64 (or unset)');
});

test('the arm64 guest suite stands in for an Apple Silicon Mac on this Linux machine: KUBELAB_HOST_PLATFORM names the host VirtualBox runs on', () => {
  const mac = hostPlatform({ KUBELAB_HOST_ARCH: 'arm64', KUBELAB_HOST_PLATFORM: 'darwin' }, 'linux', 'x64');
  expect(mac).toEqual({ platform: 'darwin', arch: 'arm64' });
  expect(() => assertHostRunsImage(mac)).not.toThrow();
  expect(() => assertHostRunsImage(hostPlatform({ KUBELAB_HOST_ARCH: 'arm64' }, 'linux', 'x64'))).toThrow(/^VirtualBox publishes no Linux host package for arm64 CPUs/);
  expect(() => hostPlatform({ KUBELAB_HOST_PLATFORM: 'macos' }, 'linux', 'x64')).toThrow('KUBELAB_HOST_PLATFORM="macos" is not a host platform kubelab knows; allowed: darwin, linux, win32 (or unset)');
});

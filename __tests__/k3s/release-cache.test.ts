/**
 * The host's cache of a K3s release's air-gap images (cli/k3s/release-cache.ts), in this process,
 * against the loopback STAND-IN for the release downloads (./release-standin.ts, with the sources it follows).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DownloadRecord } from '../../cli/deploy/step-timeline';
import { cachedK3sImages, ensureK3sImages, k3sHostCacheDir, k3sImagesSource } from '../../cli/k3s/release-cache';
import { ReleaseStandIn, STANDIN_TARBALL, startReleaseStandIn } from './release-standin';

const VERSION = 'v1.36.4+k3s1';
let cache: string;
let release: ReleaseStandIn;
beforeAll(async () => (release = await startReleaseStandIn({ size: 64 * 1024 })));
afterAll(() => release.close());
beforeEach(() => (cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-release-cache-'))));
afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

const io = () => {
  const lines: string[] = [];
  const downloads: DownloadRecord[] = [];
  return { lines, downloads, out: (l: string) => lines.push(l), warn: (l: string) => lines.push(`WARN ${l}`), recordDownload: (d: DownloadRecord) => downloads.push(d) };
};

test("where a release's files come from: K3s's GitHub releases (install.sh's GITHUB_URL + /download/<tag>/, the tag's + as %2B), or the base URL given, with or without its slash", () => {
  expect(k3sImagesSource(VERSION, 'arm64', {})).toEqual({
    url: 'https://github.com/k3s-io/k3s/releases/download/v1.36.4%2Bk3s1/k3s-airgap-images-arm64.tar.zst',
    sumsUrl: 'https://github.com/k3s-io/k3s/releases/download/v1.36.4%2Bk3s1/sha256sum-arm64.txt',
    fileName: 'k3s-airgap-images-arm64.tar.zst',
    pinned: true,
  });
  for (const base of ['http://mirror.test/k3s', 'http://mirror.test/k3s/']) {
    expect(k3sImagesSource(VERSION, 'amd64', { KUBELAB_K3S_RELEASE_BASE_URL: base }).url).toBe('http://mirror.test/k3s/v1.36.4%2Bk3s1/k3s-airgap-images-amd64.tar.zst');
  }
});

test('the cache is per user and per version ($XDG_CACHE_HOME/kubelab/k3s/<version>); it counts only with both the tarball and the checksum file', () => {
  const env = { XDG_CACHE_HOME: cache };
  const dir = path.join(cache, 'kubelab', 'k3s', VERSION);
  expect(k3sHostCacheDir(VERSION, env)).toBe(dir);
  expect(cachedK3sImages(VERSION, 'amd64', env)).toBeUndefined();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'k3s-airgap-images-amd64.tar.zst'), 'tarball');
  expect(cachedK3sImages(VERSION, 'amd64', env)).toBeUndefined();
  fs.writeFileSync(path.join(dir, 'sha256sum-amd64.txt'), 'sums');
  expect(cachedK3sImages(VERSION, 'amd64', env)).toBe(path.join(dir, 'k3s-airgap-images-amd64.tar.zst'));
  fs.rmSync(path.join(dir, 'k3s-airgap-images-amd64.tar.zst'));
  expect(cachedK3sImages(VERSION, 'amd64', env)).toBeUndefined();
});

test('downloaded once, said and recorded as the host\'s download; the next call reuses it silently', async () => {
  const env = { XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: release.baseUrl };
  const dir = path.join(cache, 'kubelab', 'k3s', VERSION);
  const first = io();
  const file = await ensureK3sImages(VERSION, 'amd64', first, env);
  expect(file).toBe(path.join(dir, STANDIN_TARBALL));
  expect(createHash('sha256').update(fs.readFileSync(file!)).digest('hex')).toBe(release.tarballSha256);
  expect(first.lines[0]).toBe(`kubelab: downloading the K3s ${VERSION} air-gap images (${STANDIN_TARBALL}) once for this host into ${dir}`);
  // The bytes of the tarball and of the checksum file: what came over the network.
  const served = release.totalServed();
  expect(served).toBeGreaterThan(release.tarball.length);
  expect(first.lines).toContain(`kubelab: ${STANDIN_TARBALL}: ${served} bytes downloaded, sha256 checked; later nodes and labs reuse it`);
  expect(first.downloads).toEqual([{ artifact: STANDIN_TARBALL, bytes: served, by: 'host' }]);
  const again = io();
  expect(await ensureK3sImages(VERSION, 'amd64', again, env)).toBe(file);
  expect(again.lines.filter((l) => /downloading|downloaded/.test(l))).toEqual([]);
  expect(again.downloads).toEqual([]);
});

test('a host that cannot reach the release warns and leaves the images to the nodes; a damaged download is an error', async () => {
  const unreachable = io();
  expect(await ensureK3sImages(VERSION, 'amd64', unreachable, { XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: 'http://127.0.0.1:9/' })).toBeUndefined();
  expect(unreachable.lines.filter((l) => l.startsWith('WARN'))).toEqual([expect.stringMatching(/^WARN kubelab: warning: cannot cache the K3s images on this host \(.+\); each node pulls them itself$/)]);
  const damaged = await startReleaseStandIn({ size: 1024, wrongSum: true });
  try {
    await expect(ensureK3sImages(VERSION, 'amd64', io(), { XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: damaged.baseUrl })).rejects.toThrow(/checksum mismatch/);
  } finally {
    await damaged.close();
  }
});

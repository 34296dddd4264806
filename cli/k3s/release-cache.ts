import * as fs from 'fs';
import * as path from 'path';
import { userCacheDir } from '../image/cache-dir';
import { ChecksumError, VerifiedSource, fetchVerifiedFile } from '../image/download';
import { NodeArch } from '../image/host-arch';
import { KubelabError } from '../errors';
import { DownloadRecord } from '../deploy/step-timeline';
import { k3sReleaseFiles } from './installer-files';

/**
 * Where K3s publishes a release's files: install.sh downloads from
 * `${GITHUB_URL}/download/${VERSION_K3S}/` with GITHUB_URL=https://github.com/k3s-io/k3s/releases
 * (k3s-io/k3s install.sh, download_hash / download_binary; read in the search index's copy, not
 * confirmed at the tag v1.36.4+k3s1). KUBELAB_K3S_RELEASE_BASE_URL points elsewhere (a mirror, or
 * the tests' loopback stand-in); the version is appended to it.
 */
export const K3S_RELEASES_URL = 'https://github.com/k3s-io/k3s/releases/download/';

/**
 * The per-host cache of one K3s release: the air-gap images tarball and its checksum file,
 * shared by every lab of this user (%LOCALAPPDATA%\kubelab\k3s\<version> on Windows, else
 * $XDG_CACHE_HOME/kubelab/k3s/<version> or ~/.cache/kubelab/k3s/<version>).
 */
export function k3sHostCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'k3s', version);
}

/**
 * The air-gap images tarball of a release and the checksum file that lists it. K3s's release
 * workflow writes sha256sum-<arch>.txt from the k3s binary's sum and every
 * k3s-airgap-images-<arch>.tar* sum (k3s-io/k3s .github/workflows/release.yml, "Combine and
 * format sha256sum files"; scripts/package-airgap makes .tar, .tar.zst and .tar.gz), read at
 * commit 051a497f, not confirmed at the tag v1.36.4+k3s1. The .tar.zst is the smallest.
 */
export function k3sImagesSource(version: string, arch: NodeArch, env: NodeJS.ProcessEnv = process.env): VerifiedSource {
  const base = (env.KUBELAB_K3S_RELEASE_BASE_URL || K3S_RELEASES_URL).replace(/\/?$/, '/');
  const dir = `${base}${encodeURIComponent(version)}/`;
  const release = k3sReleaseFiles(arch);
  return { url: `${dir}${release.images}`, sumsUrl: `${dir}${release.sums}`, fileName: release.images, pinned: true };
}

/** The tarball when this host's cache already holds it (verified when it was downloaded), else undefined. */
export function cachedK3sImages(version: string, arch: NodeArch, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const source = k3sImagesSource(version, arch, env);
  const dir = k3sHostCacheDir(version, env);
  const file = path.join(dir, source.fileName);
  return fs.existsSync(file) && fs.existsSync(path.join(dir, path.basename(new URL(source.sumsUrl).pathname))) ? file : undefined;
}

/**
 * The air-gap images of the lab's K3s version, downloaded once per host (resumed after a break,
 * checked against the release's checksum file, through HTTPS_PROXY/HTTP_PROXY when set), or
 * undefined when this host cannot reach the release: then each node pulls K3s's images itself,
 * as without this cache, and the warning says so. Two processes at once download it once.
 */
export async function ensureK3sImages(
  version: string,
  arch: NodeArch,
  io: { out: (line: string) => void; warn: (line: string) => void; recordDownload: (d: DownloadRecord) => void },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const source = k3sImagesSource(version, arch, env);
  const cacheDir = k3sHostCacheDir(version, env);
  const cached = cachedK3sImages(version, arch, env);
  if (!cached) io.out(`kubelab: downloading the K3s ${version} air-gap images (${source.fileName}) once for this host into ${cacheDir}`);
  try {
    const got = await fetchVerifiedFile(source, { cacheDir, out: io.out });
    if (got.bytes > 0) io.recordDownload({ artifact: source.fileName, bytes: got.bytes, by: 'host' });
    if (got.downloaded) io.out(`kubelab: ${source.fileName}: ${got.bytes} bytes downloaded, sha256 checked; later nodes and labs reuse it`);
    return got.file;
  } catch (err) {
    // A damaged download is an error; a host that cannot reach the release leaves the images to the nodes.
    if (!(err instanceof KubelabError) || err instanceof ChecksumError) throw err;
    io.warn(`kubelab: warning: cannot cache the K3s images on this host (${err.message}); each node pulls them itself`);
    return undefined;
  }
}

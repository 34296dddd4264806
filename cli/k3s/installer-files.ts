import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { K3S_IMAGES_SUFFIXES, LabConfig } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { withFileLockSync } from '../file-lock';
import { NodeArch, hostPlatform, nodeArch } from '../image/host-arch';
import { STAGED } from './node-script';
import { k3sHostCacheDir } from './release-cache';

/** K3s files on the host that a step uploads instead of downloading on the node. */
export interface InstallerFiles {
  readonly installScript: string;
  readonly binary: string;
  readonly images?: string;
  /** Said to the user: where the files come from. */
  readonly origin: string;
}

/**
 * The host cache of one K3s version's installer for one architecture: install.sh, k3s and
 * SHA256SUMS, filled after the first online install of any lab on this host.
 */
export function k3sInstallerCacheDir(version: string, arch: NodeArch, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(k3sHostCacheDir(version, env), `installer-${arch}`);
}

/**
 * The name an images tarball gets on the node: K3s picks the decompression by the file's
 * suffix (config/lab-config.ts K3S_IMAGES_SUFFIXES, which the config checks), so it is kept.
 */
export function stagedImagesName(file: string): string {
  // No suffix in the list ends another, so at most one matches.
  const suffix = K3S_IMAGES_SUFFIXES.find((s) => file.toLowerCase().endsWith(s));
  if (!suffix) throw new KubelabError(`${file}: K3s imports only files ending in ${K3S_IMAGES_SUFFIXES.join(', ')}`);
  return `k3s-airgap-images${suffix}`;
}


export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** `sha256sum` format: "<hex>  <name>" per line. */
export function checksumsFileText(files: Record<string, string>): string {
  return Object.entries(files)
    .map(([name, file]) => `${sha256File(file)}  ${name}\n`)
    .join('');
}

/**
 * The files to upload, or undefined for an online install:
 * - source local: the configured binary and script (and images), which must exist;
 * - source online: the host cache of this version, when its checksums still match.
 */
/**
 * The K3s release files for the nodes' architecture: the binary k3s${SUFFIX} (SUFFIX empty
 * on amd64, -arm64 on arm64) checked against sha256sum-${ARCH}.txt, as K3s's install.sh
 * downloads them (k3s-io/k3s install.sh, download_hash / setup_verify_arch), and the
 * air-gap images k3s-airgap-images-<arch>.tar.zst. An online install needs none of this:
 * install.sh picks the binary for the node's own `uname -m`.
 */
export function k3sReleaseFiles(arch: NodeArch): { binary: string; sums: string; images: string } {
  return { binary: arch === 'arm64' ? 'k3s-arm64' : 'k3s', sums: `sha256sum-${arch}.txt`, images: `k3s-airgap-images-${arch}.tar.zst` };
}

/** ELF e_machine (offset 18, little-endian on both): EM_X86_64 62, EM_AARCH64 183 (the System V ABI's machine numbers). */
const ELF_MACHINES: Record<number, NodeArch> = { 62: 'amd64', 183: 'arm64' };

/** The architecture of an ELF program, or undefined for anything else (a script, say). */
export function elfArch(file: string): NodeArch | 'other' | undefined {
  const head = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.readSync(fd, head, 0, 20, 0) < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  } finally {
    fs.closeSync(fd);
  }
  return ELF_MACHINES[head.readUInt16LE(18)] ?? 'other';
}

export function resolveInstallerFiles(cfg: LabConfig, paths: LabPaths, arch: NodeArch = nodeArch(hostPlatform())): InstallerFiles | undefined {
  const { installer, version } = cfg.k3s;
  if (installer.source === 'local') {
    const release = k3sReleaseFiles(arch);
    const from = `https://github.com/k3s-io/k3s/releases/tag/${encodeURIComponent(version)}`;
    const resolve = (p: string, key: string) => {
      const abs = path.resolve(paths.projectDir, p);
      if (!fs.existsSync(abs)) {
        throw new KubelabError(
          `k3s.installer.${key} = ${JSON.stringify(p)} does not exist (looked at ${abs}). ` +
            `Download it from ${from} (binary "${release.binary}", checked against ${release.sums}; images "${release.images}") ` +
            `or ${'https://get.k3s.io'} (install.sh), or set k3s.installer.source: online.`,
        );
      }
      return abs;
    };
    const binary = resolve(installer.binary!, 'binary');
    const built = elfArch(binary);
    if (built !== undefined && built !== arch) {
      throw new KubelabError(
        `k3s.installer.binary = ${JSON.stringify(installer.binary)} is a program for ${built === 'other' ? 'another CPU' : built}, but the lab's nodes are ${arch} (the host's own architecture); ` +
          `download "${release.binary}" from ${from} and check it against ${release.sums}`,
      );
    }
    return {
      installScript: resolve(installer.script!, 'script'),
      binary,
      ...(installer.images ? { images: resolve(installer.images, 'images') } : {}),
      origin: 'local files from k3s.installer (air-gapped install)',
    };
  }
  const dir = k3sInstallerCacheDir(version, arch);
  const sums = path.join(dir, STAGED.checksums);
  const installScript = path.join(dir, STAGED.installScript);
  const binary = path.join(dir, STAGED.binary);
  if (!fs.existsSync(sums) || !fs.existsSync(installScript) || !fs.existsSync(binary)) return undefined;
  if (fs.readFileSync(sums, 'utf8') !== checksumsFileText({ [STAGED.installScript]: installScript, [STAGED.binary]: binary })) {
    throw new KubelabError(`The K3s cache ${dir} does not match its ${STAGED.checksums} (a damaged or edited file); delete the directory and the next online install fills it again.`);
  }
  return { installScript, binary, origin: `the host's cache ${dir} (sha256 checked)` };
}

/**
 * Stores the install script and binary a node just installed online, with their checksums, as
 * this version's cache on the host. Agents joining at once (or two labs) each store the same files:
 * under the cache's lock, the first fills it and the others find it already there (a damaged cache
 * is replaced whole).
 */
export function fillCache(version: string, arch: NodeArch, fetched: { installScript: string; binary: string }, env: NodeJS.ProcessEnv = process.env): string {
  const dir = k3sInstallerCacheDir(version, arch, env);
  const sums = (files: { installScript: string; binary: string }) => checksumsFileText({ [STAGED.installScript]: files.installScript, [STAGED.binary]: files.binary });
  return withFileLockSync(dir, () => {
    const cached = { installScript: path.join(dir, STAGED.installScript), binary: path.join(dir, STAGED.binary) };
    const checks = path.join(dir, STAGED.checksums);
    const want = sums(fetched);
    if ([checks, cached.installScript, cached.binary].every((f) => fs.existsSync(f)) && fs.readFileSync(checks, 'utf8') === want && sums(cached) === want) return dir;
    const tmp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp); // its parent holds the cache's lock, so it exists
    const staged = { installScript: path.join(tmp, STAGED.installScript), binary: path.join(tmp, STAGED.binary) };
    fs.copyFileSync(fetched.installScript, staged.installScript);
    fs.copyFileSync(fetched.binary, staged.binary);
    fs.chmodSync(staged.binary, 0o755);
    fs.writeFileSync(path.join(tmp, STAGED.checksums), want);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    return dir;
  });
}

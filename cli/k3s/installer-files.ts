import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LabConfig } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { withFileLockSync } from '../file-lock';
import { STAGED } from './node-script';

/** K3s files on the host that a step uploads instead of downloading on the node. */
export interface InstallerFiles {
  readonly installScript: string;
  readonly binary: string;
  readonly images?: string;
  /** Said to the user: where the files come from. */
  readonly origin: string;
}

/** The host cache of one K3s version: install.sh, k3s and SHA256SUMS, filled after the first online install. */
export function k3sCacheDir(paths: LabPaths, version: string): string {
  return path.join(paths.stateDir, 'cache', 'k3s', version);
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
export function resolveInstallerFiles(cfg: LabConfig, paths: LabPaths): InstallerFiles | undefined {
  const { installer, version } = cfg.k3s;
  if (installer.source === 'local') {
    const resolve = (p: string, key: string) => {
      const abs = path.resolve(paths.projectDir, p);
      if (!fs.existsSync(abs)) {
        throw new KubelabError(
          `k3s.installer.${key} = ${JSON.stringify(p)} does not exist (looked at ${abs}). ` +
            `Download it from https://github.com/k3s-io/k3s/releases/tag/${encodeURIComponent(version)} (binary "k3s", images "k3s-airgap-images-amd64.tar.zst") ` +
            `or ${'https://get.k3s.io'} (install.sh), or set k3s.installer.source: online.`,
        );
      }
      return abs;
    };
    return {
      installScript: resolve(installer.script!, 'script'),
      binary: resolve(installer.binary!, 'binary'),
      ...(installer.images ? { images: resolve(installer.images, 'images') } : {}),
      origin: 'local files from k3s.installer (air-gapped install)',
    };
  }
  const dir = k3sCacheDir(paths, version);
  const sums = path.join(dir, STAGED.checksums);
  const installScript = path.join(dir, STAGED.installScript);
  const binary = path.join(dir, STAGED.binary);
  if (!fs.existsSync(sums) || !fs.existsSync(installScript) || !fs.existsSync(binary)) return undefined;
  if (fs.readFileSync(sums, 'utf8') !== checksumsFileText({ [STAGED.installScript]: installScript, [STAGED.binary]: binary })) {
    throw new KubelabError(`The K3s cache ${dir} does not match its ${STAGED.checksums} (a damaged or edited file); delete the directory and the next online install fills it again.`);
  }
  return { installScript, binary, origin: `the host's cache ${path.relative(paths.projectDir, dir)} (sha256 checked)` };
}

/**
 * Stores the install script and binary a node just installed online, with their checksums, as
 * this version's cache. Agents joining at once each store the same files: under the cache's lock,
 * the first fills it and the others find it already there (a damaged cache is replaced whole).
 */
export function fillCache(paths: LabPaths, version: string, fetched: { installScript: string; binary: string }): string {
  const dir = k3sCacheDir(paths, version);
  const sums = (files: { installScript: string; binary: string }) => checksumsFileText({ [STAGED.installScript]: files.installScript, [STAGED.binary]: files.binary });
  return withFileLockSync(dir, () => {
    const cached = { installScript: path.join(dir, STAGED.installScript), binary: path.join(dir, STAGED.binary) };
    const checks = path.join(dir, STAGED.checksums);
    const want = sums(fetched);
    if ([checks, cached.installScript, cached.binary].every((f) => fs.existsSync(f)) && fs.readFileSync(checks, 'utf8') === want && sums(cached) === want) return dir;
    const tmp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
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

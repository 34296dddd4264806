import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { KubelabError } from '../errors';
import { userCacheDir } from '../image/cache-dir';
import { httpGet, httpGetText } from '../net/http-get';

/**
 * Where kubectl releases are published: <base><version>/bin/<os>/<arch>/kubectl[.exe] with a
 * `.sha256` beside it holding the hex digest (the layout of the curl commands in kubernetes.io's
 * "Install and Set Up kubectl" pages; read as quoted, the page itself not re-read here).
 * KUBELAB_KUBECTL_BASE_URL points at a mirror.
 */
export const KUBECTL_BASE_URL = 'https://dl.k8s.io/release/';

export interface KubectlSource {
  readonly version: string;
  readonly url: string;
  readonly sha256Url: string;
  /** The file in the per-user cache once verified. */
  readonly file: string;
}

/** kubectl of the cluster's own Kubernetes version: v1.36.4+k3s1 → v1.36.4 (inside the ±1 minor skew kubectl supports). */
export function kubectlVersionFor(k3sVersion: string): string {
  const m = /^(v\d+\.\d+\.\d+)/.exec(k3sVersion);
  if (!m) throw new KubelabError(`cannot tell the Kubernetes version of K3s ${k3sVersion}`);
  return m[1];
}

const GO_OS: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const GO_ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

export function kubectlSource(
  k3sVersion: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): KubectlSource {
  const os = GO_OS[platform];
  const cpu = GO_ARCH[arch];
  if (!os || !cpu) throw new KubelabError(`no kubectl is published for ${platform}/${arch}`);
  const version = kubectlVersionFor(k3sVersion);
  const exe = platform === 'win32' ? 'kubectl.exe' : 'kubectl';
  const base = (env.KUBELAB_KUBECTL_BASE_URL || KUBECTL_BASE_URL).replace(/\/?$/, '/');
  const url = `${base}${version}/bin/${os}/${cpu}/${exe}`;
  return { version, url, sha256Url: `${url}.sha256`, file: path.join(userCacheDir(env, platform), 'kubectl', version, `${os}-${cpu}`, exe) };
}

/**
 * The pinned kubectl, downloaded once (through HTTPS_PROXY/HTTP_PROXY when set) and kept only
 * when its sha256 matches the published one. Later calls use the cached file.
 */
export async function ensureKubectl(source: KubectlSource, out: (line: string) => void): Promise<string> {
  if (fs.existsSync(source.file)) return source.file;
  const expected = (await httpGetText(source.sha256Url)).trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new KubelabError(`${source.sha256Url} does not hold a sha256 digest`);
  out(`kubelab: downloading kubectl ${source.version} once (about 55 MB) from ${source.url}`);
  fs.mkdirSync(path.dirname(source.file), { recursive: true });
  const part = `${source.file}.${process.pid}.part`;
  try {
    const res = await httpGet(source.url);
    if (res.statusCode !== 200) {
      res.resume();
      throw new KubelabError(`GET ${source.url} answered HTTP ${res.statusCode}`);
    }
    const hash = createHash('sha256');
    const sink = fs.createWriteStream(part, { mode: 0o755 });
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => hash.update(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new KubelabError(`the download of ${source.url} broke off; run the command again`)));
      sink.on('error', reject);
      // 'close', not 'finish': kubelab runs the file next, and Linux refuses to execute a file
      // whose write descriptor is still open (ETXTBSY); the close lags 'finish' on a busy machine.
      sink.on('close', resolve);
      res.pipe(sink);
    });
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new KubelabError(`checksum mismatch for ${source.url}: ${source.sha256Url} says ${expected}, the download has ${actual}; nothing was kept`);
    }
    fs.chmodSync(part, 0o755);
    fs.renameSync(part, source.file);
  } finally {
    fs.rmSync(part, { force: true });
  }
  out(`kubelab: kubectl ${source.version} verified (sha256 ${expected.slice(0, 12)}…) and cached in ${path.dirname(source.file)}`);
  return source.file;
}

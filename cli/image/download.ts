import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { KubelabError } from '../errors';
import { httpGet, httpGetText } from '../net/http-get';
import { lockStaleMs, withFileLock } from '../file-lock';
import { HostPlatform, assertHostRunsImage } from './host-arch';
import { ImageSource } from './ubuntu-image';

export interface FetchedImage {
  readonly file: string;
  readonly sha256: string;
  /** False when the cache already held the verified file. */
  readonly downloaded: boolean;
  /** Bytes this call received over the network (the checksum file included); 0 when nothing was fetched. */
  readonly bytes: number;
}

/** A file published with a sha256sum-style checksum file beside it. */
export interface VerifiedSource {
  readonly url: string;
  readonly sumsUrl: string;
  readonly fileName: string;
  /**
   * The checksum file never changes (a release pinned by version): it is kept in the cache
   * beside the file, so a cached file needs no network at all. @default fetched on every call
   */
  readonly pinned?: boolean;
}

export interface FetchOptions {
  readonly cacheDir: string;
  readonly onProgress?: (received: number, total: number | undefined) => void;
  readonly out?: (line: string) => void;
  /** The host; one VirtualBox cannot run the lab on is refused before anything is fetched. @default hostPlatform() */
  readonly host?: HostPlatform;
}

/**
 * Downloads the image into the cache and verifies it against SHA256SUMS. The bytes go
 * to "<file>.part" first, which a later run resumes (HTTP Range) or restarts; only a
 * file whose checksum matched is renamed to its final name, so a half file is never
 * used as good. A sidecar "<file>.sha256" spares re-hashing a verified file each run.
 */
export async function fetchVerifiedImage(source: ImageSource, opts: FetchOptions): Promise<FetchedImage> {
  assertHostRunsImage(opts.host);
  return fetchVerifiedFile(source, opts);
}

/**
 * The download, resume and checksum check behind fetchVerifiedImage, for any file published
 * with a checksum file. Under the file's lock (another process downloading the same file is
 * waited for, then its verified file is used), with progress lines while waiting.
 */
export async function fetchVerifiedFile(source: VerifiedSource, opts: Omit<FetchOptions, 'host'>): Promise<FetchedImage> {
  const out = opts.out ?? (() => undefined);
  fs.mkdirSync(opts.cacheDir, { recursive: true });
  const file = path.join(opts.cacheDir, source.fileName);
  const sumsName = path.basename(new URL(source.sumsUrl).pathname);
  const keptSums = path.join(opts.cacheDir, sumsName);
  const waiting = { what: `another kubelab process downloading ${source.fileName}`, out };
  return withFileLock(`${file}.lock`, { staleMs: lockStaleMs(), waitMs: 2 * 60 * 60 * 1000, waiting }, async () => {
    let bytes = 0;
    let sums: string;
    if (source.pinned && fs.existsSync(keptSums)) sums = fs.readFileSync(keptSums, 'utf8');
    else {
      sums = await httpGetText(source.sumsUrl);
      bytes += Buffer.byteLength(sums);
    }
    const expected = expectedSum(sums, source.fileName, source.sumsUrl);
    if (fs.existsSync(file)) {
      if (sidecarSays(file) === expected || (await sha256Of(file)) === expected) {
        writeSidecar(file, expected);
        return { file, sha256: expected, downloaded: false, bytes };
      }
      out(`kubelab: the cached ${source.fileName} no longer matches ${source.sumsUrl} (a newer file was published, or the cached one is damaged); downloading it again`);
      fs.rmSync(file, { force: true });
    }
    const part = `${file}.part`;
    bytes += await download(source.url, part, opts.onProgress, out);
    const actual = await sha256Of(part);
    if (actual !== expected) {
      fs.rmSync(part, { force: true });
      fs.rmSync(keptSums, { force: true });
      throw new ChecksumError(
        `checksum mismatch for ${source.url}: ${sumsName} says ${expected}, the downloaded file has ${actual}. The partial download was deleted; run the command again (if it repeats, the mirror or a proxy is serving a damaged file).`,
      );
    }
    fs.renameSync(part, file);
    writeSidecar(file, expected);
    if (source.pinned) fs.writeFileSync(keptSums, sums);
    return { file, sha256: expected, downloaded: true, bytes };
  });
}

/** The file does not match its published checksum (or is not listed): never used, never worked around. */
export class ChecksumError extends KubelabError {}

/** The sum for fileName in a SHA256SUMS text ("<hex> *<name>" or "<hex>  <name>"). */
export function expectedSum(sums: string, fileName: string, where: string): string {
  for (const line of sums.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (m && m[2] === fileName) return m[1].toLowerCase();
  }
  throw new ChecksumError(`${where} lists no checksum for ${fileName}; the image may have been renamed upstream`);
}

function sidecarSays(file: string): string | undefined {
  try {
    const rec = JSON.parse(fs.readFileSync(`${file}.sha256`, 'utf8')) as { sha256: string; size: number; mtimeMs: number };
    const st = fs.statSync(file);
    return rec.size === st.size && rec.mtimeMs === st.mtimeMs ? rec.sha256 : undefined;
  } catch {
    return undefined;
  }
}

function writeSidecar(file: string, sha256: string): void {
  const st = fs.statSync(file);
  fs.writeFileSync(`${file}.sha256`, JSON.stringify({ sha256, size: st.size, mtimeMs: st.mtimeMs }));
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Appends to `part` from where it stops (Range), or starts over when the server ignores the range; resolves to the bytes received. */
async function download(url: string, part: string, onProgress: FetchOptions['onProgress'], out: (line: string) => void): Promise<number> {
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await httpGet(url, have > 0 ? { Range: `bytes=${have}-` } : {});
  let append = false;
  let total: number | undefined;
  if (res.statusCode === 206 && have > 0) {
    append = true;
    const m = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
    total = m ? Number(m[1]) : undefined;
    out(`kubelab: resuming the download at ${(have / 1048576).toFixed(0)} MB`);
  } else if (res.statusCode === 416 && have > 0) {
    // The part file is already as long as (or longer than) the image: start over rather than guess.
    res.resume();
    fs.rmSync(part, { force: true });
    return download(url, part, onProgress, out);
  } else if (res.statusCode === 200) {
    total = Number(res.headers['content-length']) || undefined;
  } else {
    res.resume();
    throw new KubelabError(`GET ${url} answered HTTP ${res.statusCode}; check the address and your internet connection`);
  }
  let received = append ? have : 0;
  const start = received;
  const sink = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
  return new Promise<number>((resolve, reject) => {
    let broke: string | undefined;
    // On a broken connection, keep what arrived: flush it to the .part file so the next run resumes after it.
    const stop = (why: string) => {
      if (broke !== undefined) return;
      broke = why;
      res.unpipe(sink);
      sink.end();
    };
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      onProgress?.(received, total);
    });
    res.on('aborted', () => stop('connection closed'));
    res.on('error', (err) => stop(err.message));
    sink.on('error', reject);
    sink.on('finish', () => {
      const short = total !== undefined && received < total ? `got ${received} of ${total} bytes` : undefined;
      if (broke === undefined && short === undefined) return resolve(received - start);
      reject(new KubelabError(`the download of ${url} broke off at ${(received / 1048576).toFixed(0)} MB (${broke ?? short}); run the command again to resume`));
    });
    res.pipe(sink);
  });
}

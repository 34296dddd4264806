import { createHash, randomBytes } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';

/**
 * STAND-IN for K3s's release downloads (github.com/k3s-io/k3s/releases/download/<tag>/), on
 * 127.0.0.1, counting every byte it serves. What it follows:
 * - the path: `${GITHUB_URL}/download/${VERSION_K3S}/…` (k3s-io/k3s install.sh download_hash),
 *   the tag's "+" written %2B as in K3s's air-gap docs' example URL
 *   ".../download/v1.29.1-rc2%2Bk3s1/k3s-airgap-images-amd64.tar.zst" (k3s-io/docs
 *   docs/installation/airgap.md at fdcde80f);
 * - the files: k3s-airgap-images-amd64.tar.zst, and sha256sum-amd64.txt holding one
 *   `sha256sum` line ("<hex>  <name>") for each k3s-airgap-images-amd64.tar* and the binary
 *   k3s (k3s-io/k3s scripts/package-airgap at 75cd395d and .github/workflows/release.yml at
 *   051a497f, "Combine and format sha256sum files"; not read at the tag v1.36.4+k3s1);
 * - Range requests answered 206 with Content-Range, as GitHub's release CDN does (RFC 9110
 *   §14; unverified for GitHub itself, which is not reachable here).
 * The "tarball" is random bytes: K3s never reads it in these tests.
 */
export interface ReleaseStandIn {
  /** Give this as KUBELAB_K3S_RELEASE_BASE_URL. */
  readonly baseUrl: string;
  readonly tarball: Buffer;
  readonly tarballSha256: string;
  /** Bytes of response bodies served, per request path. */
  readonly served: Map<string, number>;
  totalServed(): number;
  close(): Promise<void>;
}

export const STANDIN_TAG_PATH = '/v1.36.4%2Bk3s1/';
export const STANDIN_TARBALL = 'k3s-airgap-images-amd64.tar.zst';

export async function startReleaseStandIn(opts: { size?: number; cutFirstAt?: number; chunkDelayMs?: number; wrongSum?: boolean } = {}): Promise<ReleaseStandIn> {
  const tarball = randomBytes(opts.size ?? 512 * 1024);
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const tarballSha256 = sha(tarball);
  const sums =
    `${sha('tar')}  k3s-airgap-images-amd64.tar\n${sha('tar.gz')}  k3s-airgap-images-amd64.tar.gz\n` +
    `${opts.wrongSum ? sha('something else') : tarballSha256}  ${STANDIN_TARBALL}\n${sha('binary')}  k3s\n`;
  const served = new Map<string, number>();
  const count = (p: string, n: number) => served.set(p, (served.get(p) ?? 0) + n);
  let cut = opts.cutFirstAt;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === `${STANDIN_TAG_PATH}sha256sum-amd64.txt`) {
      count(url, Buffer.byteLength(sums));
      res.end(sums);
      return;
    }
    if (url !== `${STANDIN_TAG_PATH}${STANDIN_TARBALL}`) {
      res.writeHead(404).end('Not Found');
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    const start = m ? Number(m[1]) : 0;
    const body = tarball.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, { 'Content-Length': body.length, ...(start > 0 ? { 'Content-Range': `bytes ${start}-${tarball.length - 1}/${tarball.length}` } : {}) });
    const end = cut !== undefined ? Math.min(cut, body.length) : body.length;
    const breakOff = cut !== undefined;
    cut = undefined;
    // In chunks, so that two clients at once overlap in time.
    let at = 0;
    const next = () => {
      if (at >= end) {
        if (breakOff) res.socket?.destroy();
        else res.end();
        return;
      }
      const piece = body.subarray(at, Math.min(at + 64 * 1024, end));
      at += piece.length;
      count(url, piece.length);
      res.write(piece, () => setTimeout(next, opts.chunkDelayMs ?? 0));
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    tarball,
    tarballSha256,
    served,
    totalServed: () => [...served.values()].reduce((a, b) => a + b, 0),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

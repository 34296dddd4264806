import { createHash, randomBytes } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';

/**
 * A local HTTP server on 127.0.0.1 standing in for cloud-images.ubuntu.com: serves a
 * small "image" and a SHA256SUMS beside it, honours Range, and can break off the
 * first transfer part-way or publish a wrong sum.
 */
export interface ImageServer {
  readonly baseUrl: string;
  readonly content: Buffer;
  readonly sha256: string;
  /** Range headers of the image requests, in order ('' when none). */
  readonly ranges: string[];
  close(): Promise<void>;
}

export async function startImageServer(opts: { fileName: string; size?: number; content?: Buffer; cutFirstAt?: number; wrongSum?: boolean; ignoreRange?: boolean }): Promise<ImageServer> {
  const content = opts.content ?? randomBytes(opts.size ?? 256 * 1024);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const published = opts.wrongSum ? createHash('sha256').update('something else').digest('hex') : sha256;
  const ranges: string[] = [];
  let cut = opts.cutFirstAt;
  const server = http.createServer((req, res) => {
    if (req.url === '/SHA256SUMS') {
      res.end(`${'0'.repeat(64)} *other-file.img\n${published} *${opts.fileName}\n`);
      return;
    }
    if (req.url !== `/${opts.fileName}`) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const range = String(req.headers.range ?? '');
    ranges.push(range);
    const m = /^bytes=(\d+)-$/.exec(range);
    const start = m && !opts.ignoreRange ? Number(m[1]) : 0;
    if (start >= content.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${content.length}` });
      res.end();
      return;
    }
    const body = content.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'Content-Length': body.length,
      ...(start > 0 ? { 'Content-Range': `bytes ${start}-${content.length - 1}/${content.length}` } : {}),
    });
    if (cut !== undefined) {
      const n = cut;
      cut = undefined;
      res.write(body.subarray(0, n), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    content,
    sha256,
    ranges,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

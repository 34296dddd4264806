/**
 * kubelab runs a downloaded kubectl the moment ensureKubectl resolves, and Linux refuses to execute
 * a file still open for writing (execve(2): ETXTBSY; npm test met it under load as "spawn ETXTBSY").
 * A write stream's 'finish' only says the data was handed over; its descriptor is closed later, by
 * libuv's thread pool. The test keeps that pool busy, as a loaded machine does, so a close that
 * is not waited for is still pending when the download resolves.
 */
import { createHash, pbkdf2 } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensureKubectl } from '../../cli/kubectl/kubectl-binary';

/** The files this process holds open (Linux: /proc/self/fd). */
function openFilesUnder(dir: string): string[] {
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = fs.readlinkSync(path.join('/proc/self/fd', fd));
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return []; // the descriptor readdir itself used, closed by now
    }
  });
}

/** Keeps libuv's 4 pool threads busy with ~30 ms jobs until the returned stop() is called. */
function busyThreadPool(): () => Promise<void> {
  let running = true;
  const lanes = Array.from({ length: 4 }, async () => {
    while (running) await new Promise((resolve) => pbkdf2('x', 'salt', 20_000, 32, 'sha256', resolve));
  });
  return async () => {
    running = false;
    await Promise.all(lanes);
  };
}

(process.platform === 'linux' ? describe : describe.skip)('a downloaded kubectl is closed when ensureKubectl resolves', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  const body = Buffer.alloc(4 << 20, 7);
  const sum = createHash('sha256').update(body).digest('hex');

  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(req.url?.endsWith('.sha256') ? `${sum}\n` : body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-closed-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('no descriptor of the downloaded file is still open, with the thread pool busy', async () => {
    const stop = busyThreadPool();
    try {
      for (let round = 0; round < 3; round++) {
        const file = path.join(dir, `r${round}`, 'kubectl');
        expect(await ensureKubectl({ version: 'v1.36.4', url: `${base}kubectl`, sha256Url: `${base}kubectl.sha256`, file }, () => undefined)).toBe(file);
        expect(openFilesUnder(dir)).toEqual([]);
      }
    } finally {
      await stop();
    }
  });
});

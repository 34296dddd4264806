import * as net from 'net';
import { AddressInfo } from 'net';
import { httpGet } from '../../cli/net/http-get';

/** A server that accepts connections and never answers: what a host behind a dropping firewall or a hung proxy meets. */
test('a connection that stays silent fails after the idle time, with one line naming the URL, instead of hanging the step', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sha256sum-amd64.txt`;
  try {
    const started = Date.now();
    await expect(httpGet(url, {}, 5, 300)).rejects.toThrow(`cannot reach ${url}: no answer for 0 s`);
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';

/** The test guest image exactly as kubelab downloads the Ubuntu one: the OVA and SHA256SUMS over HTTP on loopback. */
export async function serveGuestImage(guestDir: string): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = path.join(guestDir, path.basename(req.url ?? ''));
    if (![`/${UBUNTU_OVA_FILE}`, '/SHA256SUMS'].includes(req.url ?? '') || !fs.existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

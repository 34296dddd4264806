import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { AddressInfo } from 'net';
import { fetchVerifiedImage } from '../../cli/image/download';
import { UBUNTU_OVA_FILE, ubuntuImageSource } from '../../cli/image/ubuntu-image';
import { LoopbackProxy, startLoopbackProxy } from '../support/loopback-proxy';
import { ImageServer, startImageServer } from './image-server';

/** A name that resolves nowhere (RFC 2606 .invalid): only the proxy knows where it is. */
const MIRROR = 'images.kubelab.invalid';
const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

let dir: string;
let server: ImageServer;
let proxy: LoopbackProxy;
const saved: Record<string, string | undefined> = {};
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-proxy-'));
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
  proxy = await startLoopbackProxy({ [MIRROR]: Number(new URL(server.baseUrl).port) });
  for (const v of PROXY_VARS) {
    saved[v] = process.env[v];
    delete process.env[v];
  }
});
afterEach(async () => {
  for (const v of PROXY_VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  await proxy.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('HTTP_PROXY: the image and its SHA256SUMS come through the proxy (the mirror name resolves nowhere else)', async () => {
  process.env.HTTP_PROXY = proxy.url;
  const got = await fetchVerifiedImage(ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: `http://${MIRROR}/` }), { cacheDir: dir });
  expect(got.downloaded).toBe(true);
  expect(fs.readFileSync(got.file).equals(server.content)).toBe(true);
  expect(proxy.seen).toEqual([`GET http://${MIRROR}/SHA256SUMS`, `GET http://${MIRROR}/${UBUNTU_OVA_FILE}`]);
});

test('lower-case http_proxy works as well (what most Linux tools set)', async () => {
  process.env.http_proxy = proxy.url;
  await fetchVerifiedImage(ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: `http://${MIRROR}/` }), { cacheDir: dir });
  expect(proxy.seen).toHaveLength(2);
});

test('NO_PROXY: a matching host is reached directly, the proxy sees nothing', async () => {
  process.env.HTTP_PROXY = proxy.url;
  process.env.NO_PROXY = 'localhost,127.0.0.1';
  const got = await fetchVerifiedImage(ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: server.baseUrl }), { cacheDir: dir });
  expect(got.downloaded).toBe(true);
  expect(proxy.seen).toEqual([]);
});

test('HTTPS_PROXY: an https download opens a CONNECT tunnel through the proxy', async () => {
  // A TLS server the tunnel reaches; its certificate is not trusted, so the download fails after the tunnel — which is the part under test.
  const tlsServer = tls.createServer({}, (s) => s.destroy());
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  const tlsProxy = await startLoopbackProxy({ [MIRROR]: (tlsServer.address() as AddressInfo).port });
  try {
    process.env.HTTPS_PROXY = tlsProxy.url;
    await expect(fetchVerifiedImage(ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: `https://${MIRROR}/` }), { cacheDir: dir })).rejects.toThrow(
      new RegExp(`cannot reach https://${MIRROR}/SHA256SUMS through the proxy ${tlsProxy.url.replace(/[.]/g, '\\.')} \\(from HTTPS_PROXY/HTTP_PROXY\\)`),
    );
    expect(tlsProxy.seen).toEqual([`CONNECT ${MIRROR}:443`]);
  } finally {
    await tlsProxy.close();
    await new Promise((r) => tlsServer.close(r));
  }
});

test('a proxy that is down is named in the one-line error', async () => {
  process.env.HTTP_PROXY = 'http://127.0.0.1:9';
  await expect(fetchVerifiedImage(ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: `http://${MIRROR}/` }), { cacheDir: dir })).rejects.toThrow(
    /cannot reach http:\/\/images\.kubelab\.invalid\/SHA256SUMS through the proxy http:\/\/127\.0\.0\.1:9 .*ECONNREFUSED 127\.0\.0\.1:9; check the proxy, or add the host to NO_PROXY/,
  );
});

/** Whether a node's SSH port answers within a time (cli/k3s/ssh-port.ts), against ports on 127.0.0.1. */
import * as net from 'net';
import { answers } from '../../cli/k3s/ssh-port';

const target = (port: number) => ({ nodeName: 'w1', host: '127.0.0.1', port, user: 'kubelab' });

/** A loopback port nothing listens on: connecting is refused at once. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
const listen = (port: number) =>
  new Promise<net.Server>((r) => {
    const s = net.createServer((c) => c.destroy());
    s.listen(port, '127.0.0.1', () => r(s));
  });

test('a port that answers: yes, at once', async () => {
  const server = await listen(0);
  try {
    const started = Date.now();
    expect(await answers(target((server.address() as net.AddressInfo).port), 5000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  } finally {
    server.close();
  }
});

test('a port that refuses: no, once the time is up (it kept trying until then), and at once with no time left', async () => {
  const port = await freePort();
  let started = Date.now();
  expect(await answers(target(port), 450)).toBe(false);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(Date.now() - started).toBeLessThan(1200);
  started = Date.now();
  expect(await answers(target(port), 0)).toBe(false);
  expect(Date.now() - started).toBeLessThan(150);
});

test('a booting VM that starts listening after a refusal: yes, within a second of it', async () => {
  const port = await freePort();
  let server: net.Server | undefined;
  const late = new Promise<void>((r) =>
    setTimeout(() => void listen(port).then((s) => ((server = s), r())), 200),
  );
  try {
    const started = Date.now();
    expect(await answers(target(port), 5000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1800);
  } finally {
    await late;
    server?.close();
  }
});

/** Whether a node's SSH port answers within a time (cli/k3s/ssh-port.ts), against ports on 127.0.0.1. */
import { spawn } from 'child_process';
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
  expect(await answers(target(port), 300)).toBe(false);
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  // It sleeps only until the deadline between tries, not a whole second.
  expect(Date.now() - started).toBeLessThan(800);
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

/**
 * A port whose connections are never taken: a process that listens with a backlog of 1 and then
 * never accepts (its event loop blocked). Once connections fill its queue, Linux drops further
 * SYNs (tcp_abort_on_overflow is 0 by default: Documentation/networking/ip-sysctl.rst), so a
 * connect gets no answer at all, as from a VM whose firewall drops packets.
 */
async function silentPort(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['-e', "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20000),50)})"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((r) => child.stdout.once('data', (d) => r(Number(String(d).trim()))));
  await new Promise((r) => setTimeout(r, 150));
  // Connections the kernel completes into the queue, until one gets no answer: the queue is full.
  const fillers: net.Socket[] = [];
  for (let answered = true; answered && fillers.length < 10; ) {
    const s = net.connect({ host: '127.0.0.1', port });
    fillers.push(s);
    answered = await new Promise<boolean>((r) => (s.once('connect', () => r(true)), s.setTimeout(100, () => r(false))));
  }
  return { port, stop: () => (fillers.forEach((s) => s.destroy()), child.kill()) };
}

test('a port that takes no connection: no, once the time is up, each try waiting no longer than the time left', async () => {
  const silent = await silentPort();
  try {
    const started = Date.now();
    expect(await answers(target(silent.port), 500)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    // Not the 3 s a probe may take at most: the time left bounds it.
    expect(Date.now() - started).toBeLessThan(1500);
  } finally {
    silent.stop();
  }
});

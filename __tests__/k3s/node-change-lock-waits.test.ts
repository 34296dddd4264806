/**
 * The lab-wide node-change lock (cli/k3s/node-change-lock.ts) in this process: what a waiting step
 * says, who it names, when it gives up. ./node-change-lock.test.ts races real processes for it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tryFileLock } from '../../cli/file-lock';
import { takeNodeChangeLock } from '../../cli/k3s/node-change-lock';
import { labPaths } from '../../config/paths';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-node-change-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The lock and the holder's name, in the lab state dir (the timeout error names the lock file to delete). */
const lockPath = () => path.join(labPaths(dir).stateDir, 'locks', 'k3s-node-change');
const holder = () => (fs.existsSync(`${lockPath()}.holder`) ? fs.readFileSync(`${lockPath()}.holder`, 'utf8') : undefined);

test('a second node waits, naming the holder once, and changes its K3s when the first is done', async () => {
  const paths = labPaths(dir);
  const w1: string[] = [];
  const w2: string[] = [];
  const release1 = await takeNodeChangeLock(paths, 'w1', (l) => w1.push(l));
  expect(w1).toEqual(['kubelab: w1: K3s already runs here; changing it while no other node changes (lab-wide lock)']);
  expect(holder()).toBe('w1\n');
  let got = false;
  const second = takeNodeChangeLock(paths, 'w2', (l) => w2.push(l), { pollMs: 20 }).then((r) => ((got = true), r));
  await sleep(200);
  expect(got).toBe(false);
  expect(w2).toEqual(['kubelab: w2: K3s already runs here; waiting until w1 is done (one node at a time)']);
  await release1();
  const release2 = await second;
  expect(w2.slice(1)).toEqual(['kubelab: w2: K3s already runs here; changing it while no other node changes (lab-wide lock)']);
  expect(holder()).toBe('w2\n');
  await release2();
  expect(holder()).toBe(undefined);
});

test('a holder that has not named itself yet: the wait says another node, then gives up at its deadline naming the lock to delete', async () => {
  const held = await tryFileLock(lockPath());
  expect(held).toBeDefined();
  try {
    const lines: string[] = [];
    const started = Date.now();
    const err = await takeNodeChangeLock(labPaths(dir), 'w2', (l) => lines.push(l), { waitMs: 300, everyMs: 100, pollMs: 20 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(err?.message).toBe(
      `gave up waiting for the other nodes' K3s changes to finish (one node at a time) after 0 s; last seen: another node is changing its K3s. If no deploy runs, delete ${lockPath()}.lock`,
    );
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^kubelab: waiting for the other nodes' K3s changes to finish \(one node at a time\): \d s of 0 s \(last seen: another node is changing its K3s\)$/);
  } finally {
    await held!();
  }
});

test('the default wait is two hours', async () => {
  const held = await tryFileLock(lockPath());
  fs.writeFileSync(`${lockPath()}.holder`, 'w1\n');
  const lines: string[] = [];
  const waiting = takeNodeChangeLock(labPaths(dir), 'w2', (l) => lines.push(l), { everyMs: 50, pollMs: 20 });
  await sleep(120);
  await held!();
  await (await waiting)();
  expect(lines.filter((l) => l.includes('waiting for'))[0]).toMatch(/: \d s of 7200 s \(last seen: w1 is changing its K3s\)$/);
});

test('a holder that names itself only after the wait began is named then; a release finds its name already gone and still releases', async () => {
  const held = await tryFileLock(lockPath());
  const lines: string[] = [];
  const waiting = takeNodeChangeLock(labPaths(dir), 'w2', (l) => lines.push(l), { pollMs: 20 });
  await sleep(100);
  expect(lines).toEqual([]);
  fs.writeFileSync(`${lockPath()}.holder`, 'w1\n');
  await sleep(100);
  expect(lines).toEqual(['kubelab: w2: K3s already runs here; waiting until w1 is done (one node at a time)']);
  await held!();
  const release = await waiting;
  fs.rmSync(`${lockPath()}.holder`);
  await release();
  // Released: the next node takes it at once.
  await (await takeNodeChangeLock(labPaths(dir), 'w3', () => undefined, { waitMs: 1000 }))();
});

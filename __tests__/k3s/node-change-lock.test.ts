import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labPaths } from '../../config/paths';
import { Racers } from '../support/racers';

// Terraform starts every agent's K3s step at once. A change of a running K3s (an upgrade) must
// still go one node at a time: three separate processes change "their node" at the same moment,
// and the times they held the lab-wide lock must not overlap.
let racers: Racers;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-change-lock-'));
  racers = new Racers(3);
  await racers.preload(['__tests__/support/race-jobs.ts']);
}, 60_000);
afterAll(() => {
  racers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('three agents upgrading at once change one at a time, and the waiting ones say whose change they wait for', async () => {
  const paths = labPaths(dir);
  const log = path.join(dir, 'held.json');
  const nodes = ['w1', 'w2', 'w3'];
  const results = await racers.race(nodes.map((n) => ({ call: { module: '__tests__/support/race-jobs.ts', fn: 'changeK3sUnderLock', args: [paths, n, 300, log] } })));
  expect(results.map((r) => r.err)).toEqual([[], [], []]);
  const held = (JSON.parse(fs.readFileSync(log, 'utf8')) as { nodeName: string; start: number; end: number }[]).sort((a, b) => a.start - b.start);
  expect(held.map((h) => h.nodeName).sort()).toEqual(nodes);
  for (let i = 1; i < held.length; i++) expect(held[i].start).toBeGreaterThanOrEqual(held[i - 1].end);
  const lines = results.map((r) => (r.value as string[]).join('\n'));
  // The two that waited named a node that held the lock; each says when it changes.
  const waited = lines.filter((l) => /K3s already runs here; waiting until (w1|w2|w3) is done \(one node at a time\)/.test(l));
  expect(waited).toHaveLength(2);
  for (const l of lines) expect(l).toMatch(/K3s already runs here; changing it while no other node changes \(lab-wide lock\)/);
  expect(fs.existsSync(`${path.join(paths.stateDir, 'locks', 'k3s-node-change')}.holder`)).toBe(false);
}, 60_000);

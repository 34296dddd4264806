import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tryFileLock, withFileLock } from '../../cli/file-lock';

// A lock held for minutes (the base VM import every first `vm create` waits for) must not be a
// silent wait: the waiter says what it waits for, and gives up at its deadline in one line.
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-lock-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a wait for a held lock prints progress, and runs once the holder lets go', async () => {
  const file = path.join(dir, 'base-kubelab');
  const release = (await tryFileLock(file))!;
  const lines: string[] = [];
  const waiting = { what: 'the base VM kubelab-base, which another step is importing', out: (l: string) => lines.push(l), everyMs: 40 };
  const ran = withFileLock(file, { waitMs: 10_000, waiting }, async () => 'imported');
  // Held until the waiter has said so twice (a fixed sleep missed the second line on a loaded machine).
  while (lines.length < 2) await new Promise((r) => setTimeout(r, 20));
  let done = false;
  void ran.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 100));
  expect(done).toBe(false);
  await release();
  await expect(ran).resolves.toBe('imported');
  expect(lines[0]).toBe(`kubelab: waiting for the base VM kubelab-base, which another step is importing: 0 s of 10 s (last seen: ${file}.lock held by another kubelab process)`);
});

test('a lock that stays held ends the wait at its deadline with one line naming it', async () => {
  const file = path.join(dir, 'base-kubelab');
  const release = (await tryFileLock(file))!;
  try {
    const waiting = { what: 'the base VM kubelab-base, which another step is importing', out: () => undefined };
    await expect(withFileLock(file, { waitMs: 150, waiting }, async () => 'imported')).rejects.toThrow(
      `gave up waiting for the base VM kubelab-base, which another step is importing after 0 s; last seen: ${file}.lock held by another kubelab process. If no other kubelab runs, delete that folder`,
    );
  } finally {
    await release();
  }
});

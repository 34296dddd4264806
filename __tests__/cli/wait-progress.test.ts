import { withWait } from '../../cli/wait-progress';

describe('withWait: every wait on a node says what, how long, and its deadline', () => {
  test('prints progress on a timer while the body is blocked, and stops when it ends', async () => {
    const lines: string[] = [];
    const result = await withWait('cp1 to answer', { timeoutMs: 10_000, out: (l) => lines.push(l), everyMs: 40 }, async (wait) => {
      wait.seen = 'port 22 closed';
      await new Promise((r) => setTimeout(r, 400)); // one long call: no polling of ours in between (long enough for two ticks on a loaded machine)
      return 'done';
    });
    expect(result).toBe('done');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^kubelab: waiting for cp1 to answer: \d+ s of 10 s \(last seen: port 22 closed\)$/);
    const printed = lines.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(lines.length).toBe(printed);
  });

  test('the timeout error names what, the limit and the last thing seen', async () => {
    await expect(
      withWait('k3s-agent on w1 to report ready', { timeoutMs: 50 }, async (wait) => {
        wait.seen = 'activating (start)';
        while (!wait.expired()) await new Promise((r) => setTimeout(r, 10));
        throw wait.timedOut('Check the server.');
      }),
    ).rejects.toThrow('gave up waiting for k3s-agent on w1 to report ready after 0 s; last seen: activating (start). Check the server.');
  });
});

test('within: a call that never answers ends the wait at its deadline, saying what was awaited and seen', async () => {
  const started = Date.now();
  await expect(
    withWait('the Kubernetes API to list the nodes', { timeoutMs: 100 }, async (wait) => {
      wait.seen = 'no answer to GET /api/v1/nodes yet';
      return wait.within(new Promise(() => undefined));
    }),
  ).rejects.toThrow('gave up waiting for the Kubernetes API to list the nodes after 0 s; last seen: no answer to GET /api/v1/nodes yet');
  expect(Date.now() - started).toBeLessThan(1000);
});

describe('withWait progress lines on the clock (jest fake timers: Date.now and setInterval move together)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  test('by default a line every 15 s, saying the seconds since the start and the limit; "last seen" only once something was seen', async () => {
    const lines: string[] = [];
    let seeSomething!: () => void;
    let finish!: () => void;
    const done = withWait('cp1 to answer', { timeoutMs: 120_000, out: (l) => lines.push(l) }, async (wait) => {
      await new Promise<void>((r) => (seeSomething = r));
      wait.seen = 'port 22 closed';
      await new Promise<void>((r) => (finish = r));
      return 'done';
    });
    await jest.advanceTimersByTimeAsync(14_999);
    expect(lines).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(lines).toEqual(['kubelab: waiting for cp1 to answer: 15 s of 120 s']);
    seeSomething();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(lines.slice(1)).toEqual([
      'kubelab: waiting for cp1 to answer: 30 s of 120 s (last seen: port 22 closed)',
      'kubelab: waiting for cp1 to answer: 45 s of 120 s (last seen: port 22 closed)',
    ]);
    finish();
    await expect(done).resolves.toBe('done');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(3);
  });

  test('within: an answer in time leaves no timer behind (the process can exit)', async () => {
    const answer = await withWait('the API', { timeoutMs: 60_000 }, (wait) => wait.within(Promise.resolve(42)));
    expect(answer).toBe(42);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('a wait that prints nowhere (no out) outlives its progress ticks', async () => {
    let finish!: () => void;
    const done = withWait('w1', { timeoutMs: 60_000, everyMs: 1_000 }, () => new Promise<string>((r) => (finish = () => r('ok'))));
    await jest.advanceTimersByTimeAsync(5_000);
    finish();
    await expect(done).resolves.toBe('ok');
  });

  test('remainingMs counts down to the deadline and stays 0 after it; expired() turns true exactly at it', async () => {
    const seen = await withWait('x', { timeoutMs: 10_000 }, async (wait) => {
      const at = (ms: number) => {
        jest.setSystemTime(1_000_000 + ms);
        return [wait.remainingMs(), wait.expired()];
      };
      return [at(0), at(9_999), at(10_000), at(15_000)];
    });
    expect(seen).toEqual([
      [10_000, false],
      [1, false],
      [0, true],
      [0, true],
    ]);
  });
});

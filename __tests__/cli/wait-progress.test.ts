import { withWait } from '../../cli/wait-progress';

describe('withWait: every wait on a node says what, how long, and its deadline', () => {
  test('prints progress on a timer while the body is blocked, and stops when it ends', async () => {
    const lines: string[] = [];
    const result = await withWait('cp1 to answer', { timeoutMs: 10_000, out: (l) => lines.push(l), everyMs: 40 }, async (wait) => {
      wait.seen = 'port 22 closed';
      await new Promise((r) => setTimeout(r, 150)); // one long call: no polling of ours in between
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

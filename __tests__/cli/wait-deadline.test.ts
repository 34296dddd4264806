import { withWait } from '../../cli/wait-progress';

/** A wait ends at its deadline, not at twice it, and says the limit it had. */
describe('withWait deadline', () => {
  test('expired() turns true at the deadline: a 300 ms wait ends after 300 ms and well before 600 ms', async () => {
    const started = Date.now();
    await expect(
      withWait('the deadline', { timeoutMs: 300 }, async (wait) => {
        expect(wait.expired()).toBe(false);
        expect(wait.remainingMs()).toBeGreaterThan(250);
        while (!wait.expired()) await new Promise((r) => setTimeout(r, 5));
        expect(wait.remainingMs()).toBe(0);
        throw wait.timedOut();
      }),
    ).rejects.toThrow('gave up waiting for the deadline after 0 s');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(550);
  });

  test('the deadline is the start plus the timeout', async () => {
    const before = Date.now();
    const deadline = await withWait('x', { timeoutMs: 90_000 }, async (wait) => wait.deadline);
    expect(deadline - before).toBeGreaterThanOrEqual(90_000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(90_000);
  });

  test('the error names the limit in seconds', async () => {
    // Exactly that: nothing seen, no hint, so nothing after the limit.
    await expect(withWait('y', { timeoutMs: 2_000 }, async (wait) => Promise.reject(wait.timedOut()))).rejects.toThrow(/^gave up waiting for y after 2 s$/);
    await expect(withWait('y', { timeoutMs: 2_000 }, async (wait) => Promise.reject(wait.timedOut('Look at w1.')))).rejects.toThrow(/^gave up waiting for y after 2 s\. Look at w1\.$/);
  });
});

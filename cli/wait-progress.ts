import { KubelabError } from './errors';

/** How often a wait says it is still waiting: a silent minute looks like a hang. */
export const PROGRESS_EVERY_MS = 15_000;

/** One bounded wait: what it waits for, its deadline, and the last thing it saw. */
export interface Wait {
  readonly what: string;
  readonly deadline: number;
  /** The last state seen, said in the progress lines and in the timeout error. */
  seen: string;
  /** Milliseconds left before the deadline (0 after it). */
  remainingMs(): number;
  expired(): boolean;
  /** The error for a wait that ran out of time: what, how long, and the last thing seen. */
  timedOut(hint?: string): KubelabError;
  /**
   * `p`, or timedOut(hint) once the deadline passes while `p` is still pending: for one call
   * that may never answer (an API request, a remote command), so the wait ends on time anyway.
   */
  within<T>(p: Promise<T>, hint?: string): Promise<T>;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly out?: (line: string) => void;
  /** @default PROGRESS_EVERY_MS */
  readonly everyMs?: number;
}

/**
 * Runs `body` as one bounded wait that prints, every 15 s until it ends,
 * "kubelab: waiting for <what>: <elapsed> s of <limit> s (last seen: …)". The body
 * checks `wait.expired()` / `wait.remainingMs()` and throws `wait.timedOut()`; the
 * lines come from a timer, so a body blocked in one long call still reports.
 */
export async function withWait<T>(what: string, opts: WaitOptions, body: (wait: Wait) => Promise<T>): Promise<T> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const limitS = Math.round(opts.timeoutMs / 1000);
  const wait: Wait = {
    what,
    deadline,
    seen: '',
    remainingMs: () => Math.max(0, deadline - Date.now()),
    expired: () => Date.now() >= deadline,
    timedOut: (hint) =>
      new KubelabError(`gave up waiting for ${what} after ${limitS} s${wait.seen ? `; last seen: ${wait.seen}` : ''}${hint ? `. ${hint}` : ''}`),
    within: (p, hint) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(wait.timedOut(hint)), wait.remainingMs())));
      return Promise.race([p, late]).finally(() => clearTimeout(timer));
    },
  };
  const timer = setInterval(() => {
    const elapsedS = Math.round((Date.now() - started) / 1000);
    opts.out?.(`kubelab: waiting for ${what}: ${elapsedS} s of ${limitS} s${wait.seen ? ` (last seen: ${wait.seen})` : ''}`);
  }, opts.everyMs ?? PROGRESS_EVERY_MS);
  try {
    return await body(wait);
  } finally {
    clearInterval(timer);
  }
}

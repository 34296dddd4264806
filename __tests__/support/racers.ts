import { ChildProcess, fork } from 'child_process';
import * as path from 'path';

/** What a racer's job did (see racer-child.js). */
export interface RaceResult {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  readonly value?: unknown;
}

export type RaceJob =
  | { readonly cli: { readonly argv: string[]; readonly projectDir: string; readonly env?: Record<string, string> } }
  | { readonly call: { readonly module: string; readonly fn: string; readonly args: unknown[] } };

/** A Buffer argument for a `call` job. */
export const bufferArg = (b: Buffer) => ({ $buffer: b.toString('base64') });

/**
 * A pool of long-lived Node processes (racer-child.js) that start jobs at one shared
 * moment: `race(jobs)` gives job i to process i, all starting together, and resolves
 * to their results in order. The processes stay up between trials, so a trial costs the
 * jobs' own time, not a Node start-up each.
 */
export class Racers {
  private readonly children: ChildProcess[];
  private readonly ready: Promise<unknown>;
  private next = 0;
  private readonly waiting = new Map<number, (r: RaceResult) => void>();

  constructor(count: number, env: NodeJS.ProcessEnv = process.env) {
    this.children = Array.from({ length: count }, () =>
      fork(path.join(__dirname, 'racer-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], env }),
    );
    this.ready = Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            child.once('error', reject);
            child.once('exit', (code) => reject(new Error(`a racer exited (${code}) before it was ready`)));
            child.on('message', (m: any) => {
              if (m.ready) return resolve();
              const done = this.waiting.get(m.id);
              this.waiting.delete(m.id);
              done?.(m);
            });
          }),
      ),
    );
  }

  private send(child: ChildProcess, job: object): Promise<RaceResult> {
    const id = ++this.next;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      child.send({ id, ...job });
    });
  }

  /** Loads these cli/ modules in every racer ahead of the first trial, so start-up does not stagger it. */
  async preload(files: string[]): Promise<void> {
    await this.ready;
    await Promise.all(this.children.map((c) => this.send(c, { preload: files })));
  }

  /** Runs jobs[i] on racer i, every job starting at the same moment (at most as many jobs as racers). */
  async race(jobs: RaceJob[]): Promise<RaceResult[]> {
    await this.ready;
    if (jobs.length > this.children.length) throw new Error(`${jobs.length} jobs for ${this.children.length} racers`);
    const startAt = Date.now() + 40;
    return Promise.all(jobs.map((job, i) => this.send(this.children[i], { startAt, ...job })));
  }

  stop(): void {
    for (const c of this.children) c.kill();
  }
}

import { ChildProcess, fork } from 'child_process';
import * as path from 'path';

export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  /** stdout and stderr lines together, for matching. */
  readonly text: string;
}

/**
 * The kubelab CLI in a child Node process (see cli-child.js): `run(argv, projectDir)`
 * is `kubelab <argv>` run in that project, with its printed lines captured.
 */
export class CliInChild {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private next = 0;
  private readonly waiting = new Map<number, (run: CliRun) => void>();

  /** @param env the child's environment (e.g. a VBoxManage stand-in on PATH); default this process's. */
  constructor(env?: NodeJS.ProcessEnv) {
    this.child = fork(path.join(__dirname, 'cli-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], env });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code) => reject(new Error(`the CLI child exited (${code}) before it was ready`)));
      this.child.on('message', (m: any) => {
        if (m.ready) return resolve();
        const done = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        done?.({ code: m.code, out: m.out, err: m.err, text: [...m.out, ...m.err].join('\n') });
      });
    });
  }

  async run(argv: string[], projectDir: string): Promise<CliRun> {
    await this.ready;
    const id = ++this.next;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, argv, projectDir });
    });
  }

  stop(): void {
    this.child.kill();
  }
}

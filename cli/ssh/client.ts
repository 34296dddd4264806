import * as fs from 'fs';
import * as path from 'path';
import { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { Wait, withWait } from '../wait-progress';
import { verifyHostKey } from './host-keys';
import { SshTarget, describeTarget } from './target';

/** Why the last attempt to log in failed; the wait and connect errors report it. */
export type ConnectFailure =
  | { kind: 'no-answer'; detail: string }
  | { kind: 'handshake'; detail: string }
  | { kind: 'auth'; detail: string };

export interface ConnectOptions {
  paths: LabPaths;
  target: SshTarget;
  /** The VM's identity (VirtualBox UUID) when the caller knows it; a new id allows a new host key. */
  vmId?: string;
  /** Limit for one handshake. */
  handshakeTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

/** The result of one remote command. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A remote command that exited non-zero: says where, what, the exit status, how long it ran and the end of its stderr. */
export class RemoteCommandError extends KubelabError {
  constructor(
    readonly target: SshTarget,
    readonly label: string,
    readonly result: ExecResult,
  ) {
    const tail = lastLines(result.stderr || result.stdout, 15);
    super(
      `on ${describeTarget(target)}: ${label} failed with exit status ${result.code} after ${(result.durationMs / 1000).toFixed(1)} s` +
        (tail ? `; last output:\n${tail.replace(/^/gm, '    ')}` : ' (no output)'),
    );
  }
}

/** The connection dropped while a command ran: the step may be retried. */
export class ConnectionLostError extends KubelabError {}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

export interface CommandOptions {
  /** Standard input: how secrets reach the node, never argv. */
  readonly stdin?: string | Buffer;
  /** What the command does, for messages. @default its first line */
  readonly label?: string;
  /** A deadline for the command. @default none (the caller bounds it) */
  readonly timeoutMs?: number;
  /** Progress lines of a command with a deadline. */
  readonly onProgress?: (line: string) => void;
}

/** One SSH login to a node, with the operations the steps need. */
export class NodeSession {
  private closed = false;

  constructor(
    readonly target: SshTarget,
    private readonly conn: Client,
  ) {
    conn.on('close', () => (this.closed = true));
  }

  /**
   * Runs a command; never throws on a non-zero exit (see `run`). `stdin` is how secrets reach the node, never argv.
   * With `timeoutMs` the command is one bounded wait (progress lines to `onProgress`): past the deadline its
   * channel is closed and a KubelabError names the command, the node and its last output line.
   */
  exec(command: string, options: CommandOptions = {}): Promise<ExecResult> {
    if (options.timeoutMs === undefined) return this.execUntil(command, options.stdin);
    const what = `${options.label ?? firstLine(command)} on ${describeTarget(this.target)}`;
    return withWait(what, { timeoutMs: options.timeoutMs, out: options.onProgress }, (wait) => this.execUntil(command, options.stdin, wait));
  }

  private execUntil(command: string, stdin?: string | Buffer, wait?: Wait): Promise<ExecResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ConnectionLostError(`the SSH connection to ${describeTarget(this.target)} is closed`));
      this.conn.exec(command, (err, stream) => {
        if (err) return reject(new ConnectionLostError(`cannot run a command on ${describeTarget(this.target)}: ${err.message}`));
        let stdout = '';
        let stderr = '';
        let code: number | undefined;
        let late: NodeJS.Timeout | undefined;
        if (wait) {
          wait.seen = 'no output yet';
          late = setTimeout(() => {
            reject(wait.timedOut(`It may still run on ${this.target.nodeName}`));
            stream.close();
          }, wait.remainingMs());
        }
        const saw = (text: string) => {
          const last = lastLines(text.trim(), 1);
          if (wait && last) wait.seen = last;
        };
        stream.on('data', (d: Buffer) => saw((stdout += d.toString('utf8'))));
        stream.stderr.on('data', (d: Buffer) => saw((stderr += d.toString('utf8'))));
        stream.on('exit', (c: number | null) => (code = c ?? undefined));
        stream.on('close', () => {
          clearTimeout(late);
          if (code === undefined) {
            reject(new ConnectionLostError(`the SSH connection to ${describeTarget(this.target)} dropped while running: ${firstLine(command)}`));
          } else resolve({ code, stdout, stderr, durationMs: Date.now() - started });
        });
        stream.end(stdin ?? undefined);
      });
    });
  }

  /** Runs a command and throws a RemoteCommandError unless it exits 0. */
  async run(command: string, options: CommandOptions = {}): Promise<ExecResult> {
    const result = await this.exec(command, options);
    if (result.code !== 0) throw new RemoteCommandError(this.target, options.label ?? firstLine(command), result);
    return result;
  }

  /** Writes a file in the login user's home (relative paths) or anywhere it may write, over SFTP. */
  async upload(remotePath: string, content: { data: Buffer | string } | { localFile: string }, mode = 0o600): Promise<void> {
    const sftp = await this.sftp();
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(new ConnectionLostError(`upload of ${remotePath} to ${describeTarget(this.target)} failed: ${err.message}`)) : resolve());
        if ('localFile' in content) sftp.fastPut(content.localFile, remotePath, { mode }, done);
        else sftp.writeFile(remotePath, content.data, { mode }, done);
      });
      await new Promise<void>((resolve, reject) => sftp.chmod(remotePath, mode, (err) => (err ? reject(err) : resolve())));
    } finally {
      sftp.end();
    }
  }

  /** Copies a remote file to the host over SFTP. */
  async download(remotePath: string, localFile: string): Promise<void> {
    const sftp = await this.sftp();
    try {
      await new Promise<void>((resolve, reject) =>
        sftp.fastGet(remotePath, localFile, (err) => (err ? reject(new ConnectionLostError(`download of ${remotePath} from ${describeTarget(this.target)} failed: ${err.message}`)) : resolve())),
      );
    } finally {
      sftp.end();
    }
  }

  /** An interactive channel: a shell (no command) or a command, with a PTY sized like the local terminal. */
  interactive(command: string | undefined, pty: { rows: number; cols: number; term: string } | false): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
      if (command === undefined) this.conn.shell(pty || false, cb);
      else this.conn.exec(command, pty ? { pty } : {}, cb);
    });
  }

  close(): void {
    this.conn.end();
  }

  private sftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) =>
      this.conn.sftp((err, sftp) => (err ? reject(new ConnectionLostError(`cannot open SFTP on ${describeTarget(this.target)}: ${err.message}`)) : resolve(sftp))),
    );
  }
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** One login attempt. Rejects with a KubelabError (a changed host key: do not retry) or an Error carrying `failure`. */
export function connectOnce(options: ConnectOptions): Promise<NodeSession> {
  const { target, paths } = options;
  const privateKey = readPrivateKey(paths, target);
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let hostKeyProblem: Error | undefined;
    let handshakeDone = false;
    let settled = false;
    conn.once('ready', () => {
      settled = true;
      resolve(new NodeSession(target, conn));
    });
    conn.on('handshake', () => (handshakeDone = true));
    // `on`, not `once`: ssh2 may emit a second error (a timeout, then "Connection lost before handshake"),
    // and an error event nobody listens to kills the process. After the first, or once logged in, the
    // session's 'close' and its commands' own failures say what happened.
    conn.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      conn.end();
      if (hostKeyProblem) return reject(hostKeyProblem);
      let failure: ConnectFailure;
      if (err.level === 'client-authentication') failure = { kind: 'auth', detail: `the node refused the lab key for user ${target.user}` };
      else if (err.level === 'client-socket' || err.level === 'client-timeout' || !handshakeDone) {
        failure = err.code && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].includes(err.code) || err.level === 'client-timeout' && !handshakeDone
          ? { kind: 'no-answer', detail: err.code ?? err.message }
          : { kind: 'handshake', detail: err.message };
      } else failure = { kind: 'handshake', detail: err.message };
      reject(Object.assign(new Error(failure.detail), { failure }));
    });
    conn.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: options.handshakeTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        try {
          const verdict = verifyHostKey(paths, target, key, options.vmId);
          if (verdict.kind === 'pinned') options.onProgress?.(`kubelab: ${target.nodeName}: pinned SSH host key (${verdict.reason})`);
          return true;
        } catch (err) {
          hostKeyProblem = err as Error;
          return false;
        }
      },
    });
  });
}

export interface RetryOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** First pause between attempts; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** Logs in, retrying with backoff while the node boots (with progress lines); throws a KubelabError saying what the last attempt saw. */
export async function connectToNode(options: ConnectOptions & RetryOptions): Promise<NodeSession> {
  return withWait(`an SSH login to ${describeTarget(options.target)}`, { timeoutMs: options.timeoutMs, out: options.onProgress }, async (wait) => {
    let delay = options.initialDelayMs ?? 500;
    let unreachableSince: number | undefined;
    for (;;) {
      let last: ConnectFailure;
      try {
        return await connectOnce({ ...options, handshakeTimeoutMs: Math.min(options.handshakeTimeoutMs ?? 20_000, Math.max(1000, wait.remainingMs())) });
      } catch (err) {
        if (err instanceof KubelabError) throw err;
        last = (err as { failure?: ConnectFailure }).failure ?? { kind: 'handshake', detail: (err as Error).message };
      }
      if (last.kind === 'no-answer' && last.detail === 'ENETUNREACH') {
        unreachableSince ??= Date.now();
        // No route at all does not heal by waiting for a boot: say so within seconds, not at the deadline.
        if (Date.now() - unreachableSince >= NETWORK_UNREACHABLE_GRACE_MS) throw new KubelabError(networkUnreachableAdvice(options.target));
      } else unreachableSince = undefined;
      wait.seen = describeFailure(last, options.target);
      if (wait.remainingMs() < delay) throw new KubelabError(`cannot log in to ${describeTarget(options.target)} within ${Math.round(options.timeoutMs / 1000)} s: ${wait.seen}`);
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5000);
    }
  });
}

/** How long "network is unreachable" may last before connecting gives up (a route being set up right now gets this long). */
export const NETWORK_UNREACHABLE_GRACE_MS = 3000;

function networkUnreachableAdvice(target: SshTarget): string {
  return (
    `cannot reach ${describeTarget(target)}: this host has no route to ${target.host} (network is unreachable). ` +
    `The VirtualBox host-only network is missing or down, or a VPN took over the route: run npx kubelab doctor, and npx kubelab network up to create it again`
  );
}

export function describeFailure(f: ConnectFailure, target: SshTarget): string {
  switch (f.kind) {
    case 'no-answer':
      return `port ${target.port} never answered (${f.detail}); is the VM running and is its host-only address ${target.host}?`;
    case 'handshake':
      return `port ${target.port} answered but the SSH handshake failed (${f.detail})`;
    case 'auth':
      return `port ${target.port} answered but login failed: ${f.detail} (cloud-init may not have added the lab key yet, or the VM was built with another key)`;
  }
}

function readPrivateKey(paths: LabPaths, target: SshTarget): Buffer {
  if (target.keyFile !== undefined) {
    const file = path.join(paths.stateDir, target.keyFile);
    if (!fs.existsSync(file)) {
      throw new KubelabError(`The SSH key ${file} for ${describeTarget(target)} does not exist; put the private key that logs in as ${target.user} there (mode 0600), or leave keyFile out to use the lab's key ${paths.sshPrivateKey}`);
    }
    return fs.readFileSync(file);
  }
  if (!fs.existsSync(paths.sshPrivateKey)) {
    throw new KubelabError(`The lab's SSH key ${paths.sshPrivateKey} does not exist; the VMs were built with it (npx kubelab vm create makes it). Re-create the VMs: npm run down -- vms, then npm run up`);
  }
  return fs.readFileSync(paths.sshPrivateKey);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

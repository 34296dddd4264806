import * as net from 'net';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { ConnectFailure, ConnectionLostError, NodeSession, connectOnce, describeFailure, lastLines, sleep } from './client';
import { withWait } from '../wait-progress';
import { NODE_SSH_PORT, nodeSshTarget } from './target';

export interface WaitForSshOptions {
  /** The node's host-only IP. */
  host: string;
  /** 22 on real nodes. */
  port?: number;
  nodeName: string;
  paths: LabPaths;
  timeoutMs: number;
  onProgress?: (line: string) => void;
  /** The VM's VirtualBox UUID, when known: a new VM behind a known address may present a new host key. */
  vmId?: string;
  /** First pause between attempts (doubles up to 5 s); tests make it short. */
  initialDelayMs?: number;
}

/** Exit status of `cloud-init status --wait`: 0 done, 1 failed, 2 done with recoverable errors (cloud-init ≥ 23.4). */
const CLOUD_INIT_DONE = 0;
const CLOUD_INIT_RECOVERABLE = 2;

/**
 * Waits until a freshly booted node is usable: TCP port 22 answers, the lab key logs
 * in as `kubelab`, and `cloud-init status --wait` reports that first-boot setup ended.
 * Retries with backoff while the VM boots; on timeout throws a KubelabError saying the
 * last thing it saw (port never answered / login failed / what cloud-init said).
 */
export async function waitForSshAndCloudInit(opts: WaitForSshOptions): Promise<void> {
  const base = nodeSshTarget(opts.nodeName, opts.host);
  const target = opts.port === undefined ? base : { ...base, port: opts.port };
  const progress = opts.onProgress ?? (() => undefined);
  const where = `${opts.nodeName} (${target.host}:${target.port})`;
  await withWait(`${opts.nodeName} to answer SSH and finish cloud-init`, { timeoutMs: opts.timeoutMs, out: progress }, async (wait) => {
    const deadline = wait.deadline;
    let delay = opts.initialDelayMs ?? 1000;
    wait.seen = `port ${target.port} never answered`;
    let announcedPort = false;
    const pause = async () => {
      await sleep(Math.min(delay, wait.remainingMs()));
      delay = Math.min(delay * 2, 5000);
    };

    while (!wait.expired()) {
      const tcp = await probeTcp(target.host, target.port, Math.min(3000, Math.max(100, wait.remainingMs())));
      if (tcp !== 'open') {
        wait.seen = `port ${target.port} never answered (last: ${tcp})`;
        await pause();
        continue;
      }
      if (!announcedPort) progress(`kubelab: ${opts.nodeName}: SSH port ${target.port} answers; logging in as ${target.user}`);
      announcedPort = true;

      let session: NodeSession;
      try {
        session = await connectOnce({ paths: opts.paths, target, vmId: opts.vmId, handshakeTimeoutMs: Math.min(20_000, Math.max(1000, wait.remainingMs())), onProgress: progress });
      } catch (err) {
        if (err instanceof KubelabError) throw err; // a changed host key: waiting does not fix it
        const failure = (err as { failure?: ConnectFailure }).failure;
        wait.seen = failure ? describeFailure(failure, target) : (err as Error).message;
        await pause();
        continue;
      }

      try {
        wait.seen = 'logged in; cloud-init is still running';
        const status = await withDeadline(session.exec('cloud-init status --wait'), deadline);
        if (status === 'timeout') {
          wait.seen = `logged in, but cloud-init was still running (cloud-init status --wait had not returned)`;
          break;
        }
        const said = lastLines(`${status.stdout}\n${status.stderr}`.trim(), 3).replace(/\n/g, ' | ') || '(nothing)';
        if (status.code === CLOUD_INIT_DONE) {
          progress(`kubelab: ${opts.nodeName}: cloud-init finished (${said})`);
          return;
        }
        if (status.code === 127) {
          throw new KubelabError(`${where}: logged in, but the node has no cloud-init command (exit 127: ${said}); kubelab nodes must boot the Ubuntu cloud image`);
        }
        const errors = await cloudInitErrors(session);
        const lookFurther = `look further with: npx kubelab ssh ${opts.nodeName} "sudo cloud-init status --long" (or "sudo less /var/log/cloud-init.log")`;
        if (status.code === CLOUD_INIT_RECOVERABLE) {
          progress(`kubelab: warning: ${opts.nodeName}: cloud-init finished with recoverable errors: ${errors || said}; ${lookFurther}`);
          return;
        }
        throw new KubelabError(`${where}: cloud-init failed (exit ${status.code}: ${said})${errors ? `: ${errors}` : ''}; ${lookFurther}`);
      } catch (err) {
        // cloud-init may reboot the VM (or sshd restart) under us: log in again.
        if (!(err instanceof ConnectionLostError)) throw err;
        wait.seen = `logged in, but the connection dropped while waiting for cloud-init (${err.message})`;
        await pause();
      } finally {
        session.close();
      }
    }
    throw new KubelabError(`${where} was not ready within ${Math.round(opts.timeoutMs / 1000)} s: ${wait.seen}`);
  });
}

/**
 * What `cloud-init status --long` lists under "errors:" and "recoverable_errors:", as one
 * line; '' when none. The shape (canonical/cloud-init cloudinit/cmd/status.py, stored version
 * at commit 0167c1b9): "errors:" then "\t- <error>" lines (or "errors: []"), and
 * "recoverable_errors:" then per level a "WARNING:" line and its "\t- <message>" lines.
 */
export function cloudInitErrorsOf(statusLong: string): string {
  const found: string[] = [];
  let section: 'errors' | 'recoverable' | undefined;
  let level = '';
  for (const line of statusLong.split('\n')) {
    if (/^errors:/.test(line)) [section, level] = ['errors', ''];
    else if (/^recoverable_errors:/.test(line)) [section, level] = ['recoverable', ''];
    else if (section === 'recoverable' && /^[A-Z_]+:\s*$/.test(line)) level = `${line.trim()} `;
    else if (/^\S/.test(line)) section = undefined;
    else if (section && /^\s+- /.test(line)) found.push(`${level}${line.trim().slice(2)}`);
  }
  return found.slice(0, 6).join(' | ');
}

async function cloudInitErrors(session: NodeSession): Promise<string> {
  return cloudInitErrorsOf((await session.exec('cloud-init status --long')).stdout);
}

type TcpProbe = 'open' | string;

/** Connects to host:port once; 'open' or what happened instead (ECONNREFUSED, timeout, …). */
export function probeTcp(host: string, port: number = NODE_SSH_PORT, timeoutMs = 3000): Promise<TcpProbe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (result: TcpProbe) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  });
}

async function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => undefined); // after a timeout the caller closes the session, which rejects p: nobody waits for it then
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

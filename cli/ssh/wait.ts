import * as net from 'net';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { ConnectFailure, ConnectionLostError, NodeSession, connectOnce, describeFailure, lastLines, sleep } from './client';
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
  const deadline = Date.now() + opts.timeoutMs;
  const base = nodeSshTarget(opts.nodeName, opts.host);
  const target = opts.port === undefined ? base : { ...base, port: opts.port };
  const progress = opts.onProgress ?? (() => undefined);
  const where = `${opts.nodeName} (${target.host}:${target.port})`;
  let delay = opts.initialDelayMs ?? 1000;
  let seen: string = `port ${target.port} never answered`;
  let announcedPort = false;
  const pause = async () => {
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 5000);
  };

  while (Date.now() < deadline) {
    const tcp = await probeTcp(target.host, target.port, Math.min(3000, Math.max(100, deadline - Date.now())));
    if (tcp !== 'open') {
      seen = `port ${target.port} never answered (last: ${tcp})`;
      await pause();
      continue;
    }
    if (!announcedPort) progress(`kubelab: ${opts.nodeName}: SSH port ${target.port} answers; logging in as ${target.user}`);
    announcedPort = true;

    let session: NodeSession;
    try {
      session = await connectOnce({ paths: opts.paths, target, vmId: opts.vmId, handshakeTimeoutMs: Math.min(20_000, Math.max(1000, deadline - Date.now())), onProgress: progress });
    } catch (err) {
      if (err instanceof KubelabError) throw err; // a changed host key: waiting does not fix it
      const failure = (err as { failure?: ConnectFailure }).failure;
      seen = failure ? describeFailure(failure, target) : (err as Error).message;
      await pause();
      continue;
    }

    try {
      const status = await withDeadline(session.exec('cloud-init status --wait'), deadline);
      if (status === 'timeout') {
        seen = `logged in, but cloud-init was still running (cloud-init status --wait had not returned)`;
        break;
      }
      const said = lastLines(`${status.stdout}\n${status.stderr}`.trim(), 3).replace(/\n/g, ' | ') || '(nothing)';
      if (status.code === CLOUD_INIT_DONE) {
        progress(`kubelab: ${opts.nodeName}: cloud-init finished (${said})`);
        return;
      }
      if (status.code === CLOUD_INIT_RECOVERABLE) {
        progress(`kubelab: warning: ${opts.nodeName}: cloud-init finished with recoverable errors (${said}); see /var/log/cloud-init.log on the node`);
        return;
      }
      if (status.code === 127) {
        throw new KubelabError(`${where}: logged in, but the node has no cloud-init command (exit 127: ${said}); kubelab nodes must boot the Ubuntu cloud image`);
      }
      throw new KubelabError(
        `${where}: cloud-init failed (exit ${status.code}: ${said}). Look at /var/log/cloud-init-output.log on the node: kubelab ssh ${opts.nodeName} sudo tail -n 50 /var/log/cloud-init-output.log`,
      );
    } catch (err) {
      // cloud-init may reboot the VM (or sshd restart) under us: log in again.
      if (!(err instanceof ConnectionLostError)) throw err;
      seen = `logged in, but the connection dropped while waiting for cloud-init (${err.message})`;
      await pause();
    } finally {
      session.close();
    }
  }
  throw new KubelabError(`${where} was not ready within ${Math.round(opts.timeoutMs / 1000)} s: ${seen}`);
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

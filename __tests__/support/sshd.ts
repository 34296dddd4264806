import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { readableKeyPair } from '../../cli/ssh/keys';

/** A real OpenSSH server (/usr/sbin/sshd) on 127.0.0.1, started by a test, logging in the current user. */
export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The current user: an unprivileged sshd can only log in the user it runs as. */
  readonly user: string;
  /** The server's host public key, as an OpenSSH line. */
  readonly hostPublicKey: string;
  /** The temp dir holding the config, keys and logs (removed by stop()). */
  readonly dir: string;
  /** Stops the server; a second call does nothing. */
  stop(): Promise<void>;
  /** Stops and starts the server on the same port (its host key stays unless rotateHostKey). */
  restart(options?: { rotateHostKey?: boolean }): Promise<void>;
}

export const SSHD_PATH = '/usr/sbin/sshd';

export interface StartSshdOptions {
  /** The OpenSSH public key line allowed to log in. */
  authorizedKey: string;
  /** Environment for every session (sshd SetEnv), e.g. PATH with stand-in tools first. */
  sessionEnv?: Record<string, string>;
}

/** Starts sshd on a free port with a fresh host key and only `authorizedKey` allowed; resolves when the port answers. */
export async function startSshd(options: StartSshdOptions): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-sshd-'));
  const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key');
  const writeHostKey = () => {
    const pair = readableKeyPair();
    fs.writeFileSync(hostKeyFile, pair.private, { mode: 0o600 });
    return pair.public.trim();
  };
  let hostPublicKey = writeHostKey();
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${options.authorizedKey.trim()}\n`, { mode: 0o600 });
  const port = await freePort();
  // One SetEnv line: sshd uses only the first SetEnv directive it reads.
  const env = Object.entries(options.sessionEnv ?? {});
  const setEnv = env.length ? [`SetEnv ${env.map(([k, v]) => `${k}="${v}"`).join(' ')}`] : [];
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKeyFile}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'LogLevel ERROR',
      'Subsystem sftp internal-sftp',
      ...setEnv,
      '',
    ].join('\n'),
  );
  // Running as root, sshd wants its privilege-separation directory.
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(SSHD_PATH, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`sshd exited with ${code} before listening: ${stderr.trim()}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port), exited]);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await gone;
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    user: os.userInfo().username,
    get hostPublicKey() {
      return hostPublicKey;
    },
    dir,
    async stop() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async restart(opts) {
      await stop();
      if (opts?.rotateHostKey) hostPublicKey = writeHostKey();
      await start();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}`);
}

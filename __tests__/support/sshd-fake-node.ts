import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LabPaths, labPaths } from '../../config/paths';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { TestSshd, startSshd } from './sshd';

/**
 * A fake node for tests: a real OpenSSH server on 127.0.0.1 whose sessions see a
 * bin dir of STAND-IN tools (cloud-init, sudo, k3s install script, …) first on PATH,
 * and KUBELAB_NODE_ROOT pointing at a temp dir that plays the node's file system.
 * Nothing here is Ubuntu, cloud-init or K3s: the stand-ins only record and answer.
 */
export interface FakeNode {
  readonly sshd: TestSshd;
  /** Stand-in executables, first on the session PATH. */
  readonly binDir: string;
  /** Plays the node's "/" for the node scripts (KUBELAB_NODE_ROOT). */
  readonly root: string;
  /** The session's TMPDIR, where kubelab stages uploads. */
  readonly tmpDir: string;
  addStandIn(name: string, script: string): void;
  stop(): Promise<void>;
}

/** A lab project dir in a temp dir with the lab key made; every fake node lets that key in. */
export function makeTestLab(): { projectDir: string; paths: LabPaths; cleanup(): void } {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-lab-'));
  const paths = labPaths(projectDir);
  ensureLabKeyPair(paths);
  return { projectDir, paths, cleanup: () => fs.rmSync(projectDir, { recursive: true, force: true }) };
}

/**
 * Bash that drops the SSH connection it runs under (kills the nearest sshd ancestor),
 * for tests of the client's retry after a dropped connection.
 */
export const DROP_MY_SSH_CONNECTION = `pid=$$
while [ "$pid" -gt 1 ]; do
  if [ "$(cat /proc/"$pid"/comm)" = sshd ]; then kill -9 "$pid"; exit 1; fi
  pid=$(awk '{print $4}' /proc/"$pid"/stat)
done`;

/** Stand-in sudo: the test user runs the command itself (an unprivileged sshd cannot switch users). */
export const STAND_IN_SUDO = `#!/bin/bash
# STAND-IN for sudo in kubelab tests: runs the command as the current user, keeping the environment.
while [ "$#" -gt 0 ] && [ "\${1#-}" != "$1" ]; do shift; done
exec "$@"
`;

/**
 * A fake node's folders in a fresh temp dir: `bin` (its stand-ins, first on PATH; sudo already there),
 * `root` (its "/", KUBELAB_NODE_ROOT) and `tmp` (its TMPDIR).
 */
export function fakeNodeDirs(prefix: string): { dir: string; binDir: string; root: string; tmpDir: string; addStandIn(name: string, script: string): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const binDir = path.join(dir, 'bin');
  const root = path.join(dir, 'root');
  const tmpDir = path.join(dir, 'tmp');
  fs.mkdirSync(binDir);
  fs.mkdirSync(tmpDir);
  fs.mkdirSync(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
  const addStandIn = (name: string, script: string) => fs.writeFileSync(path.join(binDir, name), script, { mode: 0o755 });
  addStandIn('sudo', STAND_IN_SUDO);
  return { dir, binDir, root, tmpDir, addStandIn };
}

export async function startFakeNode(paths: LabPaths, standIns: Record<string, string> = {}): Promise<FakeNode> {
  const { dir, binDir, root, tmpDir, addStandIn } = fakeNodeDirs('kubelab-node-');
  for (const [name, script] of Object.entries(standIns)) addStandIn(name, script);
  const sshd = await startSshd({
    authorizedKey: fs.readFileSync(paths.sshPublicKey, 'utf8'),
    sessionEnv: {
      PATH: `${binDir}:${path.join(root, 'usr', 'local', 'bin')}:/usr/local/bin:/usr/bin:/bin`,
      KUBELAB_NODE_ROOT: root,
      TMPDIR: tmpDir,
    },
  });
  return {
    sshd,
    binDir,
    root,
    tmpDir,
    addStandIn,
    async stop() {
      await sshd.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test hook value that sends each node IP to its fake node. */
export function sshEndpointsEnv(nodes: Record<string, FakeNode>): Record<string, string> {
  const map = Object.fromEntries(Object.entries(nodes).map(([ip, n]) => [ip, { host: n.sshd.host, port: n.sshd.port, user: n.sshd.user }]));
  return { [TEST_SSH_ENDPOINTS_ENV]: JSON.stringify(map) };
}

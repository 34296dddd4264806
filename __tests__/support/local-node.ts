import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CommandOptions, ExecResult, NodeSession, RemoteCommandError } from '../../cli/ssh/client';
import { nodeSshTarget } from '../../cli/ssh/target';
import { fakeNodeDirs } from './sshd-fake-node';

/**
 * A node session without SSH, for unit tests of what kubelab asks a node (in this process, so
 * mutation testing sees it): each command runs in local bash with the same STAND-IN bin dir
 * first on PATH as a fake node over sshd (./sshd-fake-node.ts). The SSH transport itself is
 * tested there, against a real OpenSSH server.
 */
export interface LocalNode {
  readonly binDir: string;
  /** Plays the node's "/" for the node scripts (KUBELAB_NODE_ROOT), as on a fake node over sshd. */
  readonly root: string;
  readonly session: NodeSession;
  addStandIn(name: string, script: string): void;
  cleanup(): void;
}

export function localNode(nodeName: string, ip: string): LocalNode {
  const { dir, binDir, root, tmpDir, addStandIn } = fakeNodeDirs('kubelab-local-node-');
  const target = nodeSshTarget(nodeName, ip);
  const exec = async (command: string, options: CommandOptions = {}): Promise<ExecResult> => {
    const started = Date.now();
    const r = spawnSync('bash', ['-c', command], { input: options.stdin, env: { PATH: `${binDir}:${path.join(root, 'usr', 'local', 'bin')}:/usr/bin:/bin`, HOME: dir, KUBELAB_NODE_ROOT: root, TMPDIR: tmpDir }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started };
  };
  const session = {
    target,
    exec,
    async run(command: string, options: CommandOptions = {}) {
      const result = await exec(command, options);
      if (result.code !== 0) throw new RemoteCommandError(target, options.label ?? command, result);
      return result;
    },
    async upload(remotePath: string, content: { data: Buffer | string } | { localFile: string }, mode = 0o600) {
      if ('localFile' in content) fs.copyFileSync(content.localFile, remotePath);
      else fs.writeFileSync(remotePath, content.data);
      fs.chmodSync(remotePath, mode);
    },
    async download(remotePath: string, localFile: string) {
      fs.copyFileSync(remotePath, localFile);
    },
    close() {},
  } as unknown as NodeSession;
  return { binDir, root, session, addStandIn, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

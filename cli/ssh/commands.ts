import { Command, CommanderError } from 'commander';
import * as path from 'path';
import { findNode } from '../../config/lab-config';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { connectToNode } from './client';
import { forgetNodeHostKey, openSshKnownHostsPath } from './host-keys';
import { LAB_SSH_USER } from './keys';
import { labNodeSshTarget } from './target';

/** `kubelab ssh`, `ssh-config`, `ssh-forget`: reach the nodes with the lab key, no OpenSSH needed on the host. */
export function registerSshCommands(program: Command, ctx: CliContext): void {
  program
    .command('ssh')
    .description('Log in to a node as kubelab with the lab key (interactive shell), or run one command there and exit with its status')
    .argument('<node>', 'node name, e.g. cp1')
    .argument('[command...]', 'command to run on the node (quote it as one argument or pass words after --)')
    .action(async (nodeName: string, command: string[]) => {
      const code = await sshToNode(ctx, nodeName, command.length > 0 ? command.join(' ') : undefined);
      // The remote exit status becomes kubelab's; main() turns a CommanderError into the process exit code.
      if (code !== 0) throw new CommanderError(code, 'kubelab.ssh.exit', '');
    });

  program
    .command('ssh-config')
    .description('Print Host blocks for ~/.ssh/config so plain `ssh cp1` works with the lab key and pinned host keys')
    .action(() => {
      const cfg = ctx.config;
      const q = (p: string) => (/\s/.test(p) ? `"${p}"` : p);
      ctx.out(`# kubelab lab "${cfg.name}": paste into ~/.ssh/config. Host keys are pinned by kubelab on first contact (run: npx kubelab ssh <node> true).`);
      for (const node of cfg.nodes) {
        const host = node.host;
        ctx.out(
          [
            `Host ${node.name} ${cfg.name}-${node.name}`,
            `  HostName ${node.ip}`,
            `  User ${host ? host.user : LAB_SSH_USER}`,
            ...(host && host.port !== 22 ? [`  Port ${host.port}`] : []),
            `  IdentityFile ${q(host ? path.join(ctx.paths.stateDir, host.keyFile) : ctx.paths.sshPrivateKey)}`,
            `  IdentitiesOnly yes`,
            `  UserKnownHostsFile ${q(openSshKnownHostsPath(ctx.paths))}`,
            `  StrictHostKeyChecking yes`,
            '',
          ].join('\n'),
        );
      }
    });

  program
    .command('ssh-forget')
    .description("Forget a node's pinned SSH host key (after you re-created its VM yourself); the next login pins the new key")
    .argument('<node>', 'node name, e.g. w1')
    .action((nodeName: string) => {
      ctx.out(
        forgetNodeHostKey(ctx.paths, nodeName)
          ? `kubelab: forgot the pinned host key of ${nodeName}; the next login pins the key it presents`
          : `kubelab: no host key pinned for ${nodeName}; nothing to do`,
      );
    });
}

/** Runs a command (or an interactive shell when `command` is undefined) on a node; resolves to the exit status. */
export async function sshToNode(ctx: CliContext, nodeName: string, command: string | undefined): Promise<number> {
  let node;
  try {
    node = findNode(ctx.config, nodeName);
  } catch (err) {
    throw new KubelabError((err as Error).message);
  }
  const session = await connectToNode({ paths: ctx.paths, target: labNodeSshTarget(node), timeoutMs: 30_000, onProgress: ctx.warn });
  const stdin = process.stdin;
  const tty = stdin.isTTY && process.stdout.isTTY;
  try {
    const channel = await session.interactive(command, tty ? { rows: process.stdout.rows, cols: process.stdout.columns, term: process.env.TERM || 'xterm-256color' } : false);
    const onResize = () => channel.setWindow(process.stdout.rows, process.stdout.columns, 0, 0);
    if (tty) {
      stdin.setRawMode(true);
      process.stdout.on('resize', onResize);
    }
    stdin.pipe(channel);
    channel.pipe(process.stdout);
    channel.stderr.pipe(process.stderr);
    try {
      return await new Promise<number>((resolve) => {
        let code = 255; // what OpenSSH reports when the connection ends without a status
        channel.on('exit', (c: number | null, signal?: string) => (code = c ?? (signal ? 128 : 255)));
        channel.on('close', () => resolve(code));
      });
    } finally {
      stdin.unpipe(channel);
      stdin.pause();
      if (tty) {
        stdin.setRawMode(false);
        process.stdout.off('resize', onResize);
      }
    }
  } finally {
    session.close();
  }
}

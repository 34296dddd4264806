import { Command, CommanderError } from 'commander';
import * as path from 'path';
import { findNode } from '../../config/lab-config';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { connectToNode } from './client';
import { forgetNodeHostKey, openSshKnownHostsPath } from './host-keys';
import { LAB_SSH_USER, authorizeKeyCommand, ensureLabKeyPair, publicKeyLineOf } from './keys';
import { labNodeSshTarget } from './target';

/** `kubelab ssh`, `ssh-config`, `ssh-forget`: reach the nodes with the lab key, no OpenSSH needed on the host. */
export function registerSshCommands(program: Command, ctx: CliContext): void {
  program
    .command('ssh')
    .description('Log in to a node as kubelab with the lab key (interactive shell), or run one command there and exit with its status')
    .argument('<node>', 'node name, e.g. cp1')
    .argument('[command...]', 'command to run on the node: quoted as one argument, like "sudo journalctl -u k3s -n 50", or as words (options after the node name go to the command)')
    // Everything after <node> is the node's, options too: no `--` needed (npx in PowerShell may drop it).
    .passThroughOptions()
    .action(async (nodeName: string, words: string[]) => {
      const code = await sshToNode(ctx, nodeName, remoteCommandOf(words));
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
    .command('ssh-key')
    .description("Print the lab's SSH public key; for an existing machine, the line to run on it once so kubelab logs in there (what ssh-copy-id does, on every host)")
    .argument('[node]', 'an existing machine of the lab config, e.g. pi1')
    .action((nodeName?: string) => {
      if (nodeName === undefined) return ctx.out(ensureLabKeyPair(ctx.paths).publicKey);
      let node;
      try {
        node = findNode(ctx.config, nodeName);
      } catch (err) {
        throw new KubelabError((err as Error).message);
      }
      const host = node.host;
      if (!host) return ctx.out(`kubelab: ${node.name} is a VM: cloud-init puts this key on it when the VM is made; nothing to do`);
      const keyFile = path.join(ctx.paths.stateDir, host.keyFile);
      const publicKey = keyFile === ctx.paths.sshPrivateKey ? ensureLabKeyPair(ctx.paths).publicKey : publicKeyLineOf(keyFile);
      const login = `ssh ${host.port === 22 ? '' : `-p ${host.port} `}${host.user}@${host.address}`;
      ctx.out(`kubelab: log in to ${node.name} (${host.user}@${host.address}) with its password (${login}) or at its console, and run this line there once; it lets .kubelab/${host.keyFile} log in:`);
      ctx.out(authorizeKeyCommand(publicKey));
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

/**
 * The command line for the node from the words after <node>: one quoted argument or several words;
 * undefined for an interactive shell. `kubelab ssh w1 -- ls -la` still works: passed through,
 * the `--` arrives as the first word.
 */
export function remoteCommandOf(words: readonly string[]): string | undefined {
  const command = words[0] === '--' ? words.slice(1) : words;
  return command.length > 0 ? command.join(' ') : undefined;
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

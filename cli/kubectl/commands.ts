import { spawn } from 'child_process';
import { Command, CommanderError, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { serverNode } from '../../config/lab-config';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { mergedInto } from '../kubeconfig/merge';
import { sshToNode } from '../ssh/commands';
import { ensureKubectl, kubectlSource } from './kubectl-binary';
import { ShellKind, envLines } from './shell-env';

/** `kubelab kubectl …` and `kubelab env`: kubectl against the lab with no kubectl installed on the host. */
export function registerKubectlCommands(program: Command, ctx: CliContext): void {
  program
    .command('kubectl')
    .description(
      "Run kubectl against the lab (its kubeconfig, a kubectl of the cluster's version downloaded once and checksum-verified; without internet, the server's own kubectl over SSH)",
    )
    .argument('[args...]', 'kubectl arguments, e.g. get nodes -o wide')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[], _opts: unknown, command: Command) => {
      const code = await runLabKubectl(ctx, args, () => command.helpInformation());
      if (code !== 0) throw new CommanderError(code, 'kubelab.kubectl.exit', '');
    });

  program
    .command('env')
    .description('Print what to paste so plain `kubectl` works in this shell: KUBECONFIG for the lab and the downloaded kubectl on PATH')
    .addOption(new Option('--shell <shell>', 'the shell to print for (default: sh, or PowerShell and cmd on Windows)').choices(['sh', 'powershell', 'cmd']))
    .action(async (opts: { shell?: ShellKind }) => {
      assertLabKubeconfig(ctx);
      const source = kubectlSource(ctx.config.k3s.version);
      let kubectlDir: string | undefined;
      try {
        kubectlDir = path.dirname(await ensureKubectl(source, ctx.warn));
      } catch (err) {
        if (!(err instanceof KubelabError)) throw err;
        ctx.warn(`kubelab: cannot download kubectl (${err.message}); printing KUBECONFIG only — use npx kubelab kubectl …, or a kubectl of your own`);
      }
      const shells: ShellKind[] = opts.shell ? [opts.shell] : process.platform === 'win32' ? ['powershell', 'cmd'] : ['sh'];
      for (const shell of shells) for (const line of envLines(shell, { kubeconfig: ctx.paths.kubeconfig, kubectlDir })) ctx.out(line);
    });
}

function assertLabKubeconfig(ctx: CliContext): void {
  if (!fs.existsSync(ctx.paths.kubeconfig)) {
    throw new KubelabError(`the lab has no kubeconfig yet (${ctx.paths.kubeconfig}); deploy the lab first: npm run up (or fetch it: npx kubelab k3s kubeconfig)`);
  }
}

/** kubectl's help needs no cluster: `kubelab kubectl`, `… --help`, `… -h`, `… help …`. */
function asksForHelp(args: readonly string[]): boolean {
  return args.length === 0 || args[0] === 'help' || args.includes('--help') || args.includes('-h');
}

/**
 * Runs kubectl with the lab's kubeconfig and the user's arguments; resolves to its exit status.
 * Falls back to `sudo k3s kubectl` on the server over SSH when kubectl cannot be downloaded.
 * `kubectl config …` works on the user's kubeconfig once the lab is merged there
 * (`kubeconfig --merge`): `config use-context <lab>` is meant for that file, not the lab's own,
 * which holds one context. Help needs no deployed lab.
 */
export async function runLabKubectl(ctx: CliContext, args: readonly string[], verbHelp: () => string = () => ''): Promise<number> {
  const help = asksForHelp(args) && !fs.existsSync(ctx.paths.kubeconfig);
  if (!help) assertLabKubeconfig(ctx);
  const cfg = ctx.config;
  let binary: string;
  try {
    binary = await ensureKubectl(kubectlSource(cfg.k3s.version), ctx.warn);
  } catch (err) {
    if (!(err instanceof KubelabError)) throw err;
    if (help) {
      ctx.out(verbHelp().trimEnd());
      ctx.out(`kubectl's own help comes with kubectl, which could not be downloaded (${err.message}); the lab's server has one once it is deployed (npm run up)`);
      return 0;
    }
    const server = serverNode(cfg);
    ctx.warn(`kubelab: cannot download kubectl (${err.message}); running the server's own kubectl on ${server.name} over SSH instead`);
    return sshToNode(ctx, server.name, ['sudo', 'k3s', 'kubectl', ...args].map(shellQuote).join(' '));
  }
  const merged = args[0] === 'config' ? mergedInto(ctx.paths) : undefined;
  if (merged) ctx.warn(`kubelab: kubectl config works on ${merged}, where kubeconfig --merge put the lab`);
  const kubeconfig = merged ?? (help ? undefined : ctx.paths.kubeconfig);
  const child = spawn(binary, args, { stdio: 'inherit', env: { ...process.env, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) } });
  return new Promise<number>((resolve, reject) => {
    child.on('error', (e) => reject(new KubelabError(`cannot run ${binary}: ${e.message}`)));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** One word for the node's bash, whatever it holds. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

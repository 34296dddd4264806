import { Command, CommanderError } from 'commander';
import { PINNED } from '../config/versions';
import { version } from '../package.json';
import { ConfigError } from '../config/load';
import { decodeStepSpec } from '../config/step-spec';
import { CliContext } from './context';
import { KubelabError } from './errors';
import { registerConfigCommands } from './config-commands';
import { registerVirtualBoxCommands } from './virtualbox/register';
import { registerK3sCommands } from './k3s/commands';
import { registerClusterCommands } from './cluster/register';
import { registerKubectlCommands } from './kubectl/commands';
import { registerLessonCommands } from './lesson/register';

/** Builds the command tree. Each area of the lab registers its own verbs. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('kubelab')
    .description('Stand up, use and tear down the kubelab VirtualBox + K3s lab. Terraform (cdktf deploy) runs these verbs; you can too.')
    .version(versionLine(), '-V, --version', 'print the kubelab version and the K3s release it installs')
    .showHelpAfterError()
    // Options after a verb belong to it, so `kubelab kubectl get pods -A` hands -A to kubectl.
    .enablePositionalOptions()
    .exitOverride()
    .option('--spec <spec>', 'the step spec Terraform planned (one base64url word); the verb uses it instead of kubelab.config.yaml')
    .hook('preAction', () => {
      const spec = program.opts<{ spec?: string }>().spec;
      if (spec !== undefined) ctx.useSpec(decodeStepSpec(spec));
    });
  registerConfigCommands(program, ctx);
  registerVirtualBoxCommands(program, ctx);
  registerK3sCommands(program, ctx);
  registerClusterCommands(program, ctx);
  registerKubectlCommands(program, ctx);
  registerLessonCommands(program, ctx);
  return program;
}

/** "kubelab 0.1.0 (K3s v1.36.4+k3s1, Node.js v20.9.0)": what a bug report needs. */
function versionLine(): string {
  // Imported, not read from a path: bundled entry points (bin/run-ts.js) have another __dirname.
  return `kubelab ${version} (K3s ${PINNED.k3s}, Node.js ${process.version})`;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], projectDir: string, ctx = new CliContext(projectDir)): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof KubelabError || err instanceof ConfigError) {
      ctx.warn(`kubelab: error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

import { Command, CommanderError, Option } from 'commander';
import { PINNED } from '../config/versions';
import { version } from '../package.json';
import { ConfigError } from '../config/load';
import { decodeStepSpec } from '../config/step-spec';
import { CliContext } from './context';
import { KubelabError } from './errors';
import { STEP_PHASE_ENV, STEP_TIMELINE_ENV, appendStepRecord } from './deploy/step-timeline';
import { registerConfigCommands } from './config-commands';
import { registerVirtualBoxCommands } from './virtualbox/register';
import { registerK3sCommands } from './k3s/commands';
import { registerClusterCommands } from './cluster/register';
import { registerKubectlCommands } from './kubectl/commands';
import { addHelpExamples } from './help-examples';
import { registerLessonCommands } from './lesson/register';

/** Builds the command tree. Each area of the lab registers its own verbs. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('kubelab')
    .description('Use and inspect the kubelab VirtualBox + K3s lab. The npm scripts up and down stand it up and tear it down, running these verbs through Terraform; you can run them too. Start with: npx kubelab doctor')
    .version(versionLine(), '-V, --version', 'print the kubelab version and the K3s release it installs')
    .showHelpAfterError()
    // Options after a verb belong to it, so `kubelab kubectl get pods -A` hands -A to kubectl.
    .enablePositionalOptions()
    .exitOverride()
    // Terraform's steps pass it; a user has no spec to give.
    .addOption(new Option('--spec <spec>', 'the step spec Terraform planned (one base64url word); the verb uses it instead of kubelab.config.yaml').hideHelp())
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
  addHelpExamples(program);
  return program;
}

/** "kubelab 0.1.0 (K3s v1.36.4+k3s1, Node.js v20.9.0)": what a bug report needs. */
function versionLine(): string {
  // Imported, not read from a path: bundled entry points (bin/run-ts.js) have another __dirname.
  return `kubelab ${version} (K3s ${PINNED.k3s}, Node.js ${process.version})`;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], projectDir: string, ctx = new CliContext(projectDir), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(ctx);
  const timeline = env[STEP_TIMELINE_ENV];
  if (!timeline) return run(program, argv, ctx);
  // Run by Terraform under `npm run up`/`down`: the verb records how long it took, for the stand-up timeline.
  const startedMs = Date.now();
  let step: { step: string; node?: string } | undefined;
  program.hook('preAction', (_program, action) => {
    const words: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) words.unshift(c.name());
    const node = action.registeredArguments.findIndex((a) => a.name() === 'node');
    step = { step: words.join(' '), node: node >= 0 ? String(action.processedArgs[node]) : undefined };
  });
  let code = 1;
  let error: string | undefined;
  try {
    code = await run(program, argv, ctx, (message) => (error = message.split('\n')[0]));
    return code;
  } catch (err) {
    error = String((err as Error)?.message ?? err).split('\n')[0];
    throw err;
  } finally {
    if (step) appendStepRecord(timeline, { phase: env[STEP_PHASE_ENV], ...step, startedMs, seconds: Math.round((Date.now() - startedMs) / 100) / 10, exitCode: code, error, ...(ctx.downloads.length ? { downloads: ctx.downloads } : {}) });
  }
}

async function run(program: Command, argv: string[], ctx: CliContext, failed: (message: string) => void = () => undefined): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof KubelabError || err instanceof ConfigError) {
      ctx.warn(`kubelab: error: ${err.message}`);
      failed(err instanceof ConfigError ? `${err.source} is not a valid kubelab configuration: ${err.problems[0]}` : err.message);
      return 1;
    }
    throw err;
  }
}

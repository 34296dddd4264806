import { spawn } from 'child_process';
import * as path from 'path';
import { labPaths } from '../../config/paths';
import { DEPLOY_PHASES, DeployTimings, PhaseTiming, formatTimings, saveTimings } from './timings';

/** The lab-wide npm scripts: `npm run up`, `npm run down`, `npm run diff -- <stack>`. */
export type LabScript = 'up' | 'down' | 'diff';

/** Every stack, in deploy order (lab.ts STACK_NAMES; a test keeps the two equal without loading the stacks here). */
export const DEPLOY_STACKS: readonly string[] = DEPLOY_PHASES.flatMap((p) => p.stacks);

export interface CdktfRunOptions {
  readonly projectDir: string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** The cdktf CLI entry script. @default the pinned cdktf-cli in node_modules */
  readonly cdktfEntry?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether our output is a terminal (else Terraform's colours are turned off). @default process.stdout.isTTY */
  readonly color?: boolean;
  /** @default Date.now */
  readonly now?: () => number;
}

/** One cdktf run: a phase's stacks with the arguments for it. */
export interface CdktfStep {
  readonly phase?: string;
  readonly args: readonly string[];
}

/**
 * The cdktf runs for a script. `up` deploys phase by phase (VMs, then K3s, then the charts)
 * so each phase's time is measured by the clock, not guessed from output; `down` destroys in
 * reverse. Stack names go to cdktf as arguments of their own, never through a shell, so
 * cmd.exe's quoting (which passes '*' on with its quotes) never meets them.
 */
export function cdktfSteps(script: LabScript, extra: readonly string[]): CdktfStep[] | string {
  const later = ['--skip-synth', '--ignore-missing-stack-dependencies'];
  switch (script) {
    case 'up':
      return DEPLOY_PHASES.map(({ phase, stacks }, i) => ({ phase, args: ['deploy', ...stacks, '--auto-approve', ...(i > 0 ? later : []), ...extra] }));
    case 'down':
      return [...DEPLOY_PHASES].reverse().map(({ phase, stacks }, i) => ({ phase, args: ['destroy', ...stacks, '--auto-approve', ...(i > 0 ? later : []), ...extra] }));
    case 'diff': {
      const stack = extra[0];
      if (!stack || !DEPLOY_STACKS.includes(stack)) {
        return `npm run diff needs one stack: npm run diff -- <stack>, where <stack> is one of ${DEPLOY_STACKS.join(', ')}${stack ? ` (not '${stack}')` : ''}`;
      }
      return [{ args: ['diff', ...extra] }];
    }
    default:
      return `unknown script '${String(script)}'; use up, down or diff`;
  }
}

/** A frame of the spinner cdktf draws under its output ("⠋  Processing"): noise once the lines are plain. */
const SPINNER = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s/;

/**
 * Runs the cdktf CLI so it prints plain lines (CI=1: its ink UI then writes finished lines
 * instead of redrawing the screen), passes them through, and after `up`/`down` prints how
 * long each phase (VMs, K3s, charts) took and keeps that in `.kubelab/deploy-timings.json`
 * for `kubelab status`. Stops at the first phase that fails.
 */
export async function runCdktf(script: LabScript, extra: readonly string[], opts: CdktfRunOptions): Promise<number> {
  const steps = cdktfSteps(script, extra);
  if (typeof steps === 'string') {
    opts.err(`kubelab: ${steps}`);
    return 2;
  }
  const now = opts.now ?? Date.now;
  const entry = opts.cdktfEntry ?? path.join(path.dirname(require.resolve('cdktf-cli/package.json')), 'bundle', 'bin', 'cdktf');
  const color = opts.color ?? Boolean(process.stdout.isTTY);
  const started = now();
  const phases: PhaseTiming[] = [];
  let code = 0;
  for (const step of steps) {
    const args = [...step.args, ...(color ? [] : ['--no-color'])];
    opts.out(`kubelab: ${step.phase ? `${step.phase}: ` : ''}cdktf ${args.join(' ')}`);
    const t0 = now();
    code = await runOnce(entry, args, opts);
    if (step.phase) phases.push({ phase: step.phase, seconds: Math.round((now() - t0) / 1000) });
    if (code !== 0) break;
  }
  if (script === 'diff') return code;
  const timings: DeployTimings = {
    command: `npm run ${script}`,
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((now() - started) / 1000),
    exitCode: code,
    phases,
  };
  saveTimings(labPaths(opts.projectDir), timings);
  opts.out(`kubelab: ${formatTimings(timings)}`);
  return code;
}

function runOnce(entry: string, args: readonly string[], opts: CdktfRunOptions): Promise<number> {
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: opts.projectDir,
    env: { ...(opts.env ?? process.env), CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Ctrl-C reaches cdktf too (same process group): let it stop Terraform cleanly, then report.
  const ignoreInterrupt = () => undefined;
  process.on('SIGINT', ignoreInterrupt);
  return new Promise<number>((resolve, reject) => {
    const pass = (sink: (l: string) => void) => (line: string) => {
      const clean = line.replace(/\r$/, '');
      if (!SPINNER.test(clean)) sink(clean);
    };
    linesOf(child.stdout, pass(opts.out));
    linesOf(child.stderr, pass(opts.err));
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? (signal ? 130 : 1)));
  }).finally(() => process.off('SIGINT', ignoreInterrupt));
}

function linesOf(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}

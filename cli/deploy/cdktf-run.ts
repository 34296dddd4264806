import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, LoadedLabConfig, loadLabConfig } from '../../config/load';
import { LabPaths, labPaths } from '../../config/paths';
import { Finding, HostFacts, formatFinding, realHostFacts } from '../doctor/checks';
import { doctorFindings } from '../doctor/doctor-command';
import { CdktfOutput } from './cdktf-output';
import type { LabStackInfo } from './lab-stacks';
import { isDeployed } from './deployed';
import { STEP_PHASE_ENV, STEP_TIMELINE_ENV, StepRecord, formatDownloads, readStepTimeline, resetStepTimeline, stepLabel, stepTimelinePath } from './step-timeline';
import { DEPLOY_PHASES, DeployTimings, PhaseTiming, formatDuration, formatTimings, lastTimings, saveTimings } from './timings';

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
  /** What the host checks read. @default the real host */
  readonly host?: HostFacts;
}

/** What the user asked for after `npm run <script> --`. */
export interface LabArgs {
  /** Stacks named; empty means the whole lab. */
  readonly stacks: readonly string[];
  /** Show Terraform's plan too. */
  readonly verbose: boolean;
  /** Other options, passed on to cdktf. */
  readonly cdktfOptions: readonly string[];
}

/** One cdktf run: a phase's stacks with the arguments for it. */
export interface CdktfStep {
  readonly phase?: string;
  readonly args: readonly string[];
}

/** What a run will do: lines to say first, then the cdktf runs; or why it does nothing. */
export type RunPlan = { readonly notes: readonly string[]; readonly steps: readonly CdktfStep[] } | { readonly stop: string; readonly code: number };

/** What the plan reads about the lab: which stacks hold resources, and (for one stack) the stacks' graph. */
export interface LabView {
  readonly deployed: (stack: string) => boolean;
  /** From lab.ts for the current config; undefined when the config is not valid. */
  readonly stacks?: Readonly<Record<string, LabStackInfo>>;
  /** Synthesize again (false: the config is broken, so use the stacks as last synthesized). @default true */
  readonly synth?: boolean;
}

const STACK_LIST = DEPLOY_STACKS.join(', ');

export function parseLabArgs(script: LabScript, extra: readonly string[]): LabArgs | string {
  const stacks: string[] = [];
  const cdktfOptions: string[] = [];
  let verbose = false;
  for (const a of extra) {
    if (a === '--') continue; // npm takes it away; run directly, bin/lab.js gets it
    if (a === '--verbose') verbose = true;
    else if (a.startsWith('-')) cdktfOptions.push(a);
    else if (a === '*') continue;
    else if (DEPLOY_STACKS.includes(a)) stacks.push(a);
    else return `'${a}' is not a stack of the lab; the stacks are ${STACK_LIST}: npm run ${script} -- <stack>`;
  }
  if (script === 'diff' && stacks.length !== 1) {
    return `npm run diff needs one stack: npm run diff -- <stack>, where <stack> is one of ${STACK_LIST}${stacks.length > 1 ? ` (not ${stacks.length})` : ''}`;
  }
  return { stacks: DEPLOY_STACKS.filter((s) => stacks.includes(s)), verbose, cdktfOptions };
}

/** Every stack `stack` needs, directly or through another (`down`: every stack that needs it). */
function closure(stacks: Readonly<Record<string, LabStackInfo>>, from: readonly string[], down: boolean): string[] {
  const found = new Set<string>();
  const next = (s: string) => (down ? Object.keys(stacks).filter((o) => stacks[o].needs.includes(s)) : stacks[s].needs);
  const walk = (s: string) => {
    for (const n of next(s)) if (!found.has(n)) (found.add(n), walk(n));
  };
  from.forEach(walk);
  return DEPLOY_STACKS.filter((s) => found.has(s) && !from.includes(s));
}

const words = (list: readonly string[]) => (list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`);

/**
 * The cdktf runs for a script. `up` deploys phase by phase (VMs, then K3s, then the charts)
 * so each phase's time is measured by the clock, not guessed from output; `down` destroys in
 * reverse, only the stacks that hold something. Stack names go to cdktf as arguments of their
 * own, never through a shell, so cmd.exe's quoting (which passes '*' on with its quotes)
 * never meets them. One stack: `up` first checks that the stacks it needs are deployed;
 * `down` takes the stacks that need it along.
 */
export function planRun(script: LabScript, args: LabArgs, lab: LabView): RunPlan {
  const synth = lab.synth ?? true;
  const phaseSteps = (verb: string, stacks: readonly string[], reverse: boolean, partial: boolean): CdktfStep[] => {
    const phases = reverse ? [...DEPLOY_PHASES].reverse() : [...DEPLOY_PHASES];
    return phases
      .map(({ phase, stacks: inPhase }) => ({ phase, stacks: inPhase.filter((s) => stacks.includes(s)) }))
      .filter((p) => p.stacks.length > 0)
      .map((p, i) => {
        const ignoreMissing = i > 0 || partial;
        // cdktf 0.21 destroy with --ignore-missing-stack-dependencies starts a running stack again unless stacks run one at a time (see lifecycle.terraform.ts).
        const oneAtATime = verb === 'destroy' && ignoreMissing && p.stacks.length > 1 ? ['--parallelism=1'] : [];
        return { phase: p.phase, args: [verb, ...p.stacks, '--auto-approve', ...(i > 0 || !synth ? ['--skip-synth'] : []), ...(ignoreMissing ? ['--ignore-missing-stack-dependencies'] : []), ...oneAtATime, ...args.cdktfOptions] };
      });
  };
  const single = args.stacks.length > 0;
  switch (script) {
    case 'diff':
      return { notes: [], steps: [{ args: ['diff', ...args.stacks, ...(synth ? [] : ['--skip-synth']), ...args.cdktfOptions] }] };
    case 'up': {
      if (!single) return { notes: [], steps: phaseSteps('deploy', DEPLOY_STACKS, false, false) };
      const stacks = lab.stacks!;
      const needs = closure(stacks, args.stacks, false);
      const missing = needs.filter((n) => !lab.deployed(n) && !stacks[n].empty);
      if (missing.length > 0) {
        return {
          stop: `${words([...args.stacks])} need${args.stacks.length > 1 ? '' : 's'} ${words(missing)}, which ${missing.length > 1 ? 'are' : 'is'} not deployed: deploy ${missing.length > 1 ? 'them' : 'it'} first with npm run up -- ${missing.join(' ')} (or the whole lab with npm run up)`,
          code: 1,
        };
      }
      const notes = needs.length ? [`${words([...args.stacks])} need${args.stacks.length > 1 ? '' : 's'} ${words(needs)}: deployed`] : [];
      return { notes, steps: phaseSteps('deploy', args.stacks, false, true) };
    }
    case 'down': {
      if (!single) {
        const deployed = DEPLOY_STACKS.filter(lab.deployed);
        if (deployed.length === 0) return { stop: 'nothing to remove: no stack of this lab is deployed (no terraform.<stack>.tfstate holds a resource)', code: 0 };
        return { notes: [], steps: phaseSteps('destroy', deployed, true, deployed.length < DEPLOY_STACKS.length) };
      }
      const dependents = closure(lab.stacks!, args.stacks, true);
      const go = DEPLOY_STACKS.filter((s) => (args.stacks.includes(s) || dependents.includes(s)) && lab.deployed(s));
      if (go.length === 0) return { stop: `nothing to remove: ${words([...args.stacks])} ${args.stacks.length > 1 ? 'are' : 'is'} not deployed`, code: 0 };
      const along = dependents.filter((s) => go.includes(s));
      const notes = along.length ? [`${words(along)} need${along.length > 1 ? '' : 's'} ${words([...args.stacks])}, so ${along.length > 1 ? 'they go' : 'it goes'} first: removing ${[...go].reverse().join(', ')}`] : [];
      return { notes, steps: phaseSteps('destroy', go, true, true) };
    }
    default:
      return { stop: `unknown script '${String(script)}'; use up, down or diff`, code: 2 };
  }
}

/**
 * `npm run up | down | diff [-- <stack>…] [--verbose]`. Checks first, before any Terraform:
 * the lab config, then (up) what `kubelab doctor` checks, each stopping at the first problem
 * with one line. Then runs the cdktf CLI so it prints plain lines (CI=1: its ink UI then
 * writes finished lines instead of redrawing the screen), without Terraform's plan unless
 * --verbose, phase by phase ("phase 1 of 3: VMs"). After up/down it prints how long each
 * phase and each step took and keeps that in `.kubelab/deploy-timings.json` for
 * `kubelab status`; a failed run ends with one line: phase, step, reason, what to run next.
 */
export async function runCdktf(script: LabScript, extra: readonly string[], opts: CdktfRunOptions): Promise<number> {
  const again = `npm run ${script}${extra.length ? ` -- ${extra.join(' ')}` : ''}`;
  const args = parseLabArgs(script, extra);
  if (typeof args === 'string') {
    opts.err(`kubelab: ${args}`);
    return 2;
  }
  const paths = labPaths(opts.projectDir);
  const cdktfOut = path.join(opts.projectDir, 'cdktf.out', 'stacks');

  let loaded: LoadedLabConfig | undefined;
  try {
    loaded = loadLabConfig(opts.projectDir);
    for (const w of loaded.warnings) opts.err(`kubelab: warning: ${w}`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    opts.err(`kubelab: error: ${err.message}`);
    // Every destroy step takes what it needs from its own triggers: the stacks as last synthesized can still remove the lab.
    if (!(script === 'down' && args.stacks.length === 0 && fs.existsSync(cdktfOut))) {
      opts.err(`kubelab: ${again} stopped before Terraform: the lab config is not valid; fix ${err.source} as said above, then run ${again} again`);
      return 1;
    }
    opts.out(`kubelab: removing the lab as last deployed (cdktf.out), without the broken config`);
  }

  const plan = planRun(script, args, {
    deployed: (s) => isDeployed(opts.projectDir, s),
    // Loaded only for one stack: building the app loads cdktf and the providers (~0.3 s).
    stacks: loaded && args.stacks.length > 0 ? (await import('./lab-stacks')).labStacks(loaded.config) : undefined,
    synth: loaded !== undefined,
  });
  if ('stop' in plan) {
    (plan.code === 0 ? opts.out : opts.err)(`kubelab: ${plan.stop}`);
    return plan.code;
  }
  for (const n of plan.notes) opts.out(`kubelab: ${n}`);
  if (script === 'up' && loaded) {
    const failed = await checkHost(loaded, paths, opts);
    if (failed) {
      opts.err(`kubelab: ${again} stopped before Terraform: the host check "${failed.check}" failed; fix it as said above, then run ${again} again`);
      return 1;
    }
  }
  return runSteps(script, again, args, plan.steps, paths, opts);
}

/** Doctor's checks, stopping at the first failure; prints warnings and failures as doctor does, the rest in one line. */
async function checkHost(loaded: LoadedLabConfig, paths: LabPaths, opts: CdktfRunOptions): Promise<Finding | undefined> {
  const findings = await doctorFindings(loaded.config, paths, opts.host ?? realHostFacts(), true);
  const ok = findings.filter((f) => f.level === 'ok').map((f) => f.check);
  for (const f of findings) if (f.level !== 'ok') (f.level === 'fail' ? opts.err : opts.out)(formatFinding(f));
  const failed = findings.find((f) => f.level === 'fail');
  if (!failed) opts.out(`kubelab: host checks passed (${[...new Set(ok)].join(', ')}); details: npx kubelab doctor`);
  return failed;
}

async function runSteps(script: LabScript, again: string, args: LabArgs, steps: readonly CdktfStep[], paths: LabPaths, opts: CdktfRunOptions): Promise<number> {
  const now = opts.now ?? Date.now;
  const entry = opts.cdktfEntry ?? path.join(path.dirname(require.resolve('cdktf-cli/package.json')), 'bundle', 'bin', 'cdktf');
  const color = opts.color ?? Boolean(process.stdout.isTTY);
  const command = `npm run ${script}${args.stacks.length ? ` -- ${args.stacks.join(' ')}` : ''}`;
  const before = lastTimings(paths);
  const timeline = stepTimelinePath(paths);
  if (script !== 'diff') resetStepTimeline(timeline);
  const started = now();
  const phases: PhaseTiming[] = [];
  // The plan is what diff is for.
  const output = new CdktfOutput(args.verbose || script === 'diff');
  let code = 0;
  let failedPhase: string | undefined;
  for (const [i, step] of steps.entries()) {
    const cdktfArgs = [...step.args, ...(color ? [] : ['--no-color'])];
    if (step.phase) {
      const then = before?.command.startsWith(`npm run ${script}`) ? before.phases.find((p) => p.phase === step.phase) : undefined;
      opts.out(`kubelab: phase ${i + 1} of ${steps.length}: ${step.phase} (${stacksOf(step).join(', ')})${then ? `; it took ${formatDuration(then.seconds)} last time` : ''}`);
    }
    if (args.verbose || !step.phase) opts.out(`kubelab: cdktf ${cdktfArgs.join(' ')}`);
    const t0 = now();
    code = await runOnce(entry, cdktfArgs, { ...opts, env: { ...(opts.env ?? process.env), [STEP_TIMELINE_ENV]: timeline, [STEP_PHASE_ENV]: step.phase ?? '' } }, output);
    if (step.phase) phases.push({ phase: step.phase, seconds: Math.round((now() - t0) / 1000) });
    if (code !== 0) {
      failedPhase = step.phase ? `phase ${i + 1} of ${steps.length} (${step.phase})` : undefined;
      break;
    }
  }
  if (output.hidden > 0) opts.out(`kubelab: left out ${output.hidden} lines of Terraform's plan and command lines; npm run ${script} -- --verbose shows them`);
  if (script === 'diff') return code;
  const records = readStepTimeline(timeline);
  const timings: DeployTimings = { command, startedAt: new Date(started).toISOString(), seconds: Math.round((now() - started) / 1000), exitCode: code, phases, steps: records };
  saveTimings(paths, timings);
  opts.out(`kubelab: ${formatTimings(timings)}`);
  // What the run's kubelab verbs fetched (a run that stopped before any verb ran has nothing to say).
  if (script === 'up' && records.length > 0) opts.out(`kubelab:   ${formatDownloads(records)}`);
  for (const line of formatStepTimes(records)) opts.out(`kubelab:   ${line}`);
  if (code !== 0) opts.err(`kubelab: ${failureLine(failedPhase, records, output.firstError, code, again)}`);
  return code;
}

function stacksOf(step: CdktfStep): string[] {
  return step.args.slice(1).filter((a) => !a.startsWith('-'));
}

/** Per phase, each step with its time, in the order they started: "K3s: k3s server cp1 1m 10s, k3s agent w1 40s". */
export function formatStepTimes(records: readonly StepRecord[]): string[] {
  const phases = [...new Set(records.map((r) => r.phase ?? ''))];
  return phases.map((phase) => {
    const steps = records
      .filter((r) => (r.phase ?? '') === phase)
      .sort((a, b) => a.startedMs - b.startedMs)
      .map((r) => `${stepLabel(r)} ${formatDuration(Math.round(r.seconds))}${r.exitCode !== 0 ? ' (failed)' : ''}`);
    return `${phase || 'steps'}: ${steps.join(', ')}`;
  });
}

/** The last line of a failed run: where it stopped, which step on which node, why, and what to run next. */
export function failureLine(phase: string | undefined, records: readonly StepRecord[], terraformError: string | undefined, code: number, again: string): string {
  const step = records.find((r) => r.exitCode !== 0);
  const where = [phase, step ? `step ${step.step}${step.node ? ` (node ${step.node})` : ''}` : undefined].filter(Boolean).join(', ');
  const reason = step?.error ?? terraformError ?? `cdktf exited with code ${code}`;
  return `${again} failed${where ? ` in ${where}` : ''}: ${reason}; fix that, then run ${again} again (it continues where this run stopped)`;
}

function runOnce(entry: string, args: readonly string[], opts: CdktfRunOptions, output: CdktfOutput): Promise<number> {
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
      const shown = output.line(line);
      if (shown !== undefined) sink(shown);
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

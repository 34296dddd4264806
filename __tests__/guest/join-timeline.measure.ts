/**
 * THE JOIN-TIMELINE MEASUREMENT (`npm run measure:joins`; not a test suite: neither `npm test` nor
 * `.ci/run` runs it). Stands up 1 server (cp1) and 2 agents (w1, w2) on real guests booted by the
 * qemu-backed VBoxManage stand-in, with the first `npm run up -- vms k3s` (the real cdktf CLI and
 * terraform; the chart phase left out, it would run empty here), checks that the API lists the three
 * nodes Ready, prints the stand-up timeline `npm run up` recorded (per step: node, start after the
 * first step, duration; the VMs and K3s phases and the whole run) with the machine's load while it
 * ran, then `npm run down`. Whether the two agents' joins overlapped is read from the timeline, so a
 * run of an older checkout (agents one after another) says so itself. run.sh puts it in a network
 * namespace of its own. KUBELAB_MEASURE_OUT=<file> also writes the result there as JSON.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labPaths } from '../../config/paths';
import { guestDescribe, runTimed } from './guest-lab';
import { GuestNode, JoinedLab, apiNodes, startJoinedLab, writeChartlessConfig } from './joined-lab';

const GUEST_DIR = process.env.KUBELAB_TEST_GUEST_DIR;
const REPO = path.resolve(__dirname, '..', '..');
const LAB = 'mlab';
const VERSION = 'v1.36.4+k3s1';
const NODES: readonly GuestNode[] = [
  { name: 'cp1', role: 'server', ip: '192.168.56.10' },
  { name: 'w1', role: 'agent', ip: '192.168.56.20' },
  { name: 'w2', role: 'agent', ip: '192.168.56.21' },
];

/** What deploy-timings.json holds (cli/deploy/timings.ts), as far as the measurement reads it. */
interface RecordedRun {
  seconds: number;
  exitCode: number;
  phases: { phase: string; seconds: number }[];
  steps: { phase?: string; step: string; node?: string; startedMs: number; seconds: number; exitCode: number }[];
}

/** The 1-minute load average, sampled every 5 s while `during` runs: the times mean little without it. */
async function sampleLoad<T>(during: () => Promise<T>): Promise<{ result: T; samples: { atMs: number; load: number }[] }> {
  const samples = [{ atMs: Date.now(), load: os.loadavg()[0] }];
  const timer = setInterval(() => samples.push({ atMs: Date.now(), load: os.loadavg()[0] }), 5_000);
  try {
    const result = await during();
    samples.push({ atMs: Date.now(), load: os.loadavg()[0] });
    return { result, samples };
  } finally {
    clearInterval(timer);
  }
}

/** "min 4.1 / mean 8.3 / max 12.0 (n samples)" of the samples taken between fromMs and toMs. */
function loadBetween(samples: readonly { atMs: number; load: number }[], fromMs: number, toMs: number): string {
  const seen = samples.filter((x) => x.atMs >= fromMs && x.atMs <= toMs).map((x) => x.load);
  if (seen.length === 0) return 'no sample';
  return `min ${Math.min(...seen).toFixed(2)} / mean ${(seen.reduce((a, b) => a + b, 0) / seen.length).toFixed(2)} / max ${Math.max(...seen).toFixed(2)} (${seen.length} samples)`;
}

/** Seconds two steps ran at the same time (0 when one started after the other ended). */
function overlapSeconds(a: { startedMs: number; seconds: number }, b: { startedMs: number; seconds: number }): number {
  const end = (r: typeof a) => r.startedMs + r.seconds * 1000;
  return Math.max(0, Math.round((Math.min(end(a), end(b)) - Math.max(a.startedMs, b.startedMs)) / 1000));
}

/** Which code ran: the commit and whether the tracked files differ from it (a local patch). */
function checkout(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' });
  try {
    // Porcelain lines are "XY <path>": X may be a space, so the output is not trimmed before the path is cut out.
    const changed = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).map((l) => l.slice(3));
    return `${git('rev-parse', '--short', 'HEAD').trim()}${changed.length ? ` with local changes to ${changed.join(', ')}` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

guestDescribe('join-timeline measurement', 'measure:joins')('stand-up timeline of 1 server + 2 agents on real guests', () => {
  let lab: JoinedLab;
  let project: string;
  const timings: [string, number][] = [];
  const npmRun = (script: 'up' | 'down', ...stacks: string[]) =>
    // --skip-provider-lock: cdktf's `terraform providers lock` asks the registry; the stand-ins come only from the mirror.
    runTimed(`npm run ${script}`, 'npm', ['run', script, '--', ...stacks, '--skip-provider-lock'], { env: lab.env, cwd: project, boundMs: 40 * 60_000, timings });

  beforeAll(async () => {
    lab = await startJoinedLab('kubelab-measure-', GUEST_DIR!, (p) => writeChartlessConfig(p, LAB, VERSION, NODES));
    project = lab.project;
  });

  afterAll(async () => {
    await lab?.close();
  });

  test('first npm run up -- vms k3s: the timeline per step, then npm run down', async () => {
    const code = checkout();
    const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    const { result: up, samples } = await sampleLoad(() => npmRun('up', 'vms', 'k3s'));
    if (up.code !== 0) throw new Error(`npm run up: exit ${up.code}\n${up.text.slice(-8000)}`);
    // Only a lab that works is worth timing.
    const listed = await apiNodes(labPaths(project).kubeconfig);
    expect(listed.map((n) => [n.name, n.ready, n.ip]).sort()).toEqual(NODES.map((n) => [n.name, 'True', n.ip]));

    const run = JSON.parse(fs.readFileSync(path.join(labPaths(project).stateDir, 'deploy-timings.json'), 'utf8')) as RecordedRun;
    const steps = [...run.steps].sort((a, b) => a.startedMs - b.startedMs);
    const t0 = steps[0].startedMs;
    const agents = steps.filter((s) => s.step === 'k3s agent');
    expect(agents.map((s) => s.node).sort()).toEqual(['w1', 'w2']);
    const overlap = overlapSeconds(agents[0], agents[1]);
    const phase = (name: string) => run.phases.find((p) => p.phase === name)?.seconds;
    const k3sSteps = steps.filter((x) => x.phase === 'K3s');
    const k3sFrom = Math.min(...k3sSteps.map((x) => x.startedMs));
    const k3sTo = Math.max(...k3sSteps.map((x) => x.startedMs + x.seconds * 1000));

    const down = await npmRun('down');
    if (down.code !== 0) throw new Error(`npm run down: exit ${down.code}\n${down.text.slice(-8000)}`);

    const table = [
      `join timeline: ${NODES.map((n) => `${n.name} (${n.role})`).join(', ')}; code ${code}`,
      `load (1-min average; 1/5/15-min before: ${loadBefore}): during up ${loadBetween(samples, 0, Infinity)}; during the K3s steps ${loadBetween(samples, k3sFrom, k3sTo)}`,
      '',
      '| phase | step | node | start (s) | duration (s) |',
      '|---|---|---|---:|---:|',
      ...steps.map((s) => `| ${s.phase ?? ''} | ${s.step} | ${s.node ?? ''} | ${Math.round((s.startedMs - t0) / 1000)} | ${Math.round(s.seconds)} |`),
      '',
      `phases: VMs ${phase('VMs')} s, K3s ${phase('K3s')} s; whole npm run up ${run.seconds} s; npm run down ${down.seconds} s`,
      `agent joins: ${overlap > 0 ? `at the same time (they overlapped ${overlap} s)` : 'one after another (no overlap)'}; ` +
        `from the first agent's start to the last agent's end: ${Math.round((Math.max(...agents.map((a) => a.startedMs + a.seconds * 1000)) - Math.min(...agents.map((a) => a.startedMs))) / 1000)} s`,
    ].join('\n');
    // Straight to the terminal: jest holds console output back and decorates it.
    process.stdout.write(`\n${table}\n\n`);
    if (process.env.KUBELAB_MEASURE_OUT) {
      fs.writeFileSync(process.env.KUBELAB_MEASURE_OUT, `${JSON.stringify({ code, loadBefore, loadSamples: samples, overlapSeconds: overlap, up: run, downSeconds: down.seconds, table }, null, 2)}\n`);
    }
  });
});

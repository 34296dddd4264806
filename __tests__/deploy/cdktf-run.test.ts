import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labStatusTable } from '../../cli/cluster/lab-status';
import { formatTimings, lastTimings, saveTimings } from '../../cli/deploy/timings';
import { resolveLabConfig } from '../../config/load';
import { LabConfig } from '../../config/lab-config';
import { labPaths } from '../../config/paths';
import { labUrls } from '../../config/urls';
import { DEPLOY_STACKS, failureLine, formatStepTimes, parseLabArgs, planRun } from '../../cli/deploy/cdktf-run';
import { labStacks } from '../../cli/deploy/lab-stacks';
import { STACK_NAMES } from '../../lab';

describe('npm run up / down / diff', () => {
  const all = (_s: string) => true;
  const none = (_s: string) => false;
  // Loose on purpose: each case reads the shape it expects (steps, a stop line, or parseLabArgs's message).
  // Building the app takes a while: once per config.
  let defaultStacks: ReturnType<typeof labStacks> | undefined;
  const plan = (script: 'up' | 'down' | 'diff', extra: string[], deployed: (s: string) => boolean, config?: LabConfig): any => {
    const args = parseLabArgs(script, extra);
    if (typeof args === 'string') return args;
    const stacks = () => (config ? labStacks(config) : (defaultStacks ??= labStacks(resolveLabConfig({}).config)));
    return planRun(script, args, { deployed, stacks: args.stacks.length ? stacks() : undefined });
  };

  test('the phases cover every stack of the app, in deploy order', () => {
    expect(DEPLOY_STACKS).toEqual([...STACK_NAMES]);
  });

  test('up deploys phase by phase, down destroys in reverse; stacks are arguments of their own, never quoted patterns', () => {
    expect(plan('up', [], none)).toEqual({
      notes: [],
      steps: [
        { phase: 'VMs', args: ['deploy', 'vms', '--auto-approve'] },
        { phase: 'K3s', args: ['deploy', 'k3s', '--auto-approve', '--skip-synth', '--ignore-missing-stack-dependencies'] },
        { phase: 'charts', args: ['deploy', 'ingress', 'metrics-server', 'dashboard', 'workloads', '--auto-approve', '--skip-synth', '--ignore-missing-stack-dependencies'] },
      ],
    });
    const down = (plan('down', [], all) as { steps: { phase: string; args: string[] }[] }).steps;
    expect(down.map((s) => s.phase)).toEqual(['charts', 'K3s', 'VMs']);
    expect(down[0].args.slice(0, 5)).toEqual(['destroy', 'ingress', 'metrics-server', 'dashboard', 'workloads']);
    expect(plan('diff', ['k3s'], none)).toEqual({ notes: [], steps: [{ args: ['diff', 'k3s'] }] });
    expect(plan('diff', [], none)).toMatch(/^npm run diff needs one stack: npm run diff -- <stack>, where <stack> is one of vms, k3s, ingress/);
    expect(plan('up', ['k8s'], none)).toMatch(/^'k8s' is not a stack of the lab; the stacks are vms, k3s, /);
    // --verbose is ours; other options go on to cdktf.
    expect(parseLabArgs('up', ['--', '--verbose', 'k3s', '--skip-provider-lock'])).toEqual({ stacks: ['k3s'], verbose: true, cdktfOptions: ['--skip-provider-lock'] });
  });

  test('up -- <stack> checks first that the stacks it needs hold resources, in one line', () => {
    expect(plan('up', ['k3s'], none)).toEqual({ stop: 'k3s needs vms, which is not deployed: deploy it first with npm run up -- vms (or the whole lab with npm run up)', code: 1 });
    // workloads needs metrics-server and ingress directly, k3s and vms through them.
    const deployedUpTo = (last: string) => (s: string) => STACK_NAMES.indexOf(s as never) <= STACK_NAMES.indexOf(last as never);
    expect(plan('up', ['workloads'], deployedUpTo('ingress'))).toMatchObject({ stop: expect.stringMatching(/^workloads needs metrics-server, which is not deployed: deploy it first with npm run up -- metrics-server /) });
    expect(plan('up', ['workloads'], deployedUpTo('dashboard'))).toEqual({
      notes: ['workloads needs vms, k3s, ingress and metrics-server: deployed'],
      steps: [{ phase: 'charts', args: ['deploy', 'workloads', '--auto-approve', '--ignore-missing-stack-dependencies'] }],
    });
    expect(plan('up', ['k3s'], (s) => s === 'vms')).toEqual({ notes: ['k3s needs vms: deployed'], steps: [{ phase: 'K3s', args: ['deploy', 'k3s', '--auto-approve', '--ignore-missing-stack-dependencies'] }] });
    // A stack the config leaves empty is not needed: the dashboard switched off, ingress not deployed.
    const noDashboard = resolveLabConfig({ components: { dashboard: { enabled: false }, hpaDemo: { enabled: false } } }).config;
    expect(plan('up', ['dashboard'], (s) => s === 'vms' || s === 'k3s', noDashboard)).toMatchObject({ stop: expect.stringMatching(/^dashboard needs ingress/) });
    const noIngress = resolveLabConfig({ components: { ingress: { enabled: false }, dashboard: { enabled: false }, hpaDemo: { enabled: false } } }).config;
    expect(plan('up', ['dashboard'], (s) => s === 'vms' || s === 'k3s', noIngress)).toMatchObject({ steps: [{ phase: 'charts' }] });
  });

  test('down -- <stack> names the stacks that need it and removes them first; down with nothing deployed says so and exits 0', () => {
    expect(plan('down', [], none)).toEqual({ stop: 'nothing to remove: no stack of this lab is deployed (no terraform.<stack>.tfstate holds a resource)', code: 0 });
    expect(plan('down', ['ingress'], (s) => s !== 'metrics-server')).toEqual({
      notes: ['dashboard and workloads need ingress, so they go first: removing workloads, dashboard, ingress'],
      steps: [{ phase: 'charts', args: ['destroy', 'ingress', 'dashboard', 'workloads', '--auto-approve', '--ignore-missing-stack-dependencies', '--parallelism=1'] }],
    });
    const k3s = plan('down', ['k3s'], all) as { notes: string[]; steps: { phase: string; args: string[] }[] };
    expect(k3s.notes).toEqual(['ingress, metrics-server, dashboard and workloads need k3s, so they go first: removing workloads, dashboard, metrics-server, ingress, k3s']);
    expect(k3s.steps.map((s) => [s.phase, s.args.filter((a) => !a.startsWith('-'))])).toEqual([
      ['charts', ['destroy', 'ingress', 'metrics-server', 'dashboard', 'workloads']],
      ['K3s', ['destroy', 'k3s']],
    ]);
    expect(plan('down', ['dashboard'], (s) => s !== 'dashboard')).toEqual({ stop: 'nothing to remove: dashboard is not deployed', code: 0 });
    // Only stacks that hold something are destroyed: a never-deployed chart stack would need its providers.
    expect((plan('down', [], (s) => s === 'vms' || s === 'k3s') as { steps: { args: string[] }[] }).steps.map((s) => s.args[1])).toEqual(['k3s', 'vms']);
  });

  test('the stacks and what each needs come from lab.ts itself', () => {
    const stacks = labStacks(resolveLabConfig({}).config);
    expect(Object.keys(stacks)).toEqual([...STACK_NAMES]);
    expect(Object.values(stacks).every((s) => !s.empty)).toBe(true);
  });

  test("a failed run's last line: phase, step and node, reason, the command to run again", () => {
    const records = [
      { phase: 'K3s', step: 'k3s server', node: 'cp1', startedMs: 1000, seconds: 70, exitCode: 0 },
      { phase: 'K3s', step: 'k3s agent', node: 'w1', startedMs: 71000, seconds: 12.4, exitCode: 1, error: 'w1 does not answer on SSH port 22' },
    ];
    expect(failureLine('phase 2 of 3 (K3s)', records, 'Error: local-exec provisioner error', 1, 'npm run up')).toBe(
      'npm run up failed in phase 2 of 3 (K3s), step k3s agent (node w1): w1 does not answer on SSH port 22; fix that, then run npm run up again (it continues where this run stopped)',
    );
    expect(failureLine('phase 1 of 3 (VMs)', [], 'Failed to query available provider packages', 1, 'npm run up')).toMatch(/^npm run up failed in phase 1 of 3 \(VMs\): Failed to query available provider packages; /);
    expect(formatStepTimes(records)).toEqual(['K3s: k3s server cp1 1m 10s, k3s agent w1 12s (failed)']);
  });
});

describe('deploy timings', () => {
  test('kept in .kubelab (0600 in a 0700 dir) and shown as the last row of kubelab status', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-timings-'));
    try {
      const paths = labPaths(dir);
      expect(lastTimings(paths)).toBeUndefined();
      saveTimings(paths, { command: 'npm run up', startedAt: '2026-11-22T06:00:00.000Z', seconds: 842, exitCode: 0, phases: [{ phase: 'VMs', seconds: 370 }, { phase: 'K3s', seconds: 220 }, { phase: 'charts', seconds: 252 }] });
      const kept = lastTimings(paths)!;
      expect(fs.statSync(path.join(paths.stateDir, 'deploy-timings.json')).mode & 0o777).toBe(0o600);
      expect(formatTimings(kept)).toBe('npm run up took 14m 02s (VMs 6m 10s, K3s 3m 40s, charts 4m 12s), started 2026-11-22T06:00:00.000Z');
      const config = resolveLabConfig({}).config;
      const table = await labStatusTable({ config, urls: labUrls(config), cluster: { unavailable: 'no kubeconfig yet' }, lastDeploy: kept });
      expect(table.at(-1)).toMatch(/^deploy +npm run up +done +took 14m 02s \(VMs 6m 10s, K3s 3m 40s, charts 4m 12s\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labStatusTable } from '../../cli/cluster/lab-status';
import { formatTimings, lastTimings, saveTimings } from '../../cli/deploy/timings';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { labUrls } from '../../config/urls';
import { DEPLOY_STACKS, cdktfSteps } from '../../cli/deploy/cdktf-run';
import { STACK_NAMES } from '../../lab';

describe('npm run up / down / diff', () => {
  test('the phases cover every stack of the app, in deploy order', () => {
    expect(DEPLOY_STACKS).toEqual([...STACK_NAMES]);
  });

  test('up deploys phase by phase, down destroys in reverse; stacks are arguments of their own, never quoted patterns', () => {
    const up = cdktfSteps('up', []);
    expect(up).toEqual([
      { phase: 'VMs', args: ['deploy', 'vms', '--auto-approve'] },
      { phase: 'K3s', args: ['deploy', 'k3s', '--auto-approve', '--skip-synth', '--ignore-missing-stack-dependencies'] },
      { phase: 'charts', args: ['deploy', 'ingress', 'metrics-server', 'dashboard', 'workloads', '--auto-approve', '--skip-synth', '--ignore-missing-stack-dependencies'] },
    ]);
    const down = cdktfSteps('down', []) as { phase: string; args: string[] }[];
    expect(down.map((s) => s.phase)).toEqual(['charts', 'K3s', 'VMs']);
    expect(down[0].args.slice(0, 5)).toEqual(['destroy', 'ingress', 'metrics-server', 'dashboard', 'workloads']);
    expect(cdktfSteps('diff', ['k3s'])).toEqual([{ args: ['diff', 'k3s'] }]);
    expect(cdktfSteps('diff', [])).toMatch(/^npm run diff needs one stack: npm run diff -- <stack>, where <stack> is one of vms, k3s, ingress/);
    expect(cdktfSteps('diff', ['k8s'])).toMatch(/\(not 'k8s'\)$/);
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

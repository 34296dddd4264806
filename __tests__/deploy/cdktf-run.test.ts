import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labStatusTable } from '../../cli/cluster/lab-status';
import { DEPLOY_STACKS, cdktfSteps, runCdktf } from '../../cli/deploy/cdktf-run';
import { lastTimings } from '../../cli/deploy/timings';
import { resolveLabConfig } from '../../config/load';
import { labUrls } from '../../config/urls';
import { STACK_NAMES } from '../../lab';
import { requireTool } from '../support/tools';

const ROOT = path.resolve(__dirname, '..', '..');

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

  requireTool('terraform')('with the real cdktf CLI and terraform', () => {
    let dir: string;
    beforeAll(() => {
      // A project dir of its own (cdktf.out, state and .kubelab land there), the app itself from this repo.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-up-'));
      fs.copyFileSync(path.join(ROOT, 'cdktf.json'), path.join(dir, 'cdktf.json'));
      for (const f of ['bin', 'node_modules', 'package.json']) fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
      // Providers only from an empty local mirror: terraform init fails at once, offline, without a registry.
      fs.mkdirSync(path.join(dir, 'mirror'));
      fs.writeFileSync(path.join(dir, 'terraformrc'), `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(path.join(dir, 'mirror'))}\n  }\n}\n`);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('a failing up prints plain lines (no screen redraws), stops after the failing phase and keeps its timing for status', async () => {
      const out: string[] = [];
      const code = await runCdktf('up', [], {
        projectDir: dir,
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        color: false,
        env: { ...process.env, TF_CLI_CONFIG_FILE: path.join(dir, 'terraformrc'), CHECKPOINT_DISABLE: '1' },
      });
      const text = out.join('\n');
      expect(code).not.toBe(0);
      expect(out[0]).toBe('kubelab: VMs: cdktf deploy vms --auto-approve --no-color');
      expect(text).toMatch(/^vms {2}/m); // cdktf's own stack-prefixed lines come through
      expect(text).toMatch(/hashicorp\/null/); // Terraform's reason is shown
      expect(text).not.toMatch(/\x1b\[\d*[ABCDGJK]|\x1b\[\?25[lh]/); // no cursor moves, line erases or hidden cursor
      expect(text).not.toMatch(/\x1b\[/); // --no-color when not a terminal
      expect(text).not.toContain('cdktf deploy k3s'); // stopped after VMs
      expect(out.at(-1)).toMatch(/^kubelab: npm run up failed \(exit \d+\) after \d+s \(VMs \d+s\), started 20\d\d-/);
      const timings = lastTimings({ stateDir: path.join(dir, '.kubelab') } as never)!;
      expect(timings.phases.map((p) => p.phase)).toEqual(['VMs']);
      expect(timings.exitCode).toBe(code);
      expect(fs.statSync(path.join(dir, '.kubelab')).mode & 0o777).toBe(0o700);

      const config = resolveLabConfig({}).config;
      const table = await labStatusTable({ config, urls: labUrls(config), cluster: { unavailable: 'no kubeconfig yet' }, lastDeploy: timings });
      expect(table.at(-1)).toMatch(/^deploy +npm run up +failed +failed \(exit \d+\) after \d+s \(VMs \d+s\)/);
    }, 90_000);
  });
});

/**
 * `npm run up` / `npm run down` as a user runs them (bin/lab.js), on the vms and k3s stacks
 * of a lab of stand-ins (see terraform-lab.ts): the real cdktf CLI and terraform, the
 * VBoxManage stand-in, fake nodes. Reads what npm run prints, the timings it keeps and
 * Terraform's state.
 *
 * Doctor (npm run up's host check and the vms preflight) probes node addresses: run only
 * inside a loopback-only network namespace, which `npm run test:terraform` makes for itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { lastTimings } from '../../cli/deploy/timings';
import { requireLoopbackOnly } from '../support/loopback-only';
import { requireTool } from '../support/tools';
import { TerraformLab } from './terraform-lab';

const isolated = requireLoopbackOnly('npm run up on the stand-in lab', 'test:terraform') === describe;

(isolated ? requireTool('terraform') : describe.skip)('npm run up / down on the vms and k3s stacks', () => {
  const lab = new TerraformLab();
  beforeAll(async () => {
    await lab.start();
    lab.configure({ nodes: ['cp1', 'w1'], k3sVersion: 'v1.36.4+k3s1' });
  }, 60_000);
  afterAll(() => lab.stop());
  const lines = (out: string) => out.trimEnd().split('\n');
  /** A time as kubelab prints it: 42s, 1m 05s. */
  const T = '(?:\\d+m )?\\d+s';

  test('a step that fails: the last line names the phase, the step and its node, the reason and the command to run again', async () => {
    fs.writeFileSync(path.join(lab.clusterDir, 'fail-install-once'), '');
    const run = await lab.npmRun('up', ['vms', 'k3s']);
    expect(run.code).not.toBe(0);
    const out = lines(run.out);
    expect(out.filter((l) => /^kubelab: phase \d of 2: /.test(l))).toEqual(['kubelab: phase 1 of 2: VMs (vms)', 'kubelab: phase 2 of 2: K3s (k3s)']);
    expect(out.at(-1)).toMatch(/^kubelab: npm run up -- vms k3s --skip-provider-lock failed in phase 2 of 2 \(K3s\), step k3s server \(node cp1\): .+; fix that, then run npm run up -- vms k3s --skip-provider-lock again/);
    expect(run.out).toMatch(new RegExp(`^kubelab: {3}VMs: .*vm create cp1 ${T}`, 'm'));
    expect(run.out).toMatch(new RegExp(`^kubelab: {3}K3s: k3s server cp1 ${T} \\(failed\\)`, 'm'));
    // What kubelab fetched: the Ubuntu image from the image stand-in, once, by the host (the installer files are local).
    expect(run.out).toMatch(/^kubelab: {3}downloads by kubelab: noble-server-cloudimg-amd64\.ova [\d,]+ bytes \(host\); [\d,]+ bytes in all$/m);
  });

  test('the next run converges; the plan is left out; each phase says how long it took last time; the timeline names every step', async () => {
    const run = await lab.npmRun('up', ['vms', 'k3s']);
    expect(run.code).toBe(0);
    expect(run.out).not.toMatch(/will be created|Executing: \[/);
    expect(run.out).toMatch(new RegExp(`^kubelab: phase 1 of 2: VMs \\(vms\\); it took ${T} last time$`, 'm'));
    expect(run.out).toMatch(/^kubelab: left out \d+ lines of Terraform's plan and command lines; npm run up -- --verbose shows them$/m);
    const timings = lastTimings(lab.paths)!;
    expect(timings).toMatchObject({ command: 'npm run up -- vms k3s', exitCode: 0 });
    expect((timings.steps ?? []).map((s) => `${s.phase} ${s.step} ${s.node ?? ''}`.trim()).sort()).toEqual(['K3s k3s agent w1', 'K3s k3s kubeconfig', 'K3s k3s server cp1']);
    expect(lines(run.out).at(-1)).toMatch(new RegExp(`^kubelab: {3}K3s: k3s server cp1 ${T}, k3s kubeconfig ${T}, k3s agent w1 ${T}$`));
    expect(run.out).toMatch(/^kubelab: {3}downloads by kubelab: none /m);
  });

  test('down -- k3s removes that stack only (nothing deployed needs it); the VMs stay', async () => {
    const run = await lab.npmRun('down', ['k3s']);
    expect(run.code).toBe(0);
    expect(lines(run.out)[0]).toBe('kubelab: phase 1 of 1: K3s (k3s)');
    expect(lab.stateOf('k3s')).toEqual([]);
    expect(lab.stateOf('vms')).not.toEqual([]);
  });

  test('down with a config broken since the deploy removes the rest as last synthesized; then there is nothing to remove', async () => {
    fs.writeFileSync(path.join(lab.project, 'kubelab.config.yaml'), 'nodes: [cp1\n');
    const run = await lab.npmRun('down');
    expect(run.code).toBe(0);
    expect(run.out).toContain('kubelab: removing the lab as last deployed (cdktf.out), without the broken config');
    expect(lab.stateOf('vms')).toEqual([]);
    expect(lab.vboxState().vms).toEqual([]);
    const again = await lab.npmRun('down');
    expect(lines(again.out).at(-1)).toBe('kubelab: nothing to remove: no stack of this lab is deployed (no terraform.<stack>.tfstate holds a resource)');
    expect(again.code).toBe(0);
  });
});

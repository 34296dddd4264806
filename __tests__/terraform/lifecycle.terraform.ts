/**
 * `cdktf deploy`, `cdktf diff` and `cdktf destroy` run for real (cdktf CLI 0.21.0 and the
 * terraform binary) on the `vms` and `k3s` stacks, scenario by scenario, each building on
 * the lab the one before left. Assertions read Terraform's own plan and apply output, its
 * state, and what the stand-ins saw (VBoxManage stand-in state, the stand-in cluster, the
 * fake nodes' install records, the lab's and the user's kubeconfig).
 *
 * Run by `npm run test:terraform` inside a loopback-only network namespace.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { requireTool } from '../support/tools';
import { LabSpec, Run, TerraformLab, applyEvent, firstLine, lastLine, plannedChanges } from './terraform-lab';

const V1 = 'v1.36.4+k3s1';
const V2 = 'v1.36.5+k3s1';
const V3 = 'v1.36.6+k3s1';

requireTool('terraform')('the vms and k3s stacks through real Terraform (VMs, K3s and the null provider are stand-ins)', () => {
  const lab = new TerraformLab();
  let spec: LabSpec = { nodes: ['cp1', 'w1', 'w2'], k3sVersion: V1 };
  const configure = (change: Partial<LabSpec>) => {
    spec = { ...spec, ...change };
    lab.configure(spec);
  };
  const deploy = () => lab.cdktf(['deploy', 'vms', 'k3s', '--auto-approve']);
  const expectOk = (run: { code: number | null; out: string }) => {
    if (run.code !== 0) throw new Error(`cdktf exited ${run.code}:\n${run.out.slice(-6000)}`);
  };
  const nodeVms = () => lab.vboxState().vms.filter((v) => v.name !== 'kubelab-base');
  const userContexts = () => ((parseYaml(lab.readUserKubeconfig() || '{}') ?? {}) as { contexts?: { name: string }[] }).contexts?.map((c) => c.name) ?? [];
  const pins = () => (fs.existsSync(lab.paths.knownHosts) ? (JSON.parse(fs.readFileSync(lab.paths.knownHosts, 'utf8')) as Record<string, { vmId?: string }>) : {});
  /** Lines where kubelab started a K3s install/upgrade check on a node ("cp1: K3s v… server, installer: …"). */
  const k3sRuns = (out: string, node: string) => out.split('\n').filter((l) => new RegExp(`kubelab: ${node}: K3s v\\S+ (server|agent), installer:`).test(l)).length;

  beforeAll(async () => {
    await lab.start();
    configure({});
  }, 60_000);
  afterAll(() => lab.stop());

  test('first deploy: `cdktf deploy vms k3s` creates the VMs, the cluster and the lab kubeconfig, each K3s step once', async () => {
    const run = await deploy();
    expectOk(run);
    expect(nodeVms().map((v) => [v.name, v.state]).sort()).toEqual([
      ['kubelab-cp1', 'running'],
      ['kubelab-w1', 'running'],
      ['kubelab-w2', 'running'],
    ]);
    expect(lab.clusterNodes()).toEqual(['cp1', 'w1', 'w2']);
    expect(fs.existsSync(lab.paths.kubeconfig)).toBe(true);
    for (const n of ['cp1', 'w1', 'w2'] as const) {
      expect(lab.installRecords(n).filter((r) => r.startsWith('call'))).toHaveLength(1);
      // The first apply installs each node once; no second step re-checks what was just installed.
      expect(k3sRuns(run.out, n)).toBe(1);
    }
    // Agents join after the server is up, both at once: neither's K3s step waits for the other's.
    expect(firstLine(run.out, applyEvent('agent-w1_install', 'Creating'))).toBeGreaterThan(lastLine(run.out, applyEvent('server-cp1_install', 'Creation complete')));
    const joining = (n: string) => [firstLine(run.out, applyEvent(`agent-${n}_version`, 'Creating')), lastLine(run.out, applyEvent(`agent-${n}_version`, 'Creation complete'))];
    const [w1From, w1To] = joining('w1');
    const [w2From, w2To] = joining('w2');
    expect(w2From < w1To && w1From < w2To).toBe(true);
    expect(run.out).not.toContain('K3s already runs here');
    // The user merges the lab into their kubeconfig by hand (a verb run by hand reads the config).
    expect(lab.kubelab('kubeconfig', '--merge').code).toBe(0);
    expect(userContexts()).toContain('kubelab');
  });

  test('second deploy changes nothing', async () => {
    const vboxBefore = JSON.stringify(lab.vboxState());
    const run = await deploy();
    expectOk(run);
    expect(plannedChanges(run.out)).toEqual({ create: [], replace: [], destroy: [], update: [] });
    expect(run.out.match(/No changes\. Your infrastructure matches the configuration\./g)).toHaveLength(2);
    expect(JSON.stringify(lab.vboxState())).toBe(vboxBefore);
  });

  test('K3s bump: the diff replaces only the version steps; apply upgrades the server first, then one agent after another', async () => {
    configure({ k3sVersion: V2 });
    const diff = await lab.cdktf(['diff', 'k3s']);
    expectOk(diff);
    const planned = plannedChanges(diff.out);
    expect(planned.create).toEqual([]);
    expect(planned.destroy).toEqual([]);
    expect(planned.replace.length).toBe(3);
    for (const address of planned.replace) expect(address).toMatch(/_version$/);
    const run = await deploy();
    expectOk(run);
    const created = (step: string) => firstLine(run.out, applyEvent(`${step}_version`, 'Creating'));
    const done = (step: string) => lastLine(run.out, applyEvent(`${step}_version`, 'Creation complete'));
    expect(created('agent-w1')).toBeGreaterThan(done('server-cp1'));
    expect(created('agent-w2')).toBeGreaterThan(done('server-cp1'));
    // Terraform runs both agents' steps at once; kubelab's lab-wide lock upgrades one, then the other:
    // each holds it from "changing it" until its node is Ready again, and the two spans do not overlap.
    const lines = run.out.split('\n');
    const span = (n: string) => [
      lines.findIndex((l) => l.includes(`kubelab: ${n}: K3s already runs here; changing it while no other node changes`)),
      lines.findIndex((l) => l.includes(`kubelab: ${n}: node is Ready`)),
    ];
    const [a, b] = [span('w1'), span('w2')].sort((x, y) => x[0] - y[0]);
    expect(a[0]).toBeGreaterThanOrEqual(0);
    expect(b[0]).toBeGreaterThan(a[1]);
    for (const n of ['cp1', 'w1', 'w2'] as const) expect(lab.installRecords(n).at(-1)).toContain(`INSTALL_K3S_VERSION=${V2}`);
  });

  test('server memory change: the server VM is re-created and the agents re-join the new cluster', async () => {
    configure({ serverMemoryMb: 3072 });
    const diff = await lab.cdktf(['diff', 'vms']);
    expectOk(diff);
    // The VM, and the host checks (memory) where the lab has them.
    expect(plannedChanges(diff.out).replace.filter((a) => a !== 'null_resource.preflight')).toEqual(['null_resource.vm-cp1']);
    const run = await deploy();
    expectOk(run);
    expect(nodeVms().find((v) => v.name === 'kubelab-cp1')?.memory).toBe(3072);
    // The re-created server is a new, empty cluster: each agent must have joined it again.
    expect(lab.clusterNodes()).toEqual(['cp1', 'w1', 'w2']);
  });

  test('…and the replaced kubeconfig step merged the lab back into the user kubeconfig', () => {
    // `kubectl --context kubelab` keeps working.
    expect(userContexts()).toContain('kubelab');
    const kc = parseYaml(lab.readUserKubeconfig()) as { clusters: { name: string; cluster: { server: string } }[] };
    expect(kc.clusters.find((c) => c.name === 'kubelab')?.cluster.server).toBe('https://192.168.56.10:6443');
  });

  test('node removed: its VM and medium are gone, the node was drained and deleted', async () => {
    configure({ nodes: ['cp1', 'w1'] });
    const diff = await lab.cdktf(['diff', 'vms']);
    expectOk(diff);
    expect(plannedChanges(diff.out).destroy).toContain('null_resource.vm-w2');
    const run = await deploy();
    expectOk(run);
    expect(nodeVms().map((v) => v.name).sort()).toEqual(['kubelab-cp1', 'kubelab-w1']);
    expect(lab.vboxState().media.filter((m) => m.location.includes('w2'))).toEqual([]);
    expect(lab.kubectlCalls().some((c) => /^drain w2 /.test(c))).toBe(true);
    expect(lab.clusterNodes()).toEqual(['cp1', 'w1']);
    expect(lab.installRecords('w2').at(-1)).toMatch(/^uninstall k3s-agent/);
    const again = await deploy();
    expectOk(again);
    expect(plannedChanges(again.out)).toEqual({ create: [], replace: [], destroy: [], update: [] });
  });

  test('node added: only its VM and its K3s agent are created', async () => {
    configure({ nodes: ['cp1', 'w1', 'w3'] });
    const run = await deploy();
    expectOk(run);
    const planned = plannedChanges(run.out);
    expect(planned.destroy).toEqual([]);
    // Only steps that look at the whole node list (host checks, pruning) re-run.
    expect(planned.replace.filter((a) => !/^null_resource\.(preflight|prune)$/.test(a))).toEqual([]);
    expect(planned.create.some((a) => a.includes('vm-w3'))).toBe(true);
    expect(nodeVms().map((v) => v.name).sort()).toEqual(['kubelab-cp1', 'kubelab-w1', 'kubelab-w3']);
    expect(lab.clusterNodes()).toEqual(['cp1', 'w1', 'w3']);
  });

  test('a failed step stops the deploy; the next deploy converges', async () => {
    fs.writeFileSync(path.join(lab.clusterDir, 'fail-install-once'), '');
    configure({ k3sVersion: V3 });
    const failed = await deploy();
    expect(failed.code).not.toBe(0);
    expect(failed.out).toMatch(/stand-in install\.sh: failing once/);
    const run = await deploy();
    expectOk(run);
    for (const n of ['cp1', 'w1', 'w3'] as const) expect(lab.installRecords(n).at(-1)).toContain(`INSTALL_K3S_VERSION=${V3}`);
    const again = await deploy();
    expectOk(again);
    expect(plannedChanges(again.out)).toEqual({ create: [], replace: [], destroy: [], update: [] });
  });

  test('an interrupted deploy (Ctrl-C) converges on the next deploy', async () => {
    configure({ nodes: ['cp1', 'w1', 'w2', 'w3'] });
    const interrupted = await lab.cdktf(['deploy', 'vms', 'k3s', '--auto-approve'], { interruptWhen: applyEvent('vm-w2', 'Creating') });
    expect(interrupted.code).not.toBe(0);
    const run = await deploy();
    expectOk(run);
    expect(nodeVms().map((v) => v.name).sort()).toEqual(['kubelab-cp1', 'kubelab-w1', 'kubelab-w2', 'kubelab-w3']);
    expect(lab.clusterNodes()).toEqual(['cp1', 'w1', 'w2', 'w3']);
    const again = await deploy();
    expectOk(again);
    expect(plannedChanges(again.out)).toEqual({ create: [], replace: [], destroy: [], update: [] });
  });

  // The cluster stacks' providers (kubernetes, helm) have no stand-in, so only k3s and vms are destroyed, in that
  // order. cdktf 0.21 with --ignore-missing-stack-dependencies picks the first stack not "done" as the next one to
  // run, which includes a running one (cli-core cdktf-project.js destroy): without --parallelism 1 it starts
  // `terraform destroy` on the same stack again and again. `cdktf destroy '*'`, the README's command, is not affected.
  const destroyArgs = ['destroy', 'k3s', 'vms', '--auto-approve', '--ignore-missing-stack-dependencies', '--parallelism', '1'];
  let destroy: Run;
  let drainsBefore = 0;
  test('destroy, with a config broken since the deploy, leaves nothing: no VM, medium or interface, no lab entries in the user kubeconfig', async () => {
    drainsBefore = lab.kubectlCalls().length;
    // A config broken since the last deploy: the last synthesized stacks (--skip-synth) still tear the lab down.
    fs.writeFileSync(path.join(lab.project, 'kubelab.config.yaml'), 'nodes: [cp1\n');
    destroy = await lab.cdktf([...destroyArgs, '--skip-synth']);
    expectOk(destroy);
    const state = lab.vboxState();
    expect(state.vms).toEqual([]);
    expect(state.media).toEqual([]);
    expect(state.hostonlyifs).toEqual([]);
    expect(userContexts()).not.toContain('kubelab');
    expect(fs.existsSync(lab.paths.kubeconfig)).toBe(false);
    expect(lab.stateOf('vms')).toEqual([]);
    expect(lab.stateOf('k3s')).toEqual([]);
  });

  test('…each agent was drained through the server before the lab kubeconfig was deleted', () => {
    const drains = lab.kubectlCalls().slice(drainsBefore).filter((c) => c.startsWith('drain '));
    expect(drains.map((c) => c.split(' ')[1]).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(lastLine(destroy.out, applyEvent('agent-\\w+_install', 'Destruction complete'))).toBeLessThan(firstLine(destroy.out, applyEvent('kubeconfig', 'Destroying')));
  });

  test('…the drains logged in to the re-created server as its VM (node name and VirtualBox id), leaving no pin under another name', () => {
    const drained = destroy.out.split('\n').filter((l) => /draining w\d|not drained|nothing to drain|drained and deleted/.test(l));
    expect(drained.filter((l) => /not drained|re-created/.test(l))).toEqual([]);
    // A pin under a display name would outlive the VM it was taken from.
    expect(Object.keys(pins()).filter((k) => !/^(cp1|w\d)$/.test(k))).toEqual([]);
  });

  test('…and a destroy that has to synth the broken config refuses it and says how to destroy anyway', async () => {
    const refused = await lab.cdktf(destroyArgs);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain('without fixing the config: npm run down');
  });
});

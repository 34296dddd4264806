import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { CliContext } from '../../cli/context';
import { recordedMachines } from '../../cli/k3s/machine-records';
import { K3sStepTiming, runK3sStep } from '../../cli/k3s/step';
import { main } from '../../cli/main';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { FakeNode, makeTestLab, sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { hostNode } from '../support/lab-shapes';
import { requireTool } from '../support/tools';
import { STAND_IN_SYSTEMCTL, installRecordsOn, recordingStandInInstallScript, standInK3sBinary } from './stand-ins';

const FAST: K3sStepTiming = { connectTimeoutMs: 3000, readyTimeoutMs: 1500, pollMs: 50, attempts: 2, retryDelayMs: 50 };

requireTool('/usr/sbin/sshd')('an existing machine taken out of the config (real OpenSSH servers, K3s played by stand-ins)', () => {
  let lab: ReturnType<typeof makeTestLab>;
  const nodes: Record<string, FakeNode> = {};
  let clusterDir: string;
  let out: string[];
  const config = (names: string[]) =>
    fs.writeFileSync(
      path.join(lab.projectDir, 'kubelab.config.yaml'),
      stringify({
        k3s: { version: 'v1.36.4+k3s1', installer: { source: 'local', binary: 'stand-ins/k3s', script: 'stand-ins/install.sh' } },
        nodes: [hostNode('s1', 'server', '10.20.0.11'), hostNode('a1', 'agent', '10.20.0.12', { port: 2222, keyFile: 'ssh/id_ed25519' })].filter((n) => names.includes(n.name)),
      }),
    );
  const kubelab = (...args: string[]) => main(args, lab.projectDir, new CliContext(lab.projectDir, (l) => out.push(l), (l) => out.push(l)));
  const records = (name: string) => installRecordsOn(nodes[name].root);

  beforeAll(async () => {
    lab = makeTestLab();
    clusterDir = path.join(lab.projectDir, 'stand-in-cluster');
    fs.mkdirSync(clusterDir);
    for (const name of ['s1', 'a1']) nodes[name] = await startFakeNode(lab.paths, { systemctl: STAND_IN_SYSTEMCTL });
    Object.assign(process.env, sshEndpointsEnv({ '10.20.0.11': nodes.s1, '10.20.0.12': nodes.a1 }));
    const standIns = path.join(lab.projectDir, 'stand-ins');
    fs.mkdirSync(standIns);
    fs.writeFileSync(path.join(standIns, 'install.sh'), recordingStandInInstallScript(clusterDir));
    fs.writeFileSync(path.join(standIns, 'k3s'), standInK3sBinary(clusterDir, 'v1.36.4+k3s1'), { mode: 0o755 });
    config(['s1', 'a1']);
    out = [];
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    lab?.cleanup();
  });

  test("each K3s step records the machine (login and role) in .kubelab/machines/, one file per node, owner-only", async () => {
    const ctx = new CliContext(lab.projectDir, (l) => out.push(l), () => undefined);
    await runK3sStep(ctx, 'server', 's1', FAST);
    await runK3sStep(ctx, 'agent', 'a1', FAST);
    expect(recordedMachines(lab.paths)).toEqual([
      { node: 'a1', role: 'agent', address: '10.20.0.12', login: { user: 'ubuntu', port: 2222, keyFile: 'ssh/id_ed25519' } },
      { node: 's1', role: 'server', address: '10.20.0.11', login: { user: 'ubuntu', port: 22, keyFile: 'ssh/id_ed25519' } },
    ]);
    expect(fs.statSync(path.join(lab.paths.machinesDir, 'a1.json')).mode & 0o777).toBe(0o600);
  });

  test('kubelab prune drains the removed machine through the server, uninstalls K3s there and forgets it; the server keeps K3s', async () => {
    config(['s1']);
    out = [];
    expect(await kubelab('prune', '--lab', 'kubelab', '--keep', 's1', '--server', 's1', '--server-ip', '10.20.0.11', '--server-ssh', 'ubuntu:22:ssh/id_ed25519')).toBe(0);
    const kubectl = fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8').trim().split('\n');
    expect(kubectl.findIndex((l) => l.startsWith('drain a1'))).toBeLessThan(kubectl.findIndex((l) => l.startsWith('delete node a1')));
    expect(records('a1').some((r) => r.startsWith('uninstall k3s-agent'))).toBe(true);
    expect(records('s1').some((r) => r.startsWith('uninstall'))).toBe(false);
    expect(fs.existsSync(path.join(nodes.a1.root, 'var', 'lib', 'kubelab'))).toBe(false);
    expect(recordedMachines(lab.paths).map((m) => m.node)).toEqual(['s1']);
    expect(out.join('\n')).toContain('node a1 (existing machine ubuntu@10.20.0.12) is no longer in the lab\'s node list; removing K3s from it');

    out = [];
    expect(await kubelab('prune', '--lab', 'kubelab', '--keep', 's1', '--server', 's1', '--server-ip', '10.20.0.11', '--server-ssh', 'ubuntu:22:ssh/id_ed25519')).toBe(0);
    expect(out.join('\n')).toContain('nothing to prune');
  }, 30_000);

  test('prune needs the server as a VM or as a login, not both and not neither', async () => {
    out = [];
    expect(await kubelab('prune', '--lab', 'kubelab', '--keep', 's1', '--server', 's1', '--server-ip', '10.20.0.11')).not.toBe(0);
    expect(out.join('\n')).toContain('prune needs one of --server-vm (a lab of VMs) or --server-ssh (a lab of existing machines)');
  });
});

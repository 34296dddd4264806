import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { CliContext } from '../../cli/context';
import { K3sStepTiming, runK3sStep } from '../../cli/k3s/step';
import { runK3sUninstall } from '../../cli/k3s/uninstall';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { FakeNode, makeTestLab, sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { vmNode } from '../support/lab-shapes';
import { requireTool } from '../support/tools';
import { standInHaK3s } from './ha-stand-ins';
import { STAND_IN_SYSTEMCTL, installRecordsOn, recordingStandInInstallScript, restartsOn, standInK3sBinary } from './stand-ins';

const FAST: K3sStepTiming = { connectTimeoutMs: 3000, readyTimeoutMs: 1500, pollMs: 50, attempts: 2, retryDelayMs: 50 };
const SERVERS = { cp1: '192.168.56.10', cp2: '192.168.56.11', cp3: '192.168.56.12' } as const;

requireTool('/usr/sbin/sshd')('three servers over SSH (real OpenSSH servers, K3s and etcd played by stand-ins)', () => {
  let lab: ReturnType<typeof makeTestLab>;
  const nodes: Record<string, FakeNode> = {};
  let clusterDir: string;
  let out: string[];
  let ctx: CliContext;
  const records = (name: string) => installRecordsOn(nodes[name].root);
  const writeLabConfig = (more: object = {}) =>
    fs.writeFileSync(
      path.join(lab.projectDir, 'kubelab.config.yaml'),
      stringify({
        k3s: { version: 'v1.36.4+k3s1', installer: { source: 'local', binary: 'stand-ins/k3s', script: 'stand-ins/install.sh' } },
        nodes: Object.entries(SERVERS).map(([name], i) => vmNode(name, 'server', 10 + i)),
        ...more,
      }),
    );

  beforeAll(async () => {
    lab = makeTestLab();
    clusterDir = path.join(lab.projectDir, 'stand-in-cluster');
    fs.mkdirSync(clusterDir);
    for (const name of Object.keys(SERVERS)) nodes[name] = await startFakeNode(lab.paths, { systemctl: STAND_IN_SYSTEMCTL });
    Object.assign(process.env, sshEndpointsEnv(Object.fromEntries(Object.entries(SERVERS).map(([name, ip]) => [ip, nodes[name]]))));
    const standIns = path.join(lab.projectDir, 'stand-ins');
    fs.mkdirSync(standIns);
    fs.writeFileSync(path.join(standIns, 'install.sh'), recordingStandInInstallScript(clusterDir));
    fs.writeFileSync(path.join(standIns, 'k3s'), standInK3sBinary(clusterDir, 'v1.36.4+k3s1'), { mode: 0o755 });
    writeLabConfig();
    out = [];
    ctx = new CliContext(lab.projectDir, (l) => out.push(l), () => undefined);
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    lab?.cleanup();
  });

  test('the first server starts embedded etcd; the others join it with the same token, and are waited for on it', async () => {
    for (const name of Object.keys(SERVERS)) await runK3sStep(ctx, 'server', name, FAST);
    const args = (name: string) => records(name)[0].match(/^args: (.*)$/m)![1].split(' ');
    expect(args('cp1')).toContain('--cluster-init');
    expect(args('cp1')).not.toContain('--server');
    for (const name of ['cp2', 'cp3']) {
      expect(args(name)).not.toContain('--cluster-init');
      expect(args(name)[args(name).indexOf('--server') + 1]).toBe('https://192.168.56.10:6443');
      expect(records(name)[0]).toContain('token-file-mode: 600');
    }
    const token = fs.readFileSync(lab.paths.k3sToken, 'utf8').trim();
    for (const name of Object.keys(SERVERS)) expect(fs.readFileSync(path.join(nodes[name].root, 'etc/rancher/k3s/kubelab-token'), 'utf8').trim()).toBe(token);
    // Readiness of the joining servers was asked on the first server, where the stand-in cluster answers.
    expect(out.join('\n')).toMatch(/cp2: node is Ready with InternalIP 192\.168\.56\.11[\s\S]*cp3: node is Ready with InternalIP 192\.168\.56\.12/);
  });

  test('a change of only the registries on all servers at once: one K3s restarts at a time, the next only once the one before is back (etcd keeps its quorum)', async () => {
    writeLabConfig({ registries: { mirrors: { 'docker.io': { endpoint: ['https://mirror.example.com'] } } } });
    const said: { line: string; atMs: number }[] = [];
    const timed = new CliContext(lab.projectDir, (line) => said.push({ line, atMs: Date.now() }), () => undefined);
    const before = Object.fromEntries(Object.keys(SERVERS).map((name) => [name, restartsOn(nodes[name].root).length]));
    await Promise.all(Object.keys(SERVERS).map((name) => runK3sStep(timed, 'server', name, { ...FAST, readyTimeoutMs: 10_000 })));
    const restarts = Object.entries(SERVERS)
      .map(([name, ip]) => {
        const mine = restartsOn(nodes[name].root).slice(before[name]);
        expect({ name, restarts: mine.length }).toEqual({ name, restarts: 1 });
        const back = said.find((s) => s.line === `kubelab: ${name}: node is Ready with InternalIP ${ip}`);
        expect(back).toBeDefined();
        return { name, restartedMs: mine[0].atMs, backMs: back!.atMs };
      })
      .sort((a, b) => a.restartedMs - b.restartedMs);
    for (let i = 1; i < restarts.length; i++) expect({ [restarts[i].name]: restarts[i].restartedMs >= restarts[i - 1].backMs }).toEqual({ [restarts[i].name]: true });
    writeLabConfig();
  });

  test('removing a server: its etcd member leaves through the first server before K3s is uninstalled; without confirmation K3s stays', async () => {
    // From here the first server's kubectl answers as an embedded-etcd cluster (stand-in, see ha-stand-ins.ts).
    nodes.cp1.addStandIn('k3s', standInHaK3s(clusterDir));
    fs.mkdirSync(path.join(clusterDir, 'etcd'), { recursive: true });
    for (const [name, ip] of Object.entries(SERVERS)) fs.writeFileSync(path.join(clusterDir, 'etcd', name), `${ip}\n`);
    const leave = (name: keyof typeof SERVERS) =>
      runK3sUninstall(ctx, { nodeName: name, ip: SERVERS[name], role: 'server', lab: 'kubelab', server: { name: 'cp1', ip: SERVERS.cp1 } }, { probeMs: 2000, connectTimeoutMs: 3000, etcdRemovalTimeoutMs: 800 });

    fs.writeFileSync(path.join(clusterDir, 'controller-stuck'), '');
    await expect(leave('cp3')).rejects.toThrow(/K3s did not confirm the removal of cp3's etcd member .* K3s is still installed on cp3/);
    expect(records('cp3').some((r) => r.startsWith('uninstall'))).toBe(false);

    fs.rmSync(path.join(clusterDir, "controller-stuck"));
    await leave('cp3');
    const kubectl = fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8').trim().split('\n');
    const annotate = kubectl.lastIndexOf('annotate node cp3 etcd.k3s.cattle.io/remove=true --overwrite');
    expect(annotate).toBeGreaterThanOrEqual(0);
    expect(kubectl.findIndex((l) => l.startsWith('drain cp3'))).toBeGreaterThan(annotate);
    expect(fs.existsSync(path.join(clusterDir, 'etcd', 'cp3'))).toBe(false);
    expect(records('cp3').some((r) => r.startsWith('uninstall k3s'))).toBe(true);
    expect(out.join('\n')).toContain('kubelab: etcd member cp3-standin of cp3 removed');
  }, 30_000);
});

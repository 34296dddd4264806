import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { runK3sStep, K3sStepTiming } from '../../cli/k3s/step';
import { runK3sUninstall } from '../../cli/k3s/uninstall';
import { fetchLabKubeconfig } from '../../cli/kubeconfig/fetch';
import { main } from '../../cli/main';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { requireTool } from '../support/tools';
import { standInEnv, withEnv } from '../support/vboxmanage-standin-env';
import { FakeNode, makeTestLab, startFakeNode, sshEndpointsEnv } from '../support/sshd-fake-node';
import { STAND_IN_SYSTEMCTL, recordingStandInInstallScript, restartsOn, standInK3sBinary } from './stand-ins';

const FAST: K3sStepTiming = { connectTimeoutMs: 3000, readyTimeoutMs: 1500, pollMs: 50, attempts: 3, retryDelayMs: 50 };
const SERVER_FLAGS =
  'server --node-name cp1 --node-ip 192.168.56.10 --flannel-iface enp0s8 --advertise-address 192.168.56.10 --tls-san 192.168.56.10 --disable traefik --disable metrics-server --write-kubeconfig-mode 600 --embedded-registry';

requireTool('/usr/sbin/sshd')('K3s steps over SSH against real OpenSSH servers (one per fake node, K3s played by stand-ins)', () => {
  let lab: ReturnType<typeof makeTestLab>;
  let cp1: FakeNode;
  let w1: FakeNode;
  let clusterDir: string;
  let out: string[];
  let warn: string[];
  let ctx: CliContext;

  /** `registries:` of a lab config: the user's own mirror for docker.io. */
  const dockerMirror = (url: string) => `registries:\n  mirrors:\n    docker.io: { endpoint: ["${url}"] }\n`;
  const writeLabConfig = (version: string, registries = '') => {
    const standIns = path.join(lab.projectDir, 'stand-ins');
    fs.mkdirSync(standIns, { recursive: true });
    fs.writeFileSync(path.join(standIns, 'recording-stand-in-install.sh'), recordingStandInInstallScript(clusterDir));
    fs.writeFileSync(path.join(standIns, 'stand-in-k3s'), standInK3sBinary(clusterDir, version), { mode: 0o755 });
    fs.writeFileSync(
      path.join(lab.projectDir, 'kubelab.config.yaml'),
      `k3s:\n  version: ${version}\n  installer:\n    source: local\n    binary: stand-ins/stand-in-k3s\n    script: stand-ins/recording-stand-in-install.sh\n` +
        registries +
        `nodes:\n  - { name: cp1, role: server, ip: 192.168.56.10 }\n  - { name: w1, role: agent, ip: 192.168.56.11 }\n`,
    );
    out = [];
    warn = [];
    ctx = new CliContext(lab.projectDir, (l) => out.push(l), (l) => warn.push(l));
  };
  const records = (node: FakeNode) => {
    const file = path.join(node.root, 'install-record.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('--- ').filter(Boolean) : [];
  };

  beforeAll(async () => {
    lab = makeTestLab();
    clusterDir = path.join(lab.projectDir, 'stand-in-cluster');
    fs.mkdirSync(clusterDir);
    [cp1, w1] = await Promise.all([startFakeNode(lab.paths, { systemctl: STAND_IN_SYSTEMCTL }), startFakeNode(lab.paths, { systemctl: STAND_IN_SYSTEMCTL })]);
    Object.assign(process.env, sshEndpointsEnv({ '192.168.56.10': cp1, '192.168.56.11': w1, '192.168.56.99': { sshd: { host: '127.0.0.1', port: 1, user: 'nobody' } } as FakeNode }));
    writeLabConfig('v1.36.4+k3s1');
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await Promise.all([cp1?.stop(), w1?.stop()]);
    lab?.cleanup();
  });

  test('server step uploads the script and files, passes the token by file, waits for /readyz and Ready', async () => {
    await runK3sStep(ctx, 'server', 'cp1', FAST);
    const [call] = records(cp1);
    expect(call).toContain(`args: ${SERVER_FLAGS}\n`);
    expect(call).toContain('INSTALL_K3S_VERSION=v1.36.4+k3s1\n');
    expect(call).toContain('INSTALL_K3S_SKIP_DOWNLOAD=true\n');
    expect(call).toContain('K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token\n');
    expect(call).toContain('token-file-mode: 600\n');
    expect(call).toContain('binary: k3s version v1.36.4+k3s1 (stand-in)');
    const token = fs.readFileSync(lab.paths.k3sToken, 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(lab.paths.k3sToken).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(cp1.root, 'etc/rancher/k3s/kubelab-token'), 'utf8').trim()).toBe(token);
    expect(call).not.toContain(token);
    expect(out.join('\n')).toMatch(/K3s API answers \/readyz[\s\S]*cp1: node is Ready with InternalIP 192\.168\.56\.10/);
    expect(fs.readdirSync(cp1.tmpDir)).toEqual([]); // staging dir removed
    // A first install starts K3s once, with the registries.yaml already in place, and takes no lab-wide lock.
    expect(restartsOn(cp1.root).map((r) => r.service)).toEqual(['k3s']);
    expect(fs.readFileSync(path.join(cp1.root, 'run', 'registries-read-k3s'), 'utf8')).toBe(fs.readFileSync(path.join(cp1.root, 'etc/rancher/k3s/registries.yaml'), 'utf8'));
    expect(out.join('\n')).not.toContain('lab-wide lock');
  });

  test('re-running the server step on a node at the pinned version with the same flags does nothing and says so', async () => {
    writeLabConfig('v1.36.4+k3s1');
    await runK3sStep(ctx, 'server', 'cp1', FAST);
    expect(records(cp1)).toHaveLength(1);
    expect(out.join('\n')).toContain('kubelab: unchanged: K3s v1.36.4+k3s1 (k3s) on cp1 already runs with these flags; nothing to do');
  });

  test('agent step joins through K3S_URL with the token file and its host-only IP; re-run is a no-op', async () => {
    await runK3sStep(ctx, 'agent', 'w1', FAST);
    const [call] = records(w1);
    expect(call).toContain('args: agent --node-name w1 --node-ip 192.168.56.11 --flannel-iface enp0s8\n');
    expect(call).toContain('K3S_URL=https://192.168.56.10:6443\n');
    expect(call).toContain('K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token\n');
    expect(out.join('\n')).toContain('w1: node is Ready with InternalIP 192.168.56.11');
    // A first join takes no lab-wide lock: the other agents join at the same time.
    expect(out.join('\n')).not.toContain('K3s already runs here');
    await runK3sStep(ctx, 'agent', 'w1', FAST);
    expect(records(w1)).toHaveLength(1);
    expect(out.join('\n')).toContain('unchanged: K3s v1.36.4+k3s1 (k3s-agent) on w1');
  });

  test('a dropped connection during the install is retried; a version bump upgrades in place', async () => {
    writeLabConfig('v1.36.5+k3s1');
    fs.writeFileSync(path.join(clusterDir, 'drop-connection-once'), '');
    // After the restart each look at the node is two commands over SSH (node, lease): more time than FAST's.
    await runK3sStep(ctx, 'server', 'cp1', { ...FAST, readyTimeoutMs: 10_000 });
    expect(warn.join('\n')).toMatch(/cp1: the SSH connection to cp1 \(127\.0\.0\.1:\d+\) dropped while running: sudo -n bash .*k3s-server\.sh --install; retrying \(attempt 2 of 3\)/);
    const calls = records(cp1);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toContain('INSTALL_K3S_VERSION=v1.36.5+k3s1\n');
    expect(calls[1]).toContain(`args: ${SERVER_FLAGS}\n`);
    expect(calls[1]).toContain('binary: k3s version v1.36.5+k3s1 (stand-in)');
    // Changing a K3s that runs holds the lab-wide lock, released once the node is Ready again.
    expect(out.join('\n')).toMatch(/cp1: K3s already runs here; changing it while no other node changes \(lab-wide lock\)[\s\S]*cp1: node is Ready/);
    expect(fs.existsSync(path.join(lab.paths.stateDir, 'locks', 'k3s-node-change.lock'))).toBe(false);
  });

  test('after K3s restarts for an upgrade, the Ready the old K3s posted does not count: the step waits until the kubelet renewed its lease', async () => {
    writeLabConfig('v1.36.6+k3s1');
    const kubectlLog = path.join(clusterDir, 'kubectl.log');
    const before = fs.readFileSync(kubectlLog, 'utf8').split('\n').length;
    // The node still says Ready (from the old K3s); the new K3s's kubelet renews its lease only from the 3rd look on.
    fs.writeFileSync(path.join(clusterDir, 'kubelet-boot-reads'), '2');
    await runK3sStep(ctx, 'server', 'cp1', { ...FAST, readyTimeoutMs: 10_000 });
    expect(records(cp1).pop()).toContain('INSTALL_K3S_VERSION=v1.36.6+k3s1\n');
    expect(fs.readFileSync(path.join(clusterDir, 'kubelet-boot-reads'), 'utf8').trim()).toBe('0');
    const leaseReads = fs.readFileSync(kubectlLog, 'utf8').split('\n').slice(before).filter((l) => l.startsWith('get lease cp1 '));
    // Two looks while the kubelet booted, then renewals: Ready only after one made after the first look.
    expect(leaseReads.length).toBeGreaterThanOrEqual(3);
    expect(out.join('\n')).toContain('cp1: node is Ready with InternalIP 192.168.56.10');
  });

  test('a change of only the registries restarts the running K3s once, under the lab-wide lock, and the step waits until the kubelet renewed its lease', async () => {
    writeLabConfig('v1.36.6+k3s1', dockerMirror('https://mirror-a.example.com'));
    const installs = records(cp1).length;
    const restarts = restartsOn(cp1.root).length;
    // The node still says Ready (from the K3s before the restart); the restarted kubelet renews its lease only from the 3rd look on.
    fs.writeFileSync(path.join(clusterDir, 'kubelet-boot-reads'), '2');
    await runK3sStep(ctx, 'server', 'cp1', { ...FAST, readyTimeoutMs: 10_000 });
    expect(records(cp1)).toHaveLength(installs);
    expect(restartsOn(cp1.root).slice(restarts).map((r) => r.service)).toEqual(['k3s']);
    // The K3s that runs now read the new file when it started.
    expect(fs.readFileSync(path.join(cp1.root, 'run', 'registries-read-k3s'), 'utf8')).toContain('https://mirror-a.example.com');
    expect(fs.readFileSync(path.join(clusterDir, 'kubelet-boot-reads'), 'utf8').trim()).toBe('0');
    expect(out.join('\n')).toMatch(/cp1: K3s already runs here; changing it while no other node changes \(lab-wide lock\)[\s\S]*cp1: node is Ready/);
    expect(fs.existsSync(path.join(lab.paths.stateDir, 'locks', 'k3s-node-change.lock'))).toBe(false);
  });

  test('registries and the version changed together: K3s restarts once, and the K3s that runs read the new registries', async () => {
    writeLabConfig('v1.36.7+k3s1', dockerMirror('https://mirror-b.example.com'));
    const restarts = restartsOn(cp1.root).length;
    await runK3sStep(ctx, 'server', 'cp1', { ...FAST, readyTimeoutMs: 10_000 });
    expect(records(cp1).pop()).toContain('INSTALL_K3S_VERSION=v1.36.7+k3s1\n');
    expect(restartsOn(cp1.root).slice(restarts).map((r) => r.service)).toEqual(['k3s']);
    expect(fs.readFileSync(path.join(cp1.root, 'run', 'registries-read-k3s'), 'utf8')).toContain('https://mirror-b.example.com');
  });

  test('an agent that registers with the NAT address is an error naming that IP and why', async () => {
    fs.writeFileSync(path.join(clusterDir, 'force-internal-ip'), '10.0.2.15');
    try {
      await expect(runK3sStep(ctx, 'agent', 'w1', FAST)).rejects.toThrow(
        /Node w1 joined with InternalIP 10\.0\.2\.15, not its host-only address 192\.168\.56\.11\. 10\.0\.2\.15 is the VirtualBox NAT address/,
      );
    } finally {
      fs.rmSync(path.join(clusterDir, 'force-internal-ip'));
    }
  });

  test('kubeconfig: read from the server, pointed at its IP, renamed to the lab, 0600; a second fetch is a no-op', async () => {
    await fetchLabKubeconfig(ctx, 3000);
    const text = fs.readFileSync(lab.paths.kubeconfig, 'utf8');
    expect(text).toContain('server: https://192.168.56.10:6443');
    expect(text).not.toContain('default');
    expect(text).toContain('current-context: kubelab');
    expect(fs.statSync(lab.paths.kubeconfig).mode & 0o777).toBe(0o600);
    await fetchLabKubeconfig(ctx, 3000);
    expect(out.join('\n')).toMatch(/is up to date .*nothing to do/);
  });

  test('uninstall drains and deletes the agent via the server, runs the uninstall script, and is a no-op after', async () => {
    const req = { nodeName: 'w1', ip: '192.168.56.11', role: 'agent' as const, lab: 'kubelab', server: { name: 'cp1', ip: '192.168.56.10' } };
    await runK3sUninstall(ctx, req, { probeMs: 1000, connectTimeoutMs: 3000 });
    const kubectl = fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8');
    expect(kubectl).toContain('drain w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s');
    expect(kubectl).toContain('delete node w1 --ignore-not-found');
    expect(records(w1).at(-1)).toContain('uninstall k3s-agent');
    expect(out.join('\n')).toContain('removed K3s (agent) from w1');
    await runK3sUninstall(ctx, req, { probeMs: 1000, connectTimeoutMs: 3000 });
    expect(out.join('\n')).toMatch(/node w1 is not in the cluster; nothing to drain[\s\S]*K3s \(agent\) is not installed on w1; nothing to uninstall/);
  });

  test('an uninstall script that never ends stops at its deadline with one line naming it, the node and its last output', async () => {
    // Plays K3s's uninstall script stuck on a mount: it says one line, then never returns (on its own, only after 20 s).
    const stuck = path.join(w1.root, 'usr', 'local', 'bin', 'k3s-agent-uninstall.sh');
    fs.writeFileSync(stuck, '#!/bin/bash\necho "umount /var/lib/kubelet/pods/x: target is busy"\nsleep 20\n', { mode: 0o755 });
    const started = Date.now();
    try {
      await expect(
        runK3sUninstall(ctx, { nodeName: 'w1', ip: '192.168.56.11', role: 'agent', lab: 'kubelab' }, { probeMs: 1000, connectTimeoutMs: 3000, commandTimeoutMs: 1500 }),
      ).rejects.toThrow(/^gave up waiting for K3s agent uninstall on w1 \(127\.0\.0\.1:\d+\) after 2 s; last seen: umount \/var\/lib\/kubelet\/pods\/x: target is busy\. It may still run on w1$/);
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      fs.rmSync(stuck, { force: true });
    }
  });

  // Through VBoxManage (its stand-in): each VM state's message is in step-flow.test.ts.
  describe('a K3s step on a node whose SSH port is silent stops quickly and says what to do, from the VM state VirtualBox (the stand-in) reports', () => {
    const silentW1 = async (vmState: string | undefined): Promise<string> => {
      const saved = process.env[TEST_SSH_ENDPOINTS_ENV];
      // w1's address now leads to a closed port, as a VM's does while it is off or its guest has no sshd yet.
      Object.assign(process.env, sshEndpointsEnv({ '192.168.56.10': cp1, '192.168.56.11': { sshd: { host: '127.0.0.1', port: 1, user: 'nobody' } } as FakeNode }));
      const vbox = standInEnv();
      try {
        if (vmState) {
          execFileSync('VBoxManage', ['createvm', '--name', 'kubelab-w1', '--register', '--basefolder', vbox.root], { env: vbox.env });
          vbox.setVmState('kubelab-w1', vmState);
        }
        const started = Date.now();
        const err = await withEnv(vbox.env, () => runK3sStep(ctx, 'agent', 'w1', { ...FAST, answerTimeoutMs: 500 }).then(() => undefined, (e: Error) => e));
        expect(Date.now() - started).toBeLessThan(5000);
        expect(err).toBeInstanceOf(Error);
        return err!.message;
      } finally {
        vbox.cleanup();
        process.env[TEST_SSH_ENDPOINTS_ENV] = saved;
      }
    };
    const silent = /^w1 \(127\.0\.0\.1:1\) does not answer on SSH port 1 within 1 s/;

    test('VM powered off: start it', async () => {
      const message = await silentW1('poweroff');
      expect(message).toMatch(silent);
      expect(message).toMatch(/its VM kubelab-w1 is not running \(VirtualBox says poweroff\)\. Start it with npx kubelab vm start w1, then run npm run up again$/);
    });

    test('no VM: create it', async () => {
      expect(await silentW1(undefined)).toMatch(/its VM kubelab-w1 does not exist\. Create it with npm run up -- vms \(or npx kubelab vm create w1\), then run npm run up again$/);
    });
  });

  test('uninstall of a VM that is gone finishes quickly with a message', async () => {
    const started = Date.now();
    await runK3sUninstall(ctx, { nodeName: 'w9', ip: '192.168.56.99', role: 'agent', lab: 'kubelab' }, { probeMs: 300, connectTimeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(out.join('\n')).toMatch(/w9 \(127\.0\.0\.1:1\) does not answer on SSH port 1 .*the VM is gone or stopped; nothing to uninstall/);
  });

  test('the uninstall verb works without a usable lab config (the node may be gone from it)', async () => {
    fs.writeFileSync(path.join(lab.projectDir, 'kubelab.config.yaml'), 'nodes: not-a-list\n');
    const code = await main(['k3s', 'uninstall', 'w9', '--ip', '192.168.56.99', '--role', 'agent', '--lab', 'kubelab', '--ssh-wait', '0.3'], lab.projectDir, ctx);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('the VM is gone or stopped; nothing to uninstall');
    expect(warn.join('\n')).not.toContain('kubelab.config.yaml');
  });
});

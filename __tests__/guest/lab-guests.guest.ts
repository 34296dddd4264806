/**
 * REAL GUESTS (`npm run test:guest`, not part of `npm test`): kubelab's VM, SSH and K3s
 * steps against Debian 13 cloud guests booted under qemu (software emulation) behind the
 * qemu mode of the VBoxManage stand-in. The guest's kernel, systemd, cloud-init, netplan,
 * sshd and sudo are real; VirtualBox (the stand-in), K3s (k3s-standin.py) and install.sh
 * (install-standin.sh) are stand-ins. Every assertion reads what happened in the guests,
 * over `kubelab ssh`. run.sh builds the image and puts this file in a network namespace of
 * its own; the stand-in refuses to touch networking anywhere else.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { labPaths } from '../../config/paths';
import { guestDescribe } from './guest-describe';

const REPO = path.resolve(__dirname, '..', '..');
const GUEST_DIR = process.env.KUBELAB_TEST_GUEST_DIR;
const LAB = 'glab';
const OLD = 'v1.36.4+k3s1';
const NEW = 'v1.36.5+k3s1';
/** How long the hang test lets K3s take to report ready before kubelab must give up. */
const READY_TIMEOUT_S = 60;

interface Run {
  code: number | null;
  text: string;
  seconds: number;
  /** The test killed it: it did not end by itself within the test's bound. */
  killed: boolean;
}

const RUN_CLI = `require(${JSON.stringify(path.join(REPO, 'bin', 'run-ts.js'))}).loadTs(${JSON.stringify(path.join(REPO, 'cli', 'main.ts'))})
  .main(JSON.parse(process.argv[1]), process.argv[2])
  .then((c) => { process.exitCode = c; }, (e) => { console.error(e && e.stack ? e.stack : String(e)); process.exitCode = 1; });`;

const timings: [string, number][] = [];

guestDescribe('the real-guest suite')('a lab of real guests: cp1 (server) and w1 (agent)', () => {
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let server: http.Server;

  /** `kubelab <args>` in the lab project, in its own process; killed after boundMs. */
  const kubelab = (args: string[], boundMs = 15 * 60_000): Promise<Run> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const child = spawn(process.execPath, ['-e', RUN_CLI, JSON.stringify(args), project], { env, cwd: project });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, boundMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        const seconds = Math.round((Date.now() - t0) / 1000);
        timings.push([`kubelab ${args.join(' ')}`, seconds]);
        // jest shows console output only when the file ends: KUBELAB_TEST_GUEST_LOG follows the run as it goes.
        if (process.env.KUBELAB_TEST_GUEST_LOG) {
          fs.appendFileSync(process.env.KUBELAB_TEST_GUEST_LOG, `--- kubelab ${args.join(' ')} → ${killed ? 'killed' : `exit ${code}`} after ${seconds} s\n${text}\n`);
        }
        resolve({ code, text, seconds, killed });
      });
    });

  /** A command's output on a node, through `kubelab ssh` (which exits with the command's status). */
  const onGuest = async (node: string, command: string): Promise<string> => {
    const r = await kubelab(['ssh', node, '--', command], 120_000);
    if (r.code !== 0) throw new Error(`kubelab ssh ${node} -- ${command}: exit ${r.code}\n${r.text}`);
    return r.text.trim();
  };
  const mainPid = async (node: string, unit: string) => Number(await onGuest(node, `systemctl show -p MainPID --value ${unit}`));
  /** What the stand-in k3s process wrote when it started: its pid and version. */
  const started = async (node: string, role: 'server' | 'agent') =>
    JSON.parse(await onGuest(node, `cat /run/k3s-standin/${role}.json`)) as { pid: number; version: string; args: string[] };

  const useVersion = (version: string) => {
    const binary = `k3s-${version}`;
    fs.writeFileSync(
      path.join(project, binary),
      fs.readFileSync(path.join(__dirname, 'k3s-standin.py'), 'utf8').replace("VERSION = 'v0.0.0+standin'", `VERSION = '${version}'`),
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(project, 'kubelab.config.yaml'),
      [
        `name: ${LAB}`,
        `k3s:`,
        `  version: ${version}`,
        `  installer: { source: local, binary: ${binary}, script: install.sh }`,
        `nodes:`,
        `  - { name: cp1, role: server, ip: 192.168.56.10, cpus: 2, memoryMb: 2048 }`,
        `  - { name: w1, role: agent, ip: 192.168.56.11, cpus: 1, memoryMb: 1024 }`,
        ``,
      ].join('\n'),
    );
  };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-guests-'));
    project = path.join(root, 'project');
    const bin = path.join(root, 'bin');
    fs.mkdirSync(project);
    fs.mkdirSync(bin);
    fs.symlinkSync(path.join(REPO, '__tests__', 'support', 'vboxmanage-standin.js'), path.join(bin, 'VBoxManage'));
    fs.copyFileSync(path.join(__dirname, 'install-standin.sh'), path.join(project, 'install.sh'));
    useVersion(OLD);
    // The image exactly as kubelab downloads the Ubuntu one: the OVA and SHA256SUMS over HTTP.
    server = http.createServer((req, res) => {
      const file = path.join(GUEST_DIR!, path.basename(req.url ?? ''));
      if (![`/${UBUNTU_OVA_FILE}`, '/SHA256SUMS'].includes(req.url ?? '') || !fs.existsSync(file)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      VBOXMANAGE_STANDIN_DIR: path.join(root, 'vbox'),
      VBOXMANAGE_STANDIN_QEMU: GUEST_DIR,
      KUBELAB_IMAGE_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      XDG_CACHE_HOME: path.join(root, 'cache'),
      HOME: root,
    };
    delete env.NODE_EXTRA_CA_CERTS;
  });

  afterAll(async () => {
    // Whatever a failed test left running: its qemu processes.
    const stateFile = path.join(root, 'vbox', 'state.json');
    const vms: { qemuPid?: number }[] = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')).vms : [];
    for (const vm of vms) if (vm.qemuPid) process.kill(vm.qemuPid, 'SIGKILL');
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(root, { recursive: true, force: true });
    console.log(`guest suite timings (s):\n${timings.map(([what, s]) => `${String(s).padStart(5)}  ${what}`).join('\n')}`);
  });

  test('network up: the host-only interface has 192.168.56.1/24 in this namespace', async () => {
    const r = await kubelab(['network', 'up']);
    expect(r.code).toBe(0);
    const addr = await new Promise<string>((resolve) => {
      const ip = spawn('ip', ['-4', '-o', 'addr', 'show', 'dev', 'vboxnet0']);
      let out = '';
      ip.stdout.on('data', (d) => (out += d));
      ip.on('close', () => resolve(out));
    });
    expect(addr).toContain('inet 192.168.56.1/24');
  });

  test('image import: the guest OVA is downloaded over loopback, checked against SHA256SUMS and imported', async () => {
    const r = await kubelab(['image', 'import']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.text).toMatch(/downloaded and verified .* \(sha256 [0-9a-f]{64}\)/);
  });

  test('vm create cp1 and w1 boot real guests: hostname, kubelab user with sudo, static IP on enp0s8, default route only on enp0s3', async () => {
    // Under emulation on a busy machine a first boot can take far longer than kubelab's default 15 minutes.
    const runs = await Promise.all(['cp1', 'w1'].map((n) => kubelab(['vm', 'create', n, '--timeout', '30'], 35 * 60_000)));
    for (const r of runs) expect({ code: r.code, text: r.text }).toEqual({ code: 0, text: expect.stringContaining('cloud-init finished') });
    for (const [node, ip] of [['cp1', '192.168.56.10'], ['w1', '192.168.56.11']]) {
      expect(await onGuest(node, 'hostname')).toBe(node);
      expect(await onGuest(node, 'id -un; sudo -n id -un')).toBe('kubelab\nroot');
      // The interface's own name (`dev enp0s8` would also find an altname of ens8).
      expect(await onGuest(node, 'ip -4 -o addr show dev enp0s8')).toMatch(new RegExp(`^\\d+: enp0s8\\s+inet ${ip.replace(/\./g, '\\.')}/24 `));
      expect(await onGuest(node, 'ip route show default')).toMatch(/^default via 10\.0\.2\.2 dev enp0s3[^\n]*$/);
      expect(await onGuest(node, 'cloud-init status')).toContain('status: done');
    }
    // The nodes reach each other on the host-only network.
    // (The guest has no ping: bash opens a TCP connection to cp1's sshd instead.)
    expect(await onGuest('w1', "timeout 10 bash -c '</dev/tcp/192.168.56.10/22' && echo reached")).toBe('reached');
  });

  test('kubelab ssh: runs the command as kubelab and exits with its status', async () => {
    expect(await onGuest('cp1', 'echo "$USER on $(hostname)"')).toBe('kubelab on cp1');
    const r = await kubelab(['ssh', 'cp1', '--', 'exit 3']);
    expect(r.code).toBe(3);
  });

  test('k3s server cp1: Type=notify unit with the node flags, env file 0600 holding only the token path, token 0600, K3s is the unit\'s running MainPID', async () => {
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    const unit = await onGuest('cp1', 'cat /etc/systemd/system/k3s.service');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/k3s server .*'--node-ip' '192\.168\.56\.10' .*'--flannel-iface' 'enp0s8'/m);
    expect(await onGuest('cp1', 'sudo -n stat -c "%a %U" /etc/systemd/system/k3s.service.env /etc/rancher/k3s/kubelab-token')).toBe('600 root\n600 root');
    expect(await onGuest('cp1', 'sudo -n cat /etc/systemd/system/k3s.service.env')).toBe('K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token');
    expect(await onGuest('cp1', 'systemctl is-active k3s')).toBe('active');
    const pid = await mainPid('cp1', 'k3s');
    expect(await started('cp1', 'server')).toMatchObject({ pid, version: OLD });
    expect(await onGuest('cp1', `ps -o args= -p ${pid}`)).toContain('/usr/local/bin/k3s server');
  });

  test('k3s agent w1: joins with the lab token; its unit runs; the server lists w1 with its host-only IP', async () => {
    const r = await kubelab(['k3s', 'agent', 'w1']);
    expect(r).toMatchObject({ code: 0 });
    expect(await onGuest('w1', 'systemctl is-active k3s-agent')).toBe('active');
    expect(await onGuest('w1', 'sudo -n sort /etc/systemd/system/k3s-agent.service.env')).toBe('K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token\nK3S_URL=https://192.168.56.10:6443');
    expect(await started('w1', 'agent')).toMatchObject({ pid: await mainPid('w1', 'k3s-agent'), version: OLD });
    expect(await onGuest('cp1', 'sudo -n k3s kubectl get node w1 -o jsonpath=x')).toBe('True 192.168.56.11');
  });

  test('a re-run changes nothing: "unchanged", the same K3s process keeps running', async () => {
    const before = await mainPid('cp1', 'k3s');
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.text).toContain('kubelab: unchanged:');
    expect(await mainPid('cp1', 'k3s')).toBe(before);
  });

  test('after `systemctl stop k3s` the step starts K3s again (install.sh alone would skip: "No change detected")', async () => {
    await onGuest('cp1', 'sudo -n systemctl stop k3s');
    expect(await onGuest('cp1', 'systemctl is-active k3s || true')).toBe('inactive');
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    expect(await onGuest('cp1', 'systemctl is-active k3s')).toBe('active');
    expect(await started('cp1', 'server')).toMatchObject({ pid: await mainPid('cp1', 'k3s'), version: OLD });
  });

  test('an upgrade restarts K3s: the new MainPID runs the new version', async () => {
    const before = await mainPid('cp1', 'k3s');
    useVersion(NEW);
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    const after = await mainPid('cp1', 'k3s');
    expect(after).not.toBe(before);
    expect(await started('cp1', 'server')).toMatchObject({ pid: after, version: NEW });
    expect((await onGuest('cp1', 'k3s --version')).split('\n')[0]).toContain(`k3s version ${NEW} `);
  });

  test('an agent that cannot reach the server: the step fails within its deadline, shows progress, and quotes the agent\'s log', async () => {
    // A fresh agent install (install.sh then sees a new unit and starts it) while the server is down:
    // the new agent never reports READY, and the unit (Type=notify, TimeoutStartSec=0) never gives up.
    await onGuest('w1', 'sudo -n /usr/local/bin/k3s-agent-uninstall.sh >/dev/null 2>&1');
    await onGuest('cp1', 'sudo -n systemctl stop k3s');
    const r = await kubelab(['k3s', 'agent', 'w1', '--ready-timeout', String(READY_TIMEOUT_S)], 8 * 60_000);
    expect(r.killed).toBe(false);
    expect(r.code).not.toBe(0);
    // The deadline plus the install before it (upload, install.sh), which under emulation on a busy machine takes minutes.
    expect(r.seconds).toBeLessThan(READY_TIMEOUT_S + 240);
    expect(r.text).toMatch(/waiting for .*k3s-agent.*: \d+ s of 60 s/);
    expect(r.text).toContain('Failed to validate connection to cluster at https://192.168.56.10:6443');
    // systemd still tries: the unit is there, activating.
    expect(await onGuest('w1', 'systemctl show -p ActiveState --value k3s-agent')).toBe('activating');
  });

  test('vm destroy: the VMs, their qemu processes and the pinned SSH host keys are gone', async () => {
    const pins = () => Object.keys(JSON.parse(fs.readFileSync(labPaths(project).knownHosts, 'utf8')));
    expect(pins().sort()).toEqual(['cp1', 'w1']);
    const state = () => JSON.parse(fs.readFileSync(path.join(root, 'vbox', 'state.json'), 'utf8')) as { vms: { name: string; qemuPid?: number }[] };
    const pids = state().vms.map((v) => v.qemuPid).filter((p): p is number => !!p);
    expect(pids).toHaveLength(2);
    for (const node of ['cp1', 'w1']) expect(await kubelab(['vm', 'destroy', node, '--lab', LAB])).toMatchObject({ code: 0 });
    expect(state().vms.map((v) => v.name)).toEqual([`${LAB}-base`]);
    // Gone, or a zombie its parent has not reaped yet (qemu daemonizes; this container's PID 1 reaps it).
    const runs = (pid: number) => {
      try {
        return !/^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (const pid of pids) expect(runs(pid)).toBe(false);
    expect(pins()).toEqual([]);
  });
});

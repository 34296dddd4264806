/**
 * REAL GUESTS (`npm run test:guest`, not part of `npm test`): kubelab's VM, SSH and K3s
 * steps against Debian 13 cloud guests booted under qemu (software emulation) behind the
 * qemu mode of the VBoxManage stand-in. The guest's kernel, systemd, cloud-init, netplan,
 * sshd and sudo are real; VirtualBox (the stand-in), K3s (k3s-standin.py), install.sh
 * (install-standin.sh) and K3s's release downloads (release-standin.ts, on the host's loopback)
 * are stand-ins. Every assertion reads what happened in the guests,
 * over `kubelab ssh`. run.sh builds the image and puts this file in a network namespace of
 * its own; the stand-in refuses to touch networking anywhere else.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { labPaths } from '../../config/paths';
import { fillCache } from '../../cli/k3s/installer-files';
import { ReleaseStandIn, STANDIN_TARBALL, startReleaseStandIn } from '../k3s/release-standin';
import { LoopbackProxy, startLoopbackProxy } from '../support/loopback-proxy';
import { guestDescribe, killLeftoverGuests, kubelabNodeArgs, qemuVirtualBox, runTimed, serveGuestImage, standInK3sInstaller, TimedRun } from './guest-lab';

const GUEST_DIR = process.env.KUBELAB_TEST_GUEST_DIR;
const LAB = 'glab';
const OLD = 'v1.36.4+k3s1';
const NEW = 'v1.36.5+k3s1';
/** How long the hang test lets K3s take to report ready before kubelab must give up. */
const READY_TIMEOUT_S = 60;
/** The host's address on the suite's host-only bridge, where the lab's proxy listens. */
const HOST_IP = '192.168.56.1';
/** The user's own mirror for docker.io (nothing listens there: K3s here pulls nothing). */
const USER_MIRROR = `http://${HOST_IP}:5000`;

type Run = TimedRun;


const timings: [string, number][] = [];

guestDescribe('real-guest suite', 'test:guest')('a lab of real guests: cp1 (server) and w1 (agent)', () => {
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let image: Awaited<ReturnType<typeof serveGuestImage>>;
  /** The lab's `proxy:`: it forwards nothing (this namespace has no internet), it answers 502 and records what it was asked. */
  let proxy: LoopbackProxy | undefined;
  /** K3s's releases as the host downloads them (KUBELAB_K3S_RELEASE_BASE_URL): it counts the bytes it served. */
  let release: ReleaseStandIn;

  /** `kubelab <args>` in the lab project, in its own process; killed after boundMs. */
  const kubelab = (args: string[], boundMs = 15 * 60_000): Promise<Run> =>
    runTimed(`kubelab ${args.join(' ')}`, process.execPath, kubelabNodeArgs(args, project), { env, cwd: project, boundMs, timings });

  /** A command's output on a node, through `kubelab ssh` (which exits with the command's status). */
  const onGuest = async (node: string, command: string): Promise<string> => {
    const r = await kubelab(['ssh', node, '--', command], 120_000);
    if (r.code !== 0) throw new Error(`kubelab ssh ${node} -- ${command}: exit ${r.code}\n${r.text}`);
    return r.stdout.trim();
  };
  const mainPid = async (node: string, unit: string) => Number(await onGuest(node, `systemctl show -p MainPID --value ${unit}`));
  /** What the stand-in k3s process wrote when it started: its pid and version. */
  const started = async (node: string, role: 'server' | 'agent') =>
    JSON.parse(await onGuest(node, `cat /run/k3s-standin/${role}.json`)) as { pid: number; version: string; args: string[]; images: Record<string, string>; registries: string | null };
  /** The air-gap images K3s found in its images dir when it started: the release's tarball, by its sha256, under a name K3s decompresses as zstd. */
  const expectReleaseImages = (images: Record<string, string>) => {
    expect(Object.values(images)).toEqual([release.tarballSha256]);
    expect(Object.keys(images)[0]).toMatch(/\.tar\.zst$/);
  };
  /**
   * The registries.yaml a node holds: the user's docker.io mirror, and every registry the lab's images come from
   * listed for the embedded mirror, with no endpoint of its own (an empty key, as in K3s's docs' example).
   */
  const expectRegistries = (text: string) => {
    const { mirrors } = parseYaml(text) as { mirrors: Record<string, unknown> };
    expect(mirrors).toEqual({ 'docker.io': { endpoint: [USER_MIRROR] }, 'registry.k8s.io': null, 'ghcr.io': null });
  };

  const useVersion = (version: string, installer: 'local' | 'online' = 'local', dockerMirror = USER_MIRROR) => {
    const k3sLines = standInK3sInstaller(project, version).map((line) => (installer === 'online' && line.trim().startsWith('installer:') ? '  installer: { source: online }' : line));
    fs.writeFileSync(
      path.join(project, 'kubelab.config.yaml'),
      [
        `name: ${LAB}`,
        ...k3sLines,
        ...(proxy ? [`proxy: { http: ${proxy.url} }`] : []),
        `registries: { mirrors: { docker.io: { endpoint: ["${dockerMirror}"] } } }`,
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
    fs.mkdirSync(project);
    useVersion(OLD);
    image = await serveGuestImage(GUEST_DIR!);
    release = await startReleaseStandIn();
    env = {
      ...process.env,
      ...qemuVirtualBox(root, GUEST_DIR!),
      KUBELAB_IMAGE_BASE_URL: image.baseUrl,
      KUBELAB_K3S_RELEASE_BASE_URL: release.baseUrl,
      XDG_CACHE_HOME: path.join(root, 'cache'),
      HOME: root,
    };
    delete env.NODE_EXTRA_CA_CERTS;
  });

  afterAll(async () => {
    killLeftoverGuests(root);
    await image.close();
    await release?.close();
    await proxy?.close();
    fs.rmSync(root, { recursive: true, force: true });
    console.log(`guest suite timings (s):\n${timings.map(([what, s]) => `${String(s).padStart(5)}  ${what}`).join('\n')}`);
  });

  test('network up: the host-only interface has 192.168.56.1/24 in this namespace', async () => {
    const r = await kubelab(['network', 'up']);
    expect(r.code).toBe(0);
    const addr = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'vboxnet0'], { encoding: 'utf8' });
    expect(addr).toContain('inet 192.168.56.1/24');
    // The lab's proxy on the bridge; the VMs get it from their seed, K3s from its installer.
    proxy = await startLoopbackProxy({}, HOST_IP);
    useVersion(OLD);
  });

  test('image import: the guest OVA is downloaded over loopback, checked against SHA256SUMS and imported', async () => {
    const r = await kubelab(['image', 'import']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.text).toMatch(/downloaded and verified .* \(sha256 [0-9a-f]{64}\)/);
  });

  test('vm create cp1 and w1 boot real guests: hostname, kubelab user with sudo, static IP on enp0s8, default route only on enp0s3', async () => {
    // Under emulation on a busy machine a first boot can take far longer than kubelab's default 15 minutes.
    const runs = await Promise.all(['cp1', 'w1'].map((n) => kubelab(['vm', 'create', n, '--timeout', '30m'], 35 * 60_000)));
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

  test('proxy: apt and login shells in the guests use the lab proxy, and the proxy sees their requests', async () => {
    // One login per guest (each costs seconds under emulation): apt's proxy settings, then apt
    // fetching its indexes (the proxy answers 502: no internet here); on w1 a login shell's
    // proxy variables (from /etc/environment) and curl through them.
    const aptProxy = "apt-config dump | grep -i '^Acquire::https\\?::Proxy '";
    const cp1 = await onGuest('cp1', `${aptProxy}; sudo -n apt-get -o Acquire::Retries=0 update >/dev/null 2>&1; true`);
    const w1 = await onGuest('w1', `${aptProxy}; echo "$HTTP_PROXY $https_proxy $NO_PROXY"; curl -s -o /dev/null -w '%{http_code}\\n' http://proxy-check.invalid/; true`);
    const aptLines = [`Acquire::http::Proxy "${proxy!.url}";`, `Acquire::https::Proxy "${proxy!.url}";`];
    expect(cp1.split('\n')).toEqual(aptLines);
    expect(w1.split('\n')).toEqual([...aptLines, `${proxy!.url} ${proxy!.url} 127.0.0.1,localhost,192.168.56.0/24`, '502']);
    expect(proxy!.seen.filter((r) => /^GET http:\/\/\S+\/dists\/\S+/.test(r))).not.toEqual([]);
    expect(proxy!.seen).toContain('GET http://proxy-check.invalid/');
  });

  test('kubelab ssh: runs the command as kubelab and exits with its status', async () => {
    expect(await onGuest('cp1', 'echo "$USER on $(hostname)"')).toBe('kubelab on cp1');
    const r = await kubelab(['ssh', 'cp1', '--', 'exit 3']);
    expect(r.code).toBe(3);
  });

  test("an online install: the host downloads K3s's air-gap images once; the installer's curl asks the lab proxy for get.k3s.io", async () => {
    useVersion(OLD, 'online');
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r.code).not.toBe(0);
    expect(r.text).toContain('cannot download the K3s installer from https://get.k3s.io on cp1');
    expect(proxy!.seen).toContain('CONNECT get.k3s.io:443');
    // The host fetched the tarball whole, once, before the node's own download failed.
    expect(release.served.get(`/${encodeURIComponent(OLD)}/${STANDIN_TARBALL}`)).toBe(release.tarball.length);
  });

  test('k3s server cp1 (online, from the host\'s caches): Type=notify unit with the node flags, env file 0600 holding the token path and the lab proxy, token 0600, K3s is the unit\'s running MainPID; the air-gap images were there before K3s started', async () => {
    // What a successful online install leaves on the host (install.sh and the binary, cli/k3s/step.ts
    // cacheOnlineInstall): the guests cannot reach get.k3s.io, so the stand-ins take their place.
    fillCache(OLD, 'amd64', { installScript: path.join(project, 'install.sh'), binary: path.join(project, `k3s-${OLD}`) }, env);
    const servedBefore = release.totalServed();
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    // No K3s artifact downloaded again: the host's cache served the tarball.
    expect(release.totalServed()).toBe(servedBefore);
    const [unit, registries] = (await onGuest('cp1', 'cat /etc/systemd/system/k3s.service; echo "--- registries"; sudo -n cat /etc/rancher/k3s/registries.yaml')).split('--- registries\n');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/k3s server .*'--embedded-registry'/m);
    expectRegistries(registries);
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/k3s server .*'--node-ip' '192\.168\.56\.10' .*'--flannel-iface' 'enp0s8'/m);
    expect(await onGuest('cp1', 'sudo -n stat -c "%a %U" /etc/systemd/system/k3s.service.env /etc/rancher/k3s/kubelab-token')).toBe('600 root\n600 root');
    // The token path and, from `proxy:`, the proxy for K3s and containerd (the lab's own network goes direct).
    // (Sorted in C order, as the guest's `LC_ALL=C sort` does.)
    const proxyEnv = [`HTTP_PROXY=${proxy!.url}`, `HTTPS_PROXY=${proxy!.url}`, 'NO_PROXY=127.0.0.1,localhost,192.168.56.0/24'].sort();
    expect(await onGuest('cp1', 'sudo -n cat /etc/systemd/system/k3s.service.env | LC_ALL=C sort')).toBe(['K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token', ...proxyEnv].sort().join('\n'));
    expect(await onGuest('cp1', 'systemctl is-active k3s')).toBe('active');
    const pid = await mainPid('cp1', 'k3s');
    const cp1 = await started('cp1', 'server');
    expect(cp1).toMatchObject({ pid, version: OLD });
    expect(cp1.args).toContain('--embedded-registry');
    expectReleaseImages(cp1.images);
    expect(await onGuest('cp1', `ps -o args= -p ${pid}`)).toContain('/usr/local/bin/k3s server');
    // The running K3s has the proxy in its environment (systemd read the env file).
    expect(await onGuest('cp1', `sudo -n cat /proc/${pid}/environ | tr '\\0' '\\n' | grep _PROXY= | LC_ALL=C sort`)).toBe(proxyEnv.join('\n'));
  });

  test('k3s agent w1: joins with the lab token; its unit runs; the server lists w1 with its host-only IP; the air-gap images were there before K3s started', async () => {
    const servedBefore = release.totalServed();
    const r = await kubelab(['k3s', 'agent', 'w1']);
    expect(r).toMatchObject({ code: 0 });
    expect(release.totalServed()).toBe(servedBefore);
    expect(await onGuest('w1', 'systemctl is-active k3s-agent')).toBe('active');
    const [envFile, registries] = (await onGuest('w1', 'sudo -n cat /etc/systemd/system/k3s-agent.service.env | LC_ALL=C sort; echo "--- registries"; sudo -n cat /etc/rancher/k3s/registries.yaml')).split('\n--- registries\n');
    expect(envFile).toBe(
      [`HTTP_PROXY=${proxy!.url}`, `HTTPS_PROXY=${proxy!.url}`, 'K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token', 'K3S_URL=https://192.168.56.10:6443', 'NO_PROXY=127.0.0.1,localhost,192.168.56.0/24'].sort().join('\n'),
    );
    expectRegistries(registries);
    const w1 = await started('w1', 'agent');
    expect(w1).toMatchObject({ pid: await mainPid('w1', 'k3s-agent'), version: OLD });
    expectReleaseImages(w1.images);
    expect(await onGuest('cp1', `sudo -n k3s kubectl get node w1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address}'`)).toBe('True 192.168.56.11');
  });

  test('a re-run changes nothing: "unchanged", the same K3s process keeps running, nothing downloaded', async () => {
    const before = await mainPid('cp1', 'k3s');
    const servedBefore = release.totalServed();
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    expect(release.totalServed()).toBe(servedBefore);
    expect(r.text).toContain('kubelab: unchanged:');
    expect(await mainPid('cp1', 'k3s')).toBe(before);
  });

  test('a change of only the registries: K3s restarts once (a new MainPID, the same version) and reads the new file; the step held the lab-wide lock and waited for the node to come back', async () => {
    const before = await mainPid('cp1', 'k3s');
    useVersion(OLD, 'online', `http://${HOST_IP}:5001`);
    const r = await kubelab(['k3s', 'server', 'cp1']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.text).toMatch(/cp1: K3s already runs here; changing it while no other node changes \(lab-wide lock\)[\s\S]*cp1: restarting k3s so that K3s reads the new registries[\s\S]*cp1: node is Ready/);
    const after = await started('cp1', 'server');
    expect(after).toMatchObject({ pid: await mainPid('cp1', 'k3s'), version: OLD });
    expect(after.pid).not.toBe(before);
    expect(after.registries).toBe((await onGuest('cp1', 'sudo -n sha256sum /etc/rancher/k3s/registries.yaml')).split(' ')[0]);
    expect(await onGuest('cp1', 'sudo -n cat /etc/rancher/k3s/registries.yaml')).toContain(`http://${HOST_IP}:5001`);
  });

  test('a second lab on this host downloads no K3s artifact: its `kubelab k3s images` finds the host\'s copy', async () => {
    const second = path.join(root, 'second-lab');
    fs.mkdirSync(second);
    fs.writeFileSync(
      path.join(second, 'kubelab.config.yaml'),
      [`name: ${LAB}2`, `k3s:`, `  version: ${OLD}`, `  installer: { source: online }`, `nodes:`, `  - { name: cp1, role: server, ip: 192.168.56.20 }`, ``].join('\n'),
    );
    const servedBefore = release.totalServed();
    const r = await runTimed('kubelab k3s images (second lab)', process.execPath, kubelabNodeArgs(['k3s', 'images'], second), { env, cwd: second, boundMs: 120_000, timings });
    expect(r).toMatchObject({ code: 0 });
    expect(r.text).not.toContain('downloading');
    expect(release.totalServed()).toBe(servedBefore);
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
    // From local files (the release stand-in serves only the old version).
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
    // The uninstall also removes the images dir; the fresh install ships the host's cached tarball again (a K3s down/up), downloading nothing.
    await onGuest('w1', 'sudo -n /usr/local/bin/k3s-agent-uninstall.sh >/dev/null 2>&1');
    await onGuest('cp1', 'sudo -n systemctl stop k3s');
    useVersion(OLD, 'online');
    const servedBefore = release.totalServed();
    const r = await kubelab(['k3s', 'agent', 'w1', '--ready-timeout', String(READY_TIMEOUT_S)], 8 * 60_000);
    expect(release.totalServed()).toBe(servedBefore);
    expect(r.killed).toBe(false);
    expect(r.code).not.toBe(0);
    // The deadline plus the install before it (upload, install.sh), which under emulation on a busy machine takes minutes.
    expect(r.seconds).toBeLessThan(READY_TIMEOUT_S + 240);
    expect(r.text).toMatch(/waiting for .*k3s-agent.*: \d+ s of 60 s/);
    expect(r.text).toContain('Failed to validate connection to cluster at https://192.168.56.10:6443');
    // systemd still tries: the unit is there, activating.
    const [state, images] = (await onGuest('w1', 'systemctl show -p ActiveState --value k3s-agent; sudo -n sha256sum /var/lib/rancher/k3s/agent/images/*')).split('\n');
    expect(state).toBe('activating');
    expect(images.split(/\s+/)[0]).toBe(release.tarballSha256);
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

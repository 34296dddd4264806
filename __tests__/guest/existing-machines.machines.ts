/**
 * REAL GUESTS as EXISTING MACHINES (`npm run test:machines`): two Debian guests booted by qemu
 * directly (plain-machines.ts), prepared only as docs/growing-the-lab.md tells a user, each
 * with a NAT NIC holding the default route and the lab address on a second NIC. A lab of
 * these two machines (m1 server, m2 agent) is driven through `npm run up` / `npm run down`
 * with the real cdktf CLI and terraform (the null provider, and resource-less kubernetes and
 * helm providers, served by the provider stand-in from a filesystem mirror). The guests'
 * kernel, systemd, sshd, sudo and iproute2 are real; K3s (k3s-standin.py) and its install.sh
 * (install-standin.sh) are stand-ins. Every assertion reads what happened on the machines,
 * over `kubelab ssh`, or in Terraform's state.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureLabKeyPair, readableKeyPair } from '../../cli/ssh/keys';
import { labPaths } from '../../config/paths';
import { Booted, PlainMachine, PlainNetwork, bootPlainMachine, bridgeDown, bridgeUp, stopPlainMachine, waitForSsh } from './plain-machines';
import { CHARTLESS_COMPONENTS, guestDescribe, labProjectEnv, runTimed, TimedRun } from './guest-lab';

const REPO = path.resolve(__dirname, '..', '..');
const GUEST_DIR = process.env.KUBELAB_TEST_GUEST_DIR;
const LAB = 'exlab';
const VERSION = 'v1.36.4+k3s1';
const NETWORK: PlainNetwork = { bridge: 'pmbr0', hostCidr: '10.20.0.1/24' };
/** Under emulation on a busy machine a first boot can take minutes. */
const BOOT_TIMEOUT_MS = 30 * 60_000;

type Run = TimedRun;

const timings: [string, number][] = [];

/** Paths on a machine that only kubelab or K3s (through kubelab) would put there. */
const KUBELAB_PATHS = ['/usr/local/bin/k3s', '/usr/local/bin/kubectl', '/usr/local/bin/crictl', '/usr/local/bin/ctr', '/usr/local/bin/k3s-uninstall.sh', '/usr/local/bin/k3s-agent-uninstall.sh', '/etc/rancher', '/var/lib/rancher', '/var/lib/kubelab', '/etc/systemd/system/k3s.service', '/etc/systemd/system/k3s-agent.service'];

/**
 * What a machine holds, to compare before and after: its users, its packages, the user's
 * file, and every path under the dirs an install could touch. Left out: what the running
 * system itself rewrites (journal, timers' stamps, random seed, apt and man caches, logs).
 */
const SNAPSHOT = [
  'set -e',
  'echo "## users"; getent passwd | sort',
  'echo "## groups"; getent group | sort',
  'echo "## packages"; dpkg-query -W -f "\\${Package} \\${Version}\\n" | sort',
  'echo "## notes"; sha256sum /home/learner/notes.txt',
  'echo "## files"',
  'sudo -n find /etc /usr /opt /srv /home /root /var/lib -xdev \\( -path /var/lib/systemd -o -path /var/lib/dhcp -o -path /var/lib/private -o -path /var/cache \\) -prune -o -print | LC_ALL=C sort',
].join('\n');

guestDescribe('existing-machines guest scenario', 'test:machines')('existing machines as nodes: plain guests prepared as the docs say, from npm run up to removal', () => {
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  const booted: Booted[] = [];
  const baseline: Record<string, string> = {};

  const machines: PlainMachine[] = [];
  const config = (nodes: string[]) =>
    fs.writeFileSync(
      path.join(project, 'kubelab.config.yaml'),
      [
        `name: ${LAB}`,
        `k3s:`,
        `  version: ${VERSION}`,
        `  installer: { source: local, binary: k3s-standin, script: install.sh }`,
        // Nothing for the charts stacks to install: this scenario is about the machines.
        ...CHARTLESS_COMPONENTS,
        `nodes:`,
        ...[
          `  - { name: m1, role: server, host: { address: 10.20.0.11, user: learner } }`,
          // The user's own key, placed in .kubelab/ as the docs say (keyFile).
          `  - { name: m2, role: agent, host: { address: 10.20.0.12, user: learner, keyFile: ssh/m2-key } }`,
        ].filter((l) => nodes.some((n) => l.includes(`name: ${n},`))),
        ``,
      ].join('\n'),
    );

  /** A process in the project (node <script> <args>), its output and exit status. */
  const inProject = (what: string, args: string[], boundMs = 20 * 60_000): Promise<Run> =>
    runTimed(what, process.execPath, args, { env, cwd: project, boundMs, timings });
  const kubelab = (args: string[], boundMs?: number) => inProject(`kubelab ${args.join(' ')}`, [path.join(project, 'bin', 'kubelab.js'), ...args], boundMs);
  /** `npm run up` / `npm run down` as package.json runs them (node bin/lab.js …); the provider lock needs the registry, so it is skipped. */
  const npmRun = (script: 'up' | 'down') => inProject(`npm run ${script}`, [path.join(project, 'bin', 'lab.js'), script, '--skip-provider-lock']);

  const onMachine = async (node: string, command: string, label = `kubelab ssh ${node} -- ${command}`): Promise<string> => {
    const r = await inProject(label, [path.join(project, 'bin', 'kubelab.js'), 'ssh', node, '--', command], 120_000);
    if (r.code !== 0) throw new Error(`kubelab ssh ${node} -- ${command}: exit ${r.code}\n${r.text}`);
    return r.text.trim();
  };
  /** A command on a machine the lab config no longer names: plain OpenSSH with the user's key, as the user would log in. */
  const overOpenSsh = (m: PlainMachine, keyFile: string, command: string): string =>
    execFileSync('ssh', ['-i', path.join(labPaths(project).stateDir, keyFile), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${path.join(root, 'known_hosts')}`, `${m.user}@${m.address}`, command], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }).trim();
  /**
   * Several commands in one SSH session (each `kubelab ssh` costs seconds under emulation): each
   * one's output (stdout and stderr), trimmed, under its key.
   */
  const onMachineAll = async <K extends string>(node: string, commands: Record<K, string>): Promise<Record<K, string>> => {
    const marker = '### kubelab-test-section ';
    const script = Object.entries(commands).map(([key, command]) => `echo '${marker}${key}'; ( ${command} ) 2>&1`).join('\n');
    const out = await onMachine(node, script, `kubelab ssh ${node} -- (${Object.keys(commands).join(', ')})`);
    const sections = Object.fromEntries(
      out
        .split(marker)
        .slice(1)
        .map((part) => (part.includes('\n') ? [part.slice(0, part.indexOf('\n')), part.slice(part.indexOf('\n') + 1).trim()] : [part, ''])),
    );
    return Object.fromEntries(Object.keys(commands).map((k) => [k, sections[k] ?? ''])) as Record<K, string>;
  };
  const mainPid = async (node: string, unit: string) => Number(await onMachine(node, `systemctl show -p MainPID --value ${unit}`));
  const started = async (node: string, role: 'server' | 'agent') => JSON.parse(await onMachine(node, `cat /run/k3s-standin/${role}.json`)) as { pid: number; version: string; args: string[] };
  /** Each node's name and the address its flannel announces (the annotation flannel writes), as m1's API server holds them. */
  const FLANNEL_ANNOUNCED = `sudo -n k3s kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.annotations.flannel\\.alpha\\.coreos\\.com/public-ip}{"\\n"}{end}'`;
  const KUBELAB_PATHS_PRESENT = `for p in ${KUBELAB_PATHS.join(' ')} /tmp/kubelab.*; do [ -e "$p" ] && echo "$p"; done; true`;
  const kubelabPathsOn = (node: string) => onMachine(node, KUBELAB_PATHS_PRESENT);
  const stateAddresses = () => {
    const file = path.join(project, 'terraform.k3s.tfstate');
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { resources: { name: string }[] };
    return state.resources.map((r) => r.name).sort();
  };
  const recorded = () => (fs.existsSync(labPaths(project).machinesDir) ? fs.readdirSync(labPaths(project).machinesDir).sort() : []);

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-existing-'));
    project = path.join(root, 'project');
    fs.mkdirSync(project);
    // The app from this repo; bin/ copied, because the CLI finds the project from its own path.
    for (const entry of ['cli', 'config', 'constructs', 'stacks', 'node_modules']) fs.symlinkSync(path.join(REPO, entry), path.join(project, entry));
    for (const file of ['main.ts', 'lab.ts', 'cdktf.json', 'package.json', 'tsconfig.json']) fs.copyFileSync(path.join(REPO, file), path.join(project, file));
    fs.cpSync(path.join(REPO, 'bin'), path.join(project, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(__dirname, 'install-standin.sh'), path.join(project, 'install.sh'));
    fs.writeFileSync(path.join(project, 'k3s-standin'), fs.readFileSync(path.join(__dirname, 'k3s-standin.py'), 'utf8').replace("VERSION = 'v0.0.0+standin'", `VERSION = '${VERSION}'`), { mode: 0o755 });
    const paths = labPaths(project);
    const labKey = ensureLabKeyPair(paths).publicKey;
    const own = readableKeyPair('learner@laptop');
    fs.writeFileSync(path.join(paths.stateDir, 'ssh', 'm2-key'), own.private, { mode: 0o600 });
    config(['m1', 'm2']);

    machines.push(
      { name: 'm1', address: '10.20.0.11', user: 'learner', cpus: 2, memoryMb: 2048, authorizedKeys: [labKey] },
      { name: 'm2', address: '10.20.0.12', user: 'learner', cpus: 1, memoryMb: 1024, authorizedKeys: [own.public] },
    );
    bridgeUp(NETWORK);
    const t0 = Date.now();
    machines.forEach((m, i) => booted.push(bootPlainMachine(GUEST_DIR!, root, NETWORK, m, i + 1)));
    env = labProjectEnv(root);
    await Promise.all(booted.map((b) => waitForSsh(b.machine.address, BOOT_TIMEOUT_MS, b.serialLog)));
    for (const m of machines) expect(await onMachine(m.name, 'cloud-init status --wait >/dev/null; cloud-init status')).toContain('status: done');
    timings.push(['boot both machines to SSH and cloud-init done', Math.round((Date.now() - t0) / 1000)]);
  }, BOOT_TIMEOUT_MS + 5 * 60_000);

  afterAll(() => {
    for (const b of booted) stopPlainMachine(b);
    try {
      bridgeDown(NETWORK);
    } catch {
      // not in a namespace of our own: nothing was made
    }
    fs.rmSync(root, { recursive: true, force: true });
    console.log(`existing-machines timings (s):\n${timings.map(([what, s]) => `${String(s).padStart(5)}  ${what}`).join('\n')}`);
  });

  test('the machines as the docs prepare them: the user with passwordless sudo from /etc/sudoers.d/kubelab, the key, no kubelab user; the default route on the NAT NIC, the lab address on enp0s8', async () => {
    await Promise.all(
      machines.map(async (m) => {
        const on = await onMachineAll(m.name, {
          who: 'echo "$USER on $(hostname)"; sudo -n id -un',
          sudoers: 'sudo -n cat /etc/sudoers.d/kubelab',
          kubelabUser: 'getent passwd kubelab || echo none',
          route: 'ip -4 route show default',
          labNic: 'ip -4 -o addr show dev enp0s8',
          kubelabPaths: KUBELAB_PATHS_PRESENT,
          snapshot: SNAPSHOT,
        });
        expect(on.who).toBe(`learner on ${m.name}\nroot`);
        expect(on.sudoers).toBe('learner ALL=(ALL) NOPASSWD:ALL');
        expect(on.kubelabUser).toBe('none');
        expect(on.route).toMatch(/^default via 10\.0\.2\.2 dev enp0s3\b/);
        expect(on.labNic).toMatch(new RegExp(`^\\d+: enp0s8\\s+inet ${m.address.replace(/\./g, '\\.')}/24 `));
        expect(on.kubelabPaths).toBe('');
        baseline[m.name] = on.snapshot;
      }),
    );
  });

  test('kubelab doctor: each machine fits, the default route on the NAT NIC is said (kubelab passes --flannel-iface), and the ports K3s needs are reached both ways', async () => {
    const r = await kubelab(['doctor']);
    expect({ code: r.code, text: r.text }).toEqual({ code: 0, text: expect.stringContaining('this host can run the lab') });
    for (const [m, address] of [['m1', '10.20.0.11'], ['m2', '10.20.0.12']]) {
      for (const check of ['ssh', 'sudo', 'os', 'resources', 'k3s', 'hostname', 'swap']) expect(r.text).toMatch(new RegExp(`^ok {3}${check}: ${m} \\(learner@`, 'm'));
      expect(r.text).toMatch(new RegExp(`^ok {3}interfaces: ${m} .*the default route leaves through enp0s3, while ${address.replace(/\./g, '\\.')} is on enp0s8.*--flannel-iface enp0s8$`, 'm'));
    }
    expect(r.text).toMatch(/^ok {3}ports: m2 → m1 \(10\.20\.0\.11\): 6443\/tcp, 8472\/udp, 10250\/tcp reached$/m);
    expect(r.text).toMatch(/^ok {3}ports: m1 → m2 \(10\.20\.0\.12\): 8472\/udp, 10250\/tcp reached$/m);
  });

  test('kubelab doctor on a machine that drops VXLAN and calls itself otherwise: the blocked port fails, the hostname warns', async () => {
    // A firewall rule as tc (iproute2) writes it: drop UDP to port 8472 arriving on enp0s8.
    const dropVxlan = 'sudo -n tc qdisc add dev enp0s8 ingress && sudo -n tc filter add dev enp0s8 parent ffff: protocol ip u32 match ip protocol 17 0xff match ip dport 8472 0xffff action drop';
    await onMachine('m2', `${dropVxlan} && sudo -n hostname pi-m2`);
    try {
      const r = await kubelab(['doctor']);
      expect(r.code).not.toBe(0);
      expect(r.text).toMatch(/^FAIL ports: m1 → m2 \(10\.20\.0\.12\): 8472\/udp \(flannel VXLAN\) not reached within \d+ s/m);
      expect(r.text).toMatch(/fix: allow 8472\/udp from 10\.20\.0\.11 in m2's firewall/);
      expect(r.text).toMatch(/^ok {3}ports: m2 → m1 /m);
      expect(r.text).toMatch(/^WARN hostname: m2 .*the hostname is 'pi-m2', not the node name 'm2'/m);
    } finally {
      await onMachine('m2', 'sudo -n tc qdisc del dev enp0s8 ingress; sudo -n hostname m2');
    }
  });

  test('npm run up: K3s server on m1 and agent on m2 over SSH, registered with the addresses the config names, flannel on the NIC holding them', async () => {
    const r = await npmRun('up');
    expect({ code: r.code, tail: r.text.slice(-3000) }).toEqual({ code: 0, tail: expect.anything() });
    const server = await onMachine('m1', 'cat /etc/systemd/system/k3s.service');
    expect(server).toMatch(/^ExecStart=\/usr\/local\/bin\/k3s server .*'--node-name' 'm1' '--node-ip' '10\.20\.0\.11' .*'--flannel-iface' 'enp0s8'/m);
    expect(await onMachine('m1', 'systemctl is-active k3s')).toBe('active');
    const s = await started('m1', 'server');
    expect(s).toMatchObject({ pid: await mainPid('m1', 'k3s'), version: VERSION });
    // The flags the running K3s process was started with.
    expect(s.args.join(' ')).toContain('--node-ip 10.20.0.11 --advertise-address 10.20.0.11');
    expect(s.args.slice(s.args.indexOf('--flannel-iface'), s.args.indexOf('--flannel-iface') + 2)).toEqual(['--flannel-iface', 'enp0s8']);
    const a = await started('m2', 'agent');
    expect(a).toMatchObject({ pid: await mainPid('m2', 'k3s-agent'), version: VERSION });
    expect(a.args).toEqual(['--node-name', 'm2', '--node-ip', '10.20.0.12', '--flannel-iface', 'enp0s8']);
    expect(await onMachine('m2', 'sudo -n sort /etc/systemd/system/k3s-agent.service.env')).toBe('K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token\nK3S_URL=https://10.20.0.11:6443');
    // Each node's Ready condition and InternalIP, as m1's API server holds them.
    const readyAndIp = `sudo -n k3s kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}'`;
    expect(await onMachine('m1', readyAndIp)).toBe('m1 True 10.20.0.11\nm2 True 10.20.0.12');
    expect(stateAddresses()).toEqual(expect.arrayContaining(['server-m1_install', 'server-m1_version', 'agent-m2_install', 'agent-m2_version', 'kubeconfig']));
    expect(recorded()).toEqual(['m1.json', 'm2.json']);
  });

  test('kubelab ssh, status and kubeconfig reach the machines as host: says', async () => {
    expect(await onMachine('m2', 'echo "$USER on $(hostname)"')).toBe('learner on m2');
    expect((await kubelab(['ssh', 'm1', '--', 'exit 3'])).code).toBe(3);
    const status = await kubelab(['status']);
    expect(status.text).toMatch(/^host\s+m1\s+-\s+server, existing machine learner@10\.20\.0\.11$/m);
    expect(status.text).toMatch(/^host\s+m2\s+-\s+agent, existing machine learner@10\.20\.0\.12$/m);
    const kc = await kubelab(['kubeconfig']);
    expect(kc).toMatchObject({ code: 0 });
    expect(fs.readFileSync(labPaths(project).kubeconfig, 'utf8')).toMatch(/server: https:\/\/10\.20\.0\.11:6443/);
    expect(fs.statSync(labPaths(project).kubeconfig).mode & 0o777).toBe(0o600);
  });

  test("kubelab verify through the lab kubeconfig: both nodes Ready on the addresses the config names, flannel announcing them (not the NAT NIC's)", async () => {
    const r = await kubelab(['verify']);
    expect({ code: r.code, text: r.text }).toEqual({ code: 0, text: expect.stringMatching(/^OK {4}nodes {6}m1 10\.20\.0\.11, m2 10\.20\.0\.12: all Ready \(v1\.36\.4\+k3s1\)$/m) });
    for (const check of ['metrics', 'ingress', 'dashboard', 'hpa']) expect(r.text).toMatch(new RegExp(`^SKIP  ${check}\\s+components\\.\\w+\\.enabled is false`, 'm'));
    // What flannel announces, as the API server holds it.
    expect(await onMachine('m1', FLANNEL_ANNOUNCED)).toBe('m1 10.20.0.11\nm2 10.20.0.12');
  });

  test('K3s on m2 restarted without --flannel-iface: its flannel announces the NAT NIC\'s 10.0.2.15 and kubelab verify fails naming it', async () => {
    const unit = '/etc/systemd/system/k3s-agent.service';
    await onMachine('m2', `sudo -n cp -p ${unit} /run/k3s-agent.service.kubelab && sudo -n sed -i "s/ '--flannel-iface' 'enp0s8'//" ${unit} && sudo -n systemctl daemon-reload && sudo -n systemctl restart k3s-agent`);
    try {
      expect((await started('m2', 'agent')).args).toEqual(['--node-name', 'm2', '--node-ip', '10.20.0.12']);
      expect(await onMachine('m1', FLANNEL_ANNOUNCED)).toBe('m1 10.20.0.11\nm2 10.0.2.15');
      const r = await kubelab(['verify']);
      expect(r.code).not.toBe(0);
      expect(r.text).toMatch(/^FAIL  nodes .*node m2's flannel announces 10\.0\.2\.15 \(annotation flannel\.alpha\.coreos\.com\/public-ip\), not its 10\.20\.0\.12: .*--flannel-iface the interface holding 10\.20\.0\.12/m);
    } finally {
      await onMachine('m2', `sudo -n mv /run/k3s-agent.service.kubelab ${unit} && sudo -n systemctl daemon-reload && sudo -n systemctl restart k3s-agent`);
    }
    expect(await onMachine('m1', FLANNEL_ANNOUNCED)).toBe('m1 10.20.0.11\nm2 10.20.0.12');
  });

  test('a second npm run up changes nothing: no step runs, the same K3s processes keep running', async () => {
    const before = [await mainPid('m1', 'k3s'), await mainPid('m2', 'k3s-agent')];
    const r = await npmRun('up');
    expect(r.code).toBe(0);
    expect(r.text).not.toMatch(/null_resource\.\S+(?: \([^)]*\))?: (Creating|Destroying)/);
    expect([await mainPid('m1', 'k3s'), await mainPid('m2', 'k3s-agent')]).toEqual(before);
  });

  test('m2 taken out of the config: npm run up drains it through m1 and uninstalls K3s there; the machine is otherwise as it was', async () => {
    config(['m1']);
    const r = await npmRun('up');
    expect({ code: r.code, tail: r.text.slice(-3000) }).toEqual({ code: 0, tail: expect.anything() });
    expect(r.text).toContain('kubelab: drained and deleted node m2');
    expect(await onMachine('m1', 'sudo -n k3s kubectl get node m2 -o name 2>&1 || true')).toContain('NotFound');
    // m2 is no longer in the lab: read it as its user logs in.
    const m2 = machines[1];
    expect(overOpenSsh(m2, 'ssh/m2-key', 'systemctl is-active k3s-agent || true')).not.toBe('active');
    expect(overOpenSsh(m2, 'ssh/m2-key', KUBELAB_PATHS_PRESENT)).toBe('');
    expect(overOpenSsh(m2, 'ssh/m2-key', SNAPSHOT)).toBe(baseline.m2);
    expect(recorded()).toEqual(['m1.json']);
    expect(await onMachine('m1', 'systemctl is-active k3s')).toBe('active');
    expect((await kubelab(['verify'])).text).toMatch(/^OK {4}nodes {6}m1 10\.20\.0\.11: all Ready /m);
  });

  test('npm run down uninstalls K3s from m1 and leaves no kubelab file on it', async () => {
    const r = await npmRun('down');
    expect({ code: r.code, tail: r.text.slice(-3000) }).toEqual({ code: 0, tail: expect.anything() });
    expect(await kubelabPathsOn('m1')).toBe('');
    expect(await onMachine('m1', SNAPSHOT)).toBe(baseline.m1);
    expect(recorded()).toEqual([]);
  });
});

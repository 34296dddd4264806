import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { KubelabError } from '../../cli/errors';
import * as etcdMember from '../../cli/k3s/etcd-member';
import * as machineRecords from '../../cli/k3s/machine-records';
import * as sshPort from '../../cli/k3s/ssh-port';
import { UninstallRequest, UninstallTiming, parseSshWord, renderUninstallScript, runK3sUninstall } from '../../cli/k3s/uninstall';
import * as client from '../../cli/ssh/client';

/*
 * `kubelab k3s uninstall` (and prune's teardown of a node) against stand-in nodes: which node answers its
 * SSH port, which logins work, and what the server's kubectl says. The commands are checked as a node runs
 * them: kubectl on the server is K3s's embedded `k3s kubectl` as root (sudo -n); `kubectl drain` and
 * `kubectl delete node` with the flags kubectl documents (kubernetes.io docs/reference/kubectl, unverified
 * at a tag); the uninstall script on standard input of `sudo -n bash -s`. The etcd member removal itself
 * has its own tests (etcd-member.test.ts): here, only that it is asked for, first, with its deadline.
 */

type Event = string;
let events: Event[];
let up: Set<string>;
let loginFails: Map<string, Error>;
let inCluster: boolean;
let project: string;
let out: string[];
let etcdCalls: { node: string; timeoutMs: number; pollMs: number }[];
let forgotten: string[];

beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-uninstall-flow-'));
  events = [];
  up = new Set(['192.168.56.10', '192.168.56.11']);
  loginFails = new Map();
  inCluster = true;
  out = [];
  etcdCalls = [];
  forgotten = [];
  jest.spyOn(sshPort, 'answers').mockImplementation(async (target, ms) => {
    events.push(`probe ${target.nodeName} ${target.host}:${target.port} ${ms}`);
    return up.has(target.host);
  });
  jest.spyOn(client, 'connectToNode').mockImplementation(async (options) => {
    const t = options.target;
    events.push(`login ${t.nodeName} ${t.user}@${t.host}:${t.port} vm=${options.vmId ?? '-'} timeout=${options.timeoutMs}`);
    const fails = loginFails.get(t.nodeName);
    if (fails) throw fails;
    const answer = (command: string, timeoutMs?: number, label?: string) => {
      events.push(`${t.nodeName}: ${command}${timeoutMs === undefined ? '' : ` (${timeoutMs} ms)`}${label === undefined ? '' : ` [${label}]`}`);
      if (command.includes(' get node ')) return { code: inCluster ? 0 : 1, stdout: inCluster ? 'node/w1\n' : '', stderr: inCluster ? '' : 'Error from server (NotFound): nodes "w1" not found\n', durationMs: 1 };
      if (command === 'sudo -n bash -s') return { code: 0, stdout: 'some output\nmore output\nkubelab: removed K3s from the node\n', stderr: '', durationMs: 1 };
      return { code: 0, stdout: '', stderr: '', durationMs: 1 };
    };
    return {
      target: t,
      exec: async (command: string, opts: client.CommandOptions = {}) => answer(command, opts.timeoutMs, opts.label),
      run: async (command: string, opts: client.CommandOptions = {}) => {
        if (opts.stdin !== undefined) events.push(`${t.nodeName}: stdin ${opts.stdin === renderUninstallScript({ nodeName: 'w1', role: 'agent' }) ? 'the agent uninstall script of w1' : opts.stdin === renderUninstallScript({ nodeName: 'cp2', role: 'server' }) ? 'the server uninstall script of cp2' : 'something else'}`);
        return answer(command, opts.timeoutMs, opts.label);
      },
      close: () => events.push(`close ${t.nodeName}`),
    } as unknown as client.NodeSession;
  });
  jest.spyOn(etcdMember, 'removeEtcdMember').mockImplementation(async (survivor, node, opts) => {
    events.push(`etcd member of ${node} removed through ${survivor.target.nodeName}`);
    etcdCalls.push({ node, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs });
    return 'not a member';
  });
  jest.spyOn(machineRecords, 'forgetMachine').mockImplementation((_, node) => void forgotten.push(node));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(project, { recursive: true, force: true });
});

const TIMING: UninstallTiming = { probeMs: 1_000, connectTimeoutMs: 2_000 };
const uninstall = (req: Partial<UninstallRequest>, timing: UninstallTiming = TIMING) =>
  runK3sUninstall(new CliContext(project, (l) => out.push(l), (l) => out.push(l)), { nodeName: 'w1', ip: '192.168.56.11', role: 'agent', lab: 'kubelab', ...req }, timing);
const SERVER = { name: 'cp1', ip: '192.168.56.10', vmId: 'vm-cp1' };

describe('an agent', () => {
  test('is drained and deleted through the server (logged in to as its VM), then K3s is removed on the node; every command bounded', async () => {
    await uninstall({ server: SERVER });
    expect(events).toEqual([
      'probe cp1 192.168.56.10:22 1000',
      'login cp1 kubelab@192.168.56.10:22 vm=vm-cp1 timeout=2000',
      'cp1: sudo -n k3s kubectl get node w1 -o name (300000 ms) [kubectl get node w1]',
      'etcd member of w1 removed through cp1',
      'cp1: sudo -n k3s kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s (300000 ms) [kubectl drain w1]',
      'cp1: sudo -n k3s kubectl delete node w1 --ignore-not-found (300000 ms) [kubectl delete node w1]',
      'close cp1',
      'probe w1 192.168.56.11:22 1000',
      'login w1 kubelab@192.168.56.11:22 vm=- timeout=2000',
      'w1: stdin the agent uninstall script of w1',
      'w1: sudo -n bash -s (300000 ms) [K3s agent uninstall]',
      'close w1',
    ]);
    expect(etcdCalls).toEqual([{ node: 'w1', timeoutMs: 120_000, pollMs: 2_000 }]);
    expect(out).toEqual(['kubelab: draining w1', 'kubelab: drained and deleted node w1', 'kubelab: removed K3s from the node']);
    expect(forgotten).toEqual([]);
  });

  test('the deadlines given are used: each command, and the etcd removal polled ten times within its own', async () => {
    await uninstall({ server: SERVER }, { ...TIMING, commandTimeoutMs: 7_000, etcdRemovalTimeoutMs: 5_000 });
    expect(events.filter((e) => e.startsWith('cp1: ') || e.startsWith('w1: sudo')).map((e) => e.replace(/ \[.*\]$/, ''))).toEqual([
      'cp1: sudo -n k3s kubectl get node w1 -o name (7000 ms)',
      'cp1: sudo -n k3s kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s (7000 ms)',
      'cp1: sudo -n k3s kubectl delete node w1 --ignore-not-found (7000 ms)',
      'w1: sudo -n bash -s (7000 ms)',
    ]);
    expect(etcdCalls).toEqual([{ node: 'w1', timeoutMs: 5_000, pollMs: 500 }]);
  });

  test('not in the cluster: nothing to drain, K3s still removed', async () => {
    inCluster = false;
    await uninstall({ server: SERVER });
    expect(out).toEqual(['kubelab: node w1 is not in the cluster; nothing to drain', 'kubelab: removed K3s from the node']);
    expect(etcdCalls).toEqual([]);
    expect(events).toContain('close cp1');
  });

  test('no server known: said, and K3s still removed', async () => {
    await uninstall({});
    expect(out).toEqual(['kubelab: the server is not known (no --server, and no lab config to read it from), so w1 is not drained', 'kubelab: removed K3s from the node']);
    expect(events[0]).toBe('probe w1 192.168.56.11:22 1000');
  });

  test('the server does not answer: the cluster is gone, nothing to drain', async () => {
    up.delete('192.168.56.10');
    await uninstall({ server: SERVER });
    expect(out[0]).toBe('kubelab: the server cp1 (192.168.56.10) does not answer: the cluster is gone, nothing to drain');
    expect(events.some((e) => e.startsWith('login cp1'))).toBe(false);
  });

  test('the server answers but refuses the login: said, and K3s still removed; any other failure is not swallowed', async () => {
    loginFails.set('cp1', new KubelabError('host key changed'));
    await uninstall({ server: SERVER });
    expect(out).toEqual(['kubelab: cannot log in to the server (host key changed); w1 is not drained', 'kubelab: removed K3s from the node']);
    loginFails.set('cp1', new TypeError('a bug'));
    await expect(uninstall({ server: SERVER })).rejects.toThrow('a bug');
  });

  test('the VM is gone or stopped: said, nothing else done', async () => {
    up.delete('192.168.56.11');
    await uninstall({});
    expect(out.at(-1)).toBe('kubelab: w1 (192.168.56.11) does not answer on SSH port 22 within 1 s: the VM is gone or stopped; nothing to uninstall');
    expect(events.some((e) => e.startsWith('login w1'))).toBe(false);
  });
});

describe('a server', () => {
  test('the server the others drain through goes last, with the cluster: not drained through itself', async () => {
    await uninstall({ nodeName: 'cp1', ip: '192.168.56.10', role: 'server', server: SERVER });
    expect(events.filter((e) => e.startsWith('login'))).toEqual(['login cp1 kubelab@192.168.56.10:22 vm=- timeout=2000']);
    expect(etcdCalls).toEqual([]);
  });

  test('another server (HA) leaves through the first: its etcd member first, then drained and deleted, then K3s removed', async () => {
    up.add('192.168.56.13');
    await uninstall({ nodeName: 'cp2', ip: '192.168.56.13', role: 'server', server: SERVER });
    expect(etcdCalls.map((c) => c.node)).toEqual(['cp2']);
    expect(events.filter((e) => e.startsWith('login'))).toEqual(['login cp1 kubelab@192.168.56.10:22 vm=vm-cp1 timeout=2000', 'login cp2 kubelab@192.168.56.13:22 vm=- timeout=2000']);
    expect(events).toContain('cp2: stdin the server uninstall script of cp2');
    expect(events).toContain('cp2: sudo -n bash -s (300000 ms) [K3s server uninstall]');
  });

  test('a lone server without --server: not drained, nothing said about a server', async () => {
    await uninstall({ nodeName: 'cp1', ip: '192.168.56.10', role: 'server' });
    expect(out).toEqual(['kubelab: removed K3s from the node']);
  });
});

describe('an existing machine (host: in the config)', () => {
  const ssh = { user: 'ubuntu', port: 2222, keyFile: 'ssh/id_ed25519' };
  test('logged in with its own login; once K3s is removed, kubelab forgets the machine', async () => {
    await uninstall({ ssh, server: { ...SERVER, ssh } });
    expect(events.filter((e) => e.startsWith('probe') || e.startsWith('login'))).toEqual([
      'probe cp1 192.168.56.10:2222 1000',
      'login cp1 ubuntu@192.168.56.10:2222 vm=vm-cp1 timeout=2000',
      'probe w1 192.168.56.11:2222 1000',
      'login w1 ubuntu@192.168.56.11:2222 vm=- timeout=2000',
    ]);
    expect(forgotten).toEqual(['w1']);
  });

  test('off or unreachable: K3s stays there, the user is told the command to run there, and kubelab forgets the machine', async () => {
    up.delete('192.168.56.11');
    await uninstall({ ssh }, { ...TIMING, probeMs: 2_600 });
    expect(out.at(-1)).toBe(
      'kubelab: w1 (192.168.56.11:2222) does not answer on SSH port 2222 within 3 s: the existing machine w1 is off or unreachable, so K3s stays there; remove it there with sudo /usr/local/bin/k3s-agent-uninstall.sh',
    );
    expect(forgotten).toEqual(['w1']);
  });
});

describe('the --ssh word of the steps', () => {
  test('<user>:<port>:<key file>', () => {
    expect(parseSshWord('ubuntu:22:ssh/id_ed25519')).toEqual({ user: 'ubuntu', port: 22, keyFile: 'ssh/id_ed25519' });
    expect(parseSshWord('_a.b-c:65535:k+e=y')).toEqual({ user: '_a.b-c', port: 65535, keyFile: 'k+e=y' });
  });
  test.each(['ubuntu:22', 'Ubuntu:22:k', 'ubuntu:x:k', 'ubuntu:123456:k', 'ubuntu:22:k ey', ' ubuntu:22:k', 'ubuntu:22:k\n', `${'a'.repeat(33)}:22:k`, '9user:22:k'])('%j is refused, with the form it must have', (word) => {
    expect(() => parseSshWord(word)).toThrow(`--ssh ${JSON.stringify(word)} must be <user>:<port>:<key file in .kubelab/>, like ubuntu:22:ssh/id_ed25519`);
  });
});

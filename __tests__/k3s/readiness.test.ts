import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitForApiReady, waitForNodeReady } from '../../cli/k3s/readiness';
import { NodeSession } from '../../cli/ssh/client';
import { LabNode } from '../../config/lab-config';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

/*
 * The waits after a K3s install, against a stand-in session on the server. Time is jest's fake
 * clock: the polls, the deadline and the 15 s progress lines are checked to the millisecond.
 *
 * STAND-IN server, following:
 * - `k3s kubectl` is K3s's embedded kubectl, run as root with sudo -n since the admin kubeconfig is
 *   0600 (k3s-io/docs docs/cli/cli.md "k3s kubectl", unverified at a tag).
 * - `kubectl get --raw /readyz` prints "ok" when the API server is ready; a server that is not ready
 *   answers non-200, which kubectl reports on stderr with a non-zero exit (kubernetes.io
 *   docs/reference/using-api/health-checks, unverified at a tag).
 * - `kubectl get node <name> -o jsonpath=...` is evaluated by the real kubectl (Debian's), offline
 *   (`kubectl label --local`), over a Node object shaped as the API serves it: status.conditions[]
 *   {type, status}, status.addresses[] {type, address} (k8s.io/api core/v1 types.go NodeStatus,
 *   NodeCondition, NodeAddress, unverified at a tag). A node not registered yet: kubectl's
 *   `Error from server (NotFound): nodes "w1" not found` on stderr, exit status 1.
 */

type Answer = { code: number; stdout?: string; stderr?: string } | 'pending';

interface StandIn {
  session: NodeSession;
  commands: string[];
  /** Settles the command that is pending (an answer 'pending'). */
  settle(a: { code: number; stdout?: string; stderr?: string }): void;
}

function standInServer(answer: (command: string, n: number) => Answer): StandIn {
  const commands: string[] = [];
  let pending: ((r: { code: number; stdout: string; stderr: string; durationMs: number }) => void) | undefined;
  const session = {
    target: { nodeName: 'cp1', host: '192.168.56.10', port: 22, user: 'kubelab' },
    exec: (command: string) => {
      commands.push(command);
      const a = answer(command, commands.length);
      if (a === 'pending') return new Promise((resolve) => (pending = resolve));
      return Promise.resolve({ code: a.code, stdout: a.stdout ?? '', stderr: a.stderr ?? '', durationMs: 1 });
    },
  } as unknown as NodeSession;
  return { session, commands, settle: (a) => pending?.({ code: a.code, stdout: a.stdout ?? '', stderr: a.stderr ?? '', durationMs: 1 }) };
}

/** Runs `p` to its end on the fake clock, advancing it in steps of `stepMs`; returns its outcome. */
async function settleOnFakeClock<T>(p: Promise<T>, stepMs = 10, limitMs = 120_000): Promise<{ value?: T; error?: Error }> {
  let outcome: { value?: T; error?: Error } | undefined;
  p.then(
    (value) => (outcome = { value }),
    (error: Error) => (outcome = { error }),
  );
  for (let t = 0; outcome === undefined && t <= limitMs; t += stepMs) await jest.advanceTimersByTimeAsync(stepMs);
  if (!outcome) throw new Error(`still pending after ${limitMs} ms of fake time`);
  return outcome;
}

const W1: LabNode = { name: 'w1', role: 'agent', ip: '192.168.56.11' } as LabNode;

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

describe('waiting for the K3s API to answer /readyz', () => {
  const READYZ = 'sudo -n k3s kubectl get --raw /readyz';

  test('polls every pollMs until the answer is ok, then says so', async () => {
    const at: number[] = [];
    const server = standInServer((_, n) => {
      at.push(Date.now());
      return n < 3 ? { code: 1, stderr: 'The connection to the server 127.0.0.1:6443 was refused' } : { code: 0, stdout: 'ok\n' };
    });
    const out: string[] = [];
    const r = await settleOnFakeClock(waitForApiReady(server.session, { timeoutMs: 60_000, pollMs: 2_000, onProgress: (l) => out.push(l) }));
    expect(r.error).toBeUndefined();
    expect(server.commands).toEqual([READYZ, READYZ, READYZ]);
    expect(at.map((t) => t - at[0])).toEqual([0, 2_000, 4_000]);
    expect(out).toEqual(['kubelab: cp1: K3s API answers /readyz']);
  });

  test.each([
    ['exit 0 but not ok (a verbose or failing answer)', { code: 0, stdout: '[-]etcd failed: reason withheld\nreadyz check failed\n' }],
    ['"ok" with a non-zero exit', { code: 1, stdout: 'ok\n' }],
  ])('%s is not ready', async (_, answer) => {
    const server = standInServer(() => answer);
    const r = await settleOnFakeClock(waitForApiReady(server.session, { timeoutMs: 10_000, pollMs: 1_000 }));
    expect(r.error?.message).toMatch(/^gave up waiting for the K3s API on cp1 to answer \/readyz after 10 s; last seen: /);
  });

  test('on timeout: the last two lines seen, joined; an answer with no output says its exit status', async () => {
    const lines = { code: 1, stderr: 'E1\nE2 refused\nE3 still refused\n' };
    let r = await settleOnFakeClock(waitForApiReady(standInServer(() => lines).session, { timeoutMs: 5_000, pollMs: 1_000 }));
    expect(r.error?.message).toBe('gave up waiting for the K3s API on cp1 to answer /readyz after 5 s; last seen: E2 refused | E3 still refused');
    r = await settleOnFakeClock(waitForApiReady(standInServer(() => ({ code: 1, stderr: '\nThe connection to the server 127.0.0.1:6443 was refused\n' })).session, { timeoutMs: 5_000, pollMs: 1_000 }));
    expect(r.error?.message).toBe('gave up waiting for the K3s API on cp1 to answer /readyz after 5 s; last seen: The connection to the server 127.0.0.1:6443 was refused');
    r = await settleOnFakeClock(waitForApiReady(standInServer(() => ({ code: 7 })).session, { timeoutMs: 5_000, pollMs: 1_000 }));
    expect(r.error?.message).toBe('gave up waiting for the K3s API on cp1 to answer /readyz after 5 s; last seen: exit status 7');
  });

  test('the deadline: a last poll when exactly one pause is left, none after it; ends at the deadline', async () => {
    const at: number[] = [];
    const server = standInServer(() => {
      at.push(Date.now());
      return { code: 1, stderr: 'refused' };
    });
    const start = Date.now();
    const r = await settleOnFakeClock(waitForApiReady(server.session, { timeoutMs: 3_000, pollMs: 1_000 }), 1);
    expect(r.error).toBeDefined();
    // polls at 0, 1, 2 and 3 s: at 2 s exactly one pause (1 s) is left, so it polls once more at the deadline
    expect(at.map((t) => t - start)).toEqual([0, 1_000, 2_000, 3_000]);
  });

  test('a first answer that takes long: the progress line every 15 s says nothing was seen yet', async () => {
    const server = standInServer(() => 'pending');
    const out: string[] = [];
    const p = waitForApiReady(server.session, { timeoutMs: 60_000, pollMs: 1_000, onProgress: (l) => out.push(l) });
    await jest.advanceTimersByTimeAsync(15_000);
    expect(out).toEqual(['kubelab: waiting for the K3s API on cp1 to answer /readyz: 15 s of 60 s (last seen: nothing yet)']);
    server.settle({ code: 0, stdout: 'ok\n' });
    await p;
  });
});

requireTool('kubectl')('waiting for a node to be Ready with its host-only address', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-readiness-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  type NodeStatus = { conditions?: { type: string; status: string }[]; addresses?: { type: string; address: string }[] };
  const NOT_FOUND = { code: 1, stderr: 'Error from server (NotFound): nodes "w1" not found\n' };
  const OTHER_CONDITIONS = [
    { type: 'MemoryPressure', status: 'False' },
    { type: 'DiskPressure', status: 'False' },
  ];

  const evaluated = new Map<string, string>();
  /** The server's answer to the command, for a Node with this status (undefined: not registered). */
  function kubectlOnServer(command: string, status: NodeStatus | undefined): Answer {
    const m = /^sudo -n k3s kubectl get node w1 -o jsonpath='([^']*)'$/.exec(command);
    if (!m) return { code: 1, stderr: `stand-in: not a command a node answers: ${command}` };
    if (!status) return NOT_FOUND;
    const node = JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' }, status });
    const key = `${m[1]}\n${node}`;
    if (!evaluated.has(key)) {
      const file = path.join(dir, 'node.json');
      fs.writeFileSync(file, node);
      evaluated.set(key, execFileSync('kubectl', ['label', '--local', '-f', file, 'stand-in=1', '-o', `jsonpath=${m[1]}`], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS }));
    }
    return { code: 0, stdout: evaluated.get(key) };
  }

  const wait = (statuses: (NodeStatus | undefined)[], timeoutMs = 10_000) => {
    const server = standInServer((command, n) => kubectlOnServer(command, statuses[Math.min(n, statuses.length) - 1]));
    const out: string[] = [];
    const result = settleOnFakeClock(waitForNodeReady(server.session, W1, { timeoutMs, pollMs: 1_000, onProgress: (l) => out.push(l) }));
    return { server, out, result };
  };

  test('registered, then Ready with its host-only address among the others: done, and said', async () => {
    const w = wait([
      undefined,
      { conditions: [...OTHER_CONDITIONS, { type: 'Ready', status: 'False' }], addresses: [{ type: 'InternalIP', address: '192.168.56.11' }] },
      { conditions: [{ type: 'Ready', status: 'True' }, ...OTHER_CONDITIONS], addresses: [{ type: 'Hostname', address: 'w1' }, { type: 'InternalIP', address: '192.168.56.11' }] },
    ]);
    expect((await w.result).error).toBeUndefined();
    expect(w.server.commands).toHaveLength(3);
    expect(w.out).toEqual(['kubelab: w1: node is Ready with InternalIP 192.168.56.11']);
  });

  test.each([
    ['not registered', undefined, 'not registered yet (Error from server (NotFound): nodes "w1" not found)'],
    ['registered, not Ready', { conditions: [{ type: 'Ready', status: 'False' }], addresses: [{ type: 'InternalIP', address: '192.168.56.11' }] }, 'registered, Ready=False, InternalIP=192.168.56.11'],
    ['Ready, no address yet', { conditions: [{ type: 'Ready', status: 'True' }], addresses: [] }, 'registered, Ready=True, InternalIP=none'],
    ['no status yet', {}, 'registered, Ready=unknown, InternalIP=none'],
    ['an address, no Ready condition yet', { conditions: OTHER_CONDITIONS, addresses: [{ type: 'InternalIP', address: '192.168.56.11' }] }, 'registered, Ready=unknown, InternalIP=192.168.56.11'],
  ])('%s: still waiting, and the timeout says what it saw', async (_, status, seen) => {
    const w = wait([status], 2_000);
    expect((await w.result).error?.message).toBe(`gave up waiting for node w1 to be Ready in the cluster after 2 s; last seen: ${seen}`);
    expect(w.server.commands.length).toBeGreaterThan(1);
  });

  test('kubectl failing with no output: its exit status; with output: its last line, trimmed', async () => {
    const server = standInServer(() => ({ code: 255 }));
    const r = await settleOnFakeClock(waitForNodeReady(server.session, W1, { timeoutMs: 3_000, pollMs: 1_000 }));
    expect(r.error?.message).toBe('gave up waiting for node w1 to be Ready in the cluster after 3 s; last seen: not registered yet (exit status 255)');
    const indented = standInServer(() => ({ code: 1, stderr: '\n   Unable to connect to the server: EOF\n' }));
    const e = await settleOnFakeClock(waitForNodeReady(indented.session, W1, { timeoutMs: 3_000, pollMs: 1_000 }));
    expect(e.error?.message).toBe('gave up waiting for node w1 to be Ready in the cluster after 3 s; last seen: not registered yet (Unable to connect to the server: EOF)');
  });

  test.each([
    ['the VirtualBox NAT address', '10.0.2.15', /10\.0\.2\.15 is the VirtualBox NAT address \(NIC1, enp0s3\)/],
    ['another address', '172.16.0.9', /K3s did not use the host-only interface enp0s8; check that the VM's second NIC is on the host-only network with 192\.168\.56\.11\./],
  ])('registered with %s: fails at once (waiting does not fix it), Ready, not Ready or not said yet, with the re-install command', async (_, ip, why) => {
    for (const conditions of [[{ type: 'Ready', status: 'True' }], [{ type: 'Ready', status: 'False' }], OTHER_CONDITIONS]) {
      const w = wait([{ conditions, addresses: [{ type: 'InternalIP', address: ip }] }]);
      const message = (await w.result).error?.message ?? '';
      expect(w.server.commands).toHaveLength(1);
      expect(message).toMatch(new RegExp(`^Node w1 joined with InternalIP ${ip.replace(/\./g, '\\.')}, not its host-only address 192\\.168\\.56\\.11\\. `));
      expect(message).toMatch(why);
      expect(message).toContain('npx kubelab k3s uninstall w1 --ip 192.168.56.11 --role agent --lab <lab> and run the step again.');
    }
  });
});

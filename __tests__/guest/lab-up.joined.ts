/**
 * THE JOINED SUITE (`npm run test:joined`, not part of `npm test`): the lab as users run it,
 * `npm run up` / `npm run diff` / `npm run down` — the real cdktf CLI and terraform binary —
 * while the qemu mode of the VBoxManage stand-in boots real Debian guests. Terraform's
 * providers come from a filesystem mirror of stand-ins (null; kubernetes and helm accept their
 * configuration and serve nothing, so the chart stacks run with every component off and stay
 * empty: no chart can deploy offline). K3s is k3s-standin.py under systemd, installed by
 * install-standin.sh. One lab, one scenario after another, each asserting what happened in the
 * guests (over `kubelab ssh`), in the stand-in's VMs and disks, and in Terraform's state.
 *
 * Shape, chosen to fit the CI budget on 2 cores under emulation (every guest boot costs minutes
 * there): 3 servers (HA, embedded etcd) and 1 agent booted once; the agent is removed before the
 * lab is stopped and started (3 servers boot again) and before one server (cp2) is returned to
 * its snapshot (1 boot): 8 guest boots in all. It covers the joined scenarios and HA on the same
 * guests; removing servers goes 3 → 1 (the lab allows 1, 3 or 5). run.sh puts this file in a
 * network namespace of its own.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labPaths } from '../../config/paths';
import { plannedChanges } from '../terraform/terraform-lab';
import { guestDescribe, qemuRuns, runTimed, TimedRun } from './guest-lab';
import { apiNodes, JoinedLab, startJoinedLab, writeChartlessConfig } from './joined-lab';

const GUEST_DIR = process.env.KUBELAB_TEST_GUEST_DIR;
const LAB = 'jlab';
const OLD = 'v1.36.4+k3s1';
const NEW = 'v1.36.5+k3s1';
const NODES = {
  cp1: { role: 'server', ip: '192.168.56.10' },
  cp2: { role: 'server', ip: '192.168.56.11' },
  cp3: { role: 'server', ip: '192.168.56.12' },
  w1: { role: 'agent', ip: '192.168.56.20' },
} as const;
type Node = keyof typeof NODES;
const SERVERS: Node[] = ['cp1', 'cp2', 'cp3'];

type Run = TimedRun;

interface VboxState {
  vms: { name: string; state: string; qemuPid?: number }[];
  media: { location: string }[];
}

interface Tfstate {
  serial: number;
  resources: { type: string; name: string }[];
}

const timings: [string, number][] = [];

/** The machine's load (1-minute average) now: the suite's times mean little without it. */
const load = () => os.loadavg()[0].toFixed(2);
/** A line for the log the suite's runs go to (KUBELAB_TEST_GUEST_LOG), as it happens. */
const note = (line: string) => {
  if (process.env.KUBELAB_TEST_GUEST_LOG) fs.appendFileSync(process.env.KUBELAB_TEST_GUEST_LOG, `=== ${line}\n`);
};
const scenarioTimes: string[] = [];

/** Scenarios build on each other: after one fails, the rest fail at once instead of waiting on a broken lab. */
let failedScenario = '';
const scenario = (name: string, fn: () => Promise<void>) =>
  test(name, async () => {
    if (failedScenario) throw new Error(`skipped: the earlier scenario "${failedScenario}" failed`);
    const t0 = Date.now();
    const loadBefore = load();
    note(`scenario started (load ${loadBefore}): ${name}`);
    let outcome = 'passed';
    try {
      await fn();
    } catch (err) {
      failedScenario = name;
      outcome = 'FAILED';
      throw err;
    } finally {
      const line = `${outcome} ${String(Math.round((Date.now() - t0) / 1000)).padStart(5)} s  load ${loadBefore} → ${load()}  ${name}`;
      scenarioTimes.push(line);
      note(line);
    }
  });

guestDescribe('joined suite', 'test:joined')('the lab through npm run up/diff/down on real guests: 3 servers (HA) and 1 agent', () => {
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let lab: JoinedLab;
  let nodes: Node[] = ['cp1', 'cp2', 'cp3', 'w1'];
  let version = OLD;

  /** A command in the project, in its own process; killed after boundMs. */
  const run = (what: string, cmd: string, args: string[], boundMs: number): Promise<Run> =>
    runTimed(what, cmd, args, { env, cwd: project, boundMs, timings });
  // cdktf runs `terraform providers lock` after a first init, which asks the registry even when the mirror
  // installed the provider: the stand-ins are served only from the mirror (as in test:terraform).
  const npmRun = (script: 'up' | 'down' | 'diff', ...extra: string[]) =>
    run(`npm run ${script}${extra.length ? ` -- ${extra.join(' ')}` : ''}`, 'npm', ['run', script, '--', ...extra, '--skip-provider-lock'], 40 * 60_000);
  const kubelab = (args: string[], boundMs = 20 * 60_000) => run(`kubelab ${args.join(' ')}`, process.execPath, [path.join(project, 'bin', 'kubelab.js'), ...args], boundMs);
  const expectOk = (r: Run) => {
    if (r.code !== 0) throw new Error(`exit ${r.code}:\n${r.text.slice(-8000)}`);
  };

  /** A command's output on a node, through `kubelab ssh` (which exits with the command's status). */
  const onGuest = async (node: Node, command: string): Promise<string> => {
    const r = await kubelab(['ssh', node, '--', command], 5 * 60_000);
    if (r.code !== 0) throw new Error(`kubelab ssh ${node} -- ${command}: exit ${r.code}\n${r.text}`);
    return r.stdout.trim();
  };
  const unitOf = (node: Node) => (NODES[node].role === 'server' ? 'k3s' : 'k3s-agent');
  /** What the stand-in k3s process wrote when it started: pid, version, arguments, start time. */
  /**
   * What a guest says about itself, in one SSH login (each costs seconds under emulation): host name, K3s unit
   * state and MainPID, boot id, host-only address, a marker file, and what the stand-in k3s wrote when it started.
   */
  const facts = async (node: Node) => {
    const unit = unitOf(node);
    const text = await onGuest(
      node,
      `printf '{"hostname":"%s","active":"%s","mainPid":%s,"bootId":"%s","ip":"%s","kept":"%s","started":%s}' "$(hostname)" "$(systemctl is-active ${unit} || true)" ` +
        `"$(systemctl show -p MainPID --value ${unit})" "$(cat /proc/sys/kernel/random/boot_id)" "$(ip -4 -o addr show dev enp0s8 | awk '{print $4}')" ` +
        `"$(cat /var/tmp/kept-over-reboot 2>/dev/null || true)" "$(cat /run/k3s-standin/${NODES[node].role}.json 2>/dev/null || echo null)"`,
    );
    return JSON.parse(text) as {
      hostname: string;
      active: string;
      mainPid: number;
      bootId: string;
      ip: string;
      kept: string;
      started: { pid: number; version: string; args: string[]; started: number } | null;
    };
  };
  const allFacts = () => Promise.all(nodes.map(facts));
  /**
   * What the stand-in API on cp1 recorded, in order: each lease renewal it received ("renewal <node>")
   * and each lease list it served ("get-leases": only kubelab start reads the list).
   */
  const apiEvents = async () => (await onGuest('cp1', 'sudo -n cat /run/k3s-standin/api-events.log')).split('\n');
  /** kubelab start read the leases more than once, and each node renewed its lease between its first look and the last (the one that said Ready). */
  const expectRenewedWhileStartLooked = (events: string[], renewed: Node[]) => {
    const first = events.indexOf('get-leases');
    const last = events.lastIndexOf('get-leases');
    expect(first).toBeGreaterThan(-1);
    const between = events.slice(first + 1, last);
    expect(renewed.filter((n) => !between.includes(`renewal ${n}`))).toEqual([]);
  };
  /** The cluster state a server holds (the stand-in's datastore): nodes and etcd members. */
  const datastore = async (server: Node) =>
    JSON.parse(await onGuest(server, 'sudo -n cat /var/lib/rancher/k3s/standin/cluster.json')) as {
      nodes: Record<string, { version: string; annotations: Record<string, string> }>;
      members: { node: string; name: string }[];
    };

  const vboxState = (): VboxState => JSON.parse(fs.readFileSync(path.join(root, 'vbox', 'state.json'), 'utf8'));
  const nodeVms = () => vboxState().vms.filter((v) => v.name !== `${LAB}-base`);
  const tfstate = (stack: string): Tfstate | undefined => {
    const file = path.join(project, `terraform.${stack}.tfstate`);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  };
  const addresses = (stack: string) => (tfstate(stack)?.resources ?? []).map((r) => `${r.type}.${r.name}`).sort();
  const pins = () => {
    const file = labPaths(project).knownHosts;
    return fs.existsSync(file) ? Object.keys(JSON.parse(fs.readFileSync(file, 'utf8'))).sort() : [];
  };

  const listApiNodes = () => apiNodes(labPaths(project).kubeconfig);
  const expectedApiNodes = () => nodes.map((n) => ({ name: n, ready: 'True', ip: NODES[n].ip, version })).sort((a, b) => a.name.localeCompare(b.name));

  const configure = () => writeChartlessConfig(project, LAB, version, nodes.map((n) => ({ name: n, ...NODES[n] })));

  /**
   * The stand-up timeline `npm run up` recorded (.kubelab/deploy-steps.jsonl, one line per kubelab
   * step Terraform ran): when each step started after the first one, how long it took, on which node.
   */
  const timeline = () => {
    const file = path.join(labPaths(project).stateDir, 'deploy-steps.jsonl');
    const steps = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { phase?: string; step: string; node?: string; startedMs: number; seconds: number });
    const t0 = Math.min(...steps.map((r) => r.startedMs));
    return steps
      .sort((a, b) => a.startedMs - b.startedMs)
      .map((r) => `${String(Math.round((r.startedMs - t0) / 1000)).padStart(6)} s +${String(Math.round(r.seconds)).padStart(5)} s  ${r.phase ?? ''}: ${r.step}${r.node ? ` ${r.node}` : ''}`)
      .join('\n');
  };

  beforeAll(async () => {
    lab = await startJoinedLab('kubelab-joined-', GUEST_DIR!, (p) => {
      project = p;
      configure();
    });
    ({ root, env } = lab);
  });

  afterAll(async () => {
    // Whatever a failed test left running: its qemu processes.
    await lab?.close();
    console.log(`joined suite scenarios:\n${scenarioTimes.join('\n')}\njoined suite commands (s, on a shared machine):\n${timings.map(([what, s]) => `${String(s).padStart(5)}  ${what}`).join('\n')}`);
  });

  scenario('first up: four guests boot; cp1 starts etcd with --cluster-init, cp2 and cp3 join it with --server, w1 joins as agent; the API lists all four Ready', async () => {
    const r = await npmRun('up');
    expectOk(r);
    const steps = timeline();
    note(`first up: the steps kubelab recorded (start after the first, duration; load now ${load()}):\n${steps}`);
    console.log(`first up: the steps kubelab recorded (start after the first, duration):\n${steps}`);
    expect(nodeVms().map((v) => [v.name, v.state]).sort()).toEqual(nodes.map((n) => [`${LAB}-${n}`, 'running']));
    for (const v of nodeVms()) expect(qemuRuns(v.qemuPid!)).toBe(true);
    for (const [i, f] of (await allFacts()).entries()) {
      const n = nodes[i];
      expect(f).toMatchObject({ hostname: n, active: 'active', ip: `${NODES[n].ip}/24`, started: { pid: f.mainPid, version: OLD } });
      const s = f.started!;
      const join = n === 'cp1' ? ['--cluster-init'] : n === 'w1' ? [] : ['--server', 'https://192.168.56.10:6443'];
      expect(s.args.slice(0, join.length)).toEqual(join);
      if (n === 'cp1') expect(s.args).not.toContain('--server');
      else expect(s.args).not.toContain('--cluster-init');
    }
    expect(await onGuest('w1', 'sudo -n cat /etc/systemd/system/k3s-agent.service.env')).toContain('K3S_URL=https://192.168.56.10:6443');
    // Three etcd members, one per server, as every server sees it.
    for (const store of await Promise.all(SERVERS.map(datastore))) expect(store.members.map((m) => m.node).sort()).toEqual(SERVERS);
    expect(await listApiNodes()).toEqual(expectedApiNodes());
    expect(addresses('vms')).toEqual(expect.arrayContaining(nodes.map((n) => `null_resource.vm-${n}`)));
    expect(addresses('k3s')).toEqual(expect.arrayContaining(['null_resource.server-cp1_install', 'null_resource.server-cp3_version', 'null_resource.agent-w1_install']));
    // The user merges the lab into their kubeconfig (npm run down must take it out again).
    expectOk(await kubelab(['kubeconfig', '--merge']));
    expect(fs.readFileSync(env.KUBECONFIG!, 'utf8')).toContain(`name: ${LAB}`);
  });

  scenario('a second up changes nothing: same Terraform state serials, same K3s processes, same VMs', async () => {
    const serials = ['vms', 'k3s'].map((s) => tfstate(s)?.serial);
    const pids = (await allFacts()).map((f) => f.mainPid);
    const vms = JSON.stringify(nodeVms());
    expectOk(await npmRun('up'));
    expect(['vms', 'k3s'].map((s) => tfstate(s)?.serial)).toEqual(serials);
    expect((await allFacts()).map((f) => f.mainPid)).toEqual(pids);
    expect(JSON.stringify(nodeVms())).toBe(vms);
  });

  scenario('K3s bump: the diff replaces only the version steps; up restarts K3s one server at a time, then the agent, each on the new version', async () => {
    version = NEW;
    configure();
    const diff = await npmRun('diff', 'k3s');
    expectOk(diff);
    const planned = plannedChanges(diff.text);
    expect({ create: planned.create, destroy: planned.destroy, update: planned.update }).toEqual({ create: [], destroy: [], update: [] });
    expect(planned.replace).toEqual(nodes.map((n) => `null_resource.${NODES[n].role}-${n}_version`).sort());
    const before = (await allFacts()).map((f) => f.mainPid);
    expectOk(await npmRun('up'));
    const after = (await allFacts()).map((f) => f.started!);
    after.forEach((s, i) => {
      expect(s.version).toBe(NEW);
      expect(s.pid).not.toBe(before[i]);
    });
    // Restart order read from the guests' clocks (all set from the host's at boot): cp1, cp2, cp3, then w1.
    const order = nodes.map((n, i) => [n, after[i].started] as const).sort((a, b) => a[1] - b[1]).map(([n]) => n);
    expect(order).toEqual(['cp1', 'cp2', 'cp3', 'w1']);
    expect(await listApiNodes()).toEqual(expectedApiNodes());
  });

  scenario('removing the agent from the config: its VM, disk, qemu process, pin and K3s node are gone', async () => {
    const pid = nodeVms().find((v) => v.name === `${LAB}-w1`)!.qemuPid!;
    nodes = ['cp1', 'cp2', 'cp3'];
    configure();
    const diff = await npmRun('diff', 'vms');
    expectOk(diff);
    expect(plannedChanges(diff.text).destroy).toContain('null_resource.vm-w1');
    expectOk(await npmRun('up'));
    expect(nodeVms().map((v) => v.name).sort()).toEqual(nodes.map((n) => `${LAB}-${n}`));
    expect(vboxState().media.filter((m) => m.location.includes(`${LAB}-w1`))).toEqual([]);
    expect(qemuRuns(pid)).toBe(false);
    expect(pins()).toEqual(nodes);
    expect(Object.keys((await datastore('cp1')).nodes).sort()).toEqual(nodes);
    expect(await listApiNodes()).toEqual(expectedApiNodes());
  });

  scenario('stop and start (the 3 servers): the guests power off (no qemu left) and boot again (new boot id), same node IPs, a file written before is kept, the API answers through the lab kubeconfig', async () => {
    await Promise.all(nodes.map((n) => onGuest(n, 'echo kept | sudo -n tee /var/tmp/kept-over-reboot >/dev/null && sync')));
    const boots = (await allFacts()).map((f) => f.bootId);
    const pids = nodeVms().map((v) => v.qemuPid!);
    expectOk(await kubelab(['stop']));
    expect(nodeVms().map((v) => v.state)).toEqual(nodes.map(() => 'poweroff'));
    for (const pid of pids) expect(qemuRuns(pid)).toBe(false);
    // While the lab is off (as study note 004 takes it): the snapshot cp2 returns to below, after K3s, before the change there.
    expectOk(await kubelab(['snapshot', 'take', 'cp2']));
    expectOk(await kubelab(['start', '--timeout', '20m']));
    expect(nodeVms().map((v) => v.state)).toEqual(nodes.map(() => 'running'));
    for (const [i, f] of (await allFacts()).entries()) {
      expect(f.bootId).not.toBe(boots[i]);
      expect(f).toMatchObject({ kept: 'kept', ip: `${NODES[nodes[i]].ip}/24`, active: 'active' });
    }
    // The API keeps the Ready it had before the stop for a while (the stand-in, like the node controller): start said Ready only after every kubelet renewed its lease.
    expectRenewedWhileStartLooked(await apiEvents(), nodes);
    expect(await listApiNodes()).toEqual(expectedApiNodes());
  });

  scenario('snapshot restore (one node of kubelab reset): a change made in cp2 after its snapshot is gone; cp2 boots again and K3s comes back', async () => {
    expect(await onGuest('cp2', 'echo changed | sudo -n tee /etc/kubelab-change >/dev/null && sync && cat /etc/kubelab-change')).toBe('changed');
    const boot = (await facts('cp2')).bootId;
    const seenBefore = (await apiEvents()).length;
    // What kubelab reset does for every node of the config (power off, restore, start), for one node: each boot costs minutes here.
    expectOk(await kubelab(['snapshot', 'restore', 'cp2']));
    // cp1's API still calls cp2 Ready from before the power-off; start waits for cp2's kubelet itself (its lease renewed).
    expectOk(await kubelab(['start', '--timeout', '20m']));
    expectRenewedWhileStartLooked((await apiEvents()).slice(seenBefore), ['cp2']);
    const after = await facts('cp2');
    expect(after.bootId).not.toBe(boot);
    expect(after).toMatchObject({ kept: 'kept', active: 'active', ip: `${NODES.cp2.ip}/24` });
    expect(await onGuest('cp2', 'test -e /etc/kubelab-change && echo present || echo gone')).toBe('gone');
    expect(await listApiNodes()).toEqual(expectedApiNodes());
  });

  scenario('removing two servers (3 → 1): their etcd members are removed through cp1 before K3s goes, then their VMs; cp1 keeps running', async () => {
    const cp1Boot = (await facts('cp1')).bootId;
    nodes = ['cp1'];
    configure();
    expectOk(await npmRun('up'));
    expect(nodeVms().map((v) => v.name)).toEqual([`${LAB}-cp1`]);
    // The cluster stayed: cp1's VM was not re-created (the same boot), only its K3s restarted with the flags of a lone server.
    expect((await facts('cp1')).bootId).toBe(cp1Boot);
    const store = await datastore('cp1');
    expect(store.members.map((m) => m.node)).toEqual(['cp1']);
    expect(Object.keys(store.nodes)).toEqual(['cp1']);
    expect(addresses('k3s').filter((a) => /cp[23]/.test(a))).toEqual([]);
    expect(await listApiNodes()).toEqual(expectedApiNodes());
  });

  scenario('npm run down leaves nothing: no VM, disk, qemu process, pin, lab kubeconfig or merged kubeconfig entry, no Terraform resource', async () => {
    const pids = vboxState().vms.map((v) => v.qemuPid).filter((p): p is number => !!p);
    expectOk(await npmRun('down'));
    const state = vboxState();
    expect(state.vms).toEqual([]);
    expect(state.media).toEqual([]);
    for (const pid of pids) expect(qemuRuns(pid)).toBe(false);
    expect(pins()).toEqual([]);
    expect(fs.existsSync(labPaths(project).kubeconfig)).toBe(false);
    expect(fs.existsSync(env.KUBECONFIG!) ? fs.readFileSync(env.KUBECONFIG!, 'utf8') : '').not.toContain(LAB);
    for (const stack of ['vms', 'k3s', 'ingress', 'metrics-server', 'dashboard', 'workloads']) expect(addresses(stack)).toEqual([]);
  });
});

/**
 * The node lifecycle against the VBoxManage STAND-IN (not VirtualBox; see
 * ../support/vboxmanage-standin.js): create three nodes in parallel processes,
 * snapshot, reset, destroy, and check that nothing is left; re-runs are no-ops; a
 * create killed half-way converges on the next run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { withEnv } from '../support/vboxmanage-standin-env';
import { requireTool } from '../support/tools';
import { cli, kubelab, labWithFakeNodes, scratchLabsWithImageServer } from './standin-harness';

const scratch = scratchLabsWithImageServer();

requireTool('/usr/sbin/sshd')('create → snapshot → reset → destroy', () => {
  const lab = labWithFakeNodes(scratch);
  const nodeVms = () => lab.s.state().vms.filter((v) => v.name !== 'kubelab-base');

  test('three creates started at once, in separate processes, all succeed', async () => {
    // The real `kubelab vm create`, which waits for each node over SSH at its address (sent to a local sshd).
    const runs = await Promise.all(['cp1', 'w1', 'w2'].map((n) => kubelab({ ...lab.s.env, ...lab.nodes.env }, lab.project, 'vm', 'create', n)));
    for (const r of runs) expect({ code: r.code, error: /error/i.test(r.stderr) }).toEqual({ code: 0, error: false });
    for (const [i, r] of runs.entries()) expect(r.stdout).toMatch(new RegExp(`cloud-init finished[\\s\\S]*VM kubelab-${['cp1', 'w1', 'w2'][i]} is ready at 192\\.168\\.56\\.1${i}`));
    expect(lab.s.overlaps()).toEqual([]);
    const state = lab.s.state();
    expect(state.hostonlyifs).toEqual([{ name: 'vboxnet0', ip: '192.168.56.1', mask: '255.255.255.0', guid: expect.any(String) }]);
    expect(state.vms.map((v) => v.name).sort()).toEqual(['kubelab-base', 'kubelab-cp1', 'kubelab-w1', 'kubelab-w2']);
    expect(runs.map((r) => r.stdout).join('').match(/importing noble-server-cloudimg-amd64.ova/g)).toHaveLength(1);
  });

  test('each node: lab marker, NAT + host-only NICs, serial log, size from config, seed attached, running', () => {
    const state = lab.s.state();
    for (const name of ['cp1', 'w1', 'w2']) {
      const vm = state.vms.find((v) => v.name === `kubelab-${name}`)!;
      expect(vm.groups).toEqual(['/kubelab']);
      // VirtualBox keeps a VM of group /kubelab in <basefolder>/kubelab/<vm>.
      expect(vm.cfgFile).toBe(path.join(lab.project, '.kubelab', 'vms', 'kubelab', `kubelab-${name}`, `kubelab-${name}.vbox`));
      expect(vm.extradata).toEqual({ 'kubelab/lab': 'kubelab', 'kubelab/project': path.resolve(lab.project), 'kubelab/ip': expect.stringMatching(/^192\.168\.56\.1[012]$/), 'kubelab/disk-gb': '20', 'kubelab/ready': 'yes' });
      expect(vm.nics['1'].type).toBe('nat');
      expect(vm.nics['2']).toEqual({ type: 'hostonly', hostonlyadapter: 'vboxnet0', cable: 'on' });
      expect(vm.uartmode1).toBe(`file,${path.join(lab.project, '.kubelab', 'logs', `${name}-serial.log`)}`);
      expect([vm.cpus, vm.memory, vm.state]).toEqual([2, 2048, 'running']);
      const disk = state.media.find((m) => m.uuid === vm.attachments['SCSI|0|0'].medium)!;
      expect([disk.format, disk.capacityMb]).toEqual(['VDI', 20480]);
      const seed = state.media.find((m) => m.uuid === vm.attachments['kubelab-seed|0|0'].medium)!;
      expect(seed.location).toBe(path.join(lab.project, '.kubelab', 'seeds', `${name}.iso`));
    }
    // The base disk was converted to VDI; the imported VMDK is gone.
    expect(state.media.filter((m) => m.format === 'VMDK')).toEqual([]);
  });

  test('create again: nothing to do', async () => {
    const before = JSON.stringify(lab.s.state());
    const r = await cli(lab.s, lab.project, 'vm', 'create', 'cp1');
    expect(r).toEqual({ code: 0, out: expect.stringMatching(/VM kubelab-cp1 already exists and is running; nothing to do/) });
    expect(r.out).toMatch(/base VM kubelab-base is already imported; nothing to do/);
    expect(JSON.stringify(lab.s.state())).toBe(before);
  });

  test('create on a VM whose size differs from the config refuses and says how to recreate it', async () => {
    const config = path.join(lab.project, 'kubelab.config.yaml');
    fs.writeFileSync(config, 'nodes:\n  - { name: cp1, role: server, ip: 192.168.56.10 }\n  - { name: w1, role: agent, ip: 192.168.56.11 }\n  - { name: w2, role: agent, ip: 192.168.56.12, diskGb: 30, cpus: 1 }\n');
    try {
      const before = JSON.stringify(lab.s.state());
      const r = await cli(lab.s, lab.project, 'vm', 'create', 'w2');
      expect(r.code).toBe(1);
      expect(r.out).toContain('VM kubelab-w2 exists with other settings than the config (cpus 2, config 1; disk 20 GB, config 30 GB)');
      expect(r.out).toContain('npx kubelab vm destroy w2 --lab kubelab, then npx kubelab vm create w2');
      expect(JSON.stringify(lab.s.state())).toBe(before);
    } finally {
      fs.rmSync(config);
    }
  });

  test('snapshot take on every node, then reset restores them all and starts them', async () => {
    for (const n of ['cp1', 'w1', 'w2']) expect((await cli(lab.s, lab.project, 'snapshot', 'take', n)).code).toBe(0);
    expect((await cli(lab.s, lab.project, 'snapshot', 'take', 'cp1')).out).toMatch(/already has snapshot kubelab-bootstrapped; nothing to do/);
    const r = await cli(lab.s, lab.project, 'reset');
    expect(r.code).toBe(0);
    expect(r.out.match(/restored kubelab-\w+ to snapshot kubelab-bootstrapped and started it/g)).toHaveLength(3);
    // A restore only boots the VMs: the last line gives the command that waits until the nodes are back.
    expect(r.out.trimEnd().split('\n').pop()).toMatch(/ npx kubelab start$/);
    for (const vm of nodeVms()) expect([vm.state, vm.snapshots.map((x) => x.name)]).toEqual(['running', ['kubelab-bootstrapped']]);
    expect((await cli(lab.s, lab.project, 'snapshot', 'restore', 'cp1', 'nope')).out).toMatch(/has no snapshot 'nope' \(it has: kubelab-bootstrapped\)/);
  });

  test('status says what runs', async () => {
    expect((await cli(lab.s, lab.project, 'vm', 'status', 'w2')).out).toBe('kubelab-w2: running, ip 192.168.56.12, created');
  });

  test('the base cannot be removed while nodes are cloned from it', async () => {
    const r = await cli(lab.s, lab.project, 'image', 'remove', '--lab', 'kubelab');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/kubelab-cp1, kubelab-w1, kubelab-w2 are linked clones of kubelab-base; destroy them first/);
  });

  test('destroy every node, the base and the network (without the config): nothing is left', async () => {
    // Destroy reads no config: a broken config file must not stop teardown.
    fs.writeFileSync(path.join(lab.project, 'kubelab.config.yaml'), 'nodes: [oops\n');
    for (const n of ['cp1', 'w1', 'w2']) {
      const r = await cli(lab.s, lab.project, 'vm', 'destroy', n, '--lab', 'kubelab');
      // vm create pinned the node's host key over SSH; destroy forgets it with the VM.
      expect(r).toEqual({ code: 0, out: `kubelab: forgot the pinned SSH host key of ${n}\nkubelab: destroyed VM kubelab-${n} and its seed` });
    }
    expect((await cli(lab.s, lab.project, 'image', 'remove', '--lab', 'kubelab')).out).toMatch(/removed base VM kubelab-base\n.*stays in/);
    expect((await cli(lab.s, lab.project, 'network', 'down', '--lab', 'kubelab')).out).toBe('kubelab: removed host-only interface vboxnet0');
    const state = lab.s.state();
    expect([state.vms, state.media, state.hostonlyifs]).toEqual([[], [], []]);
    expect(fs.readdirSync(path.join(lab.project, '.kubelab', 'seeds'))).toEqual([]);
    expect(fs.readdirSync(path.join(lab.project, '.kubelab', 'vms'))).toEqual([]);
    expect(fs.existsSync(path.join(lab.project, '.kubelab', 'network.json'))).toBe(false);
    // The download stays in the per-user cache.
    expect(fs.existsSync(path.join(lab.s.env.XDG_CACHE_HOME!, 'kubelab', UBUNTU_OVA_FILE))).toBe(true);
  });

  test('destroy again: nothing to do', async () => {
    expect((await cli(lab.s, lab.project, 'vm', 'destroy', 'cp1', '--lab', 'kubelab')).out).toBe('kubelab: no VM kubelab-cp1; nothing to do');
    expect((await cli(lab.s, lab.project, 'image', 'remove', '--lab', 'kubelab')).out).toMatch(/no base VM kubelab-base; nothing to do/);
    expect((await cli(lab.s, lab.project, 'network', 'down', '--lab', 'kubelab')).out).toMatch(/nothing to do/);
    expect(lab.s.overlaps()).toEqual([]);
  });
});

test('a VM of the same name that the lab did not make is never touched', async () => {
  const { s, project } = scratch();
  try {
    // Someone's own VM called kubelab-cp1: imported by hand, no lab marker, outside the lab folder.
    const ova = path.join(s.root, 'mine.ova');
    fs.writeFileSync(ova, 'x');
    await withEnv(s.env, async () => {
      const { execFileSync } = await import('child_process');
      execFileSync('VBoxManage', ['import', ova, '--vsys', '0', '--vmname', 'kubelab-cp1'], { env: s.env });
    });
    const r = await cli(s, project, 'vm', 'destroy', 'cp1', '--lab', 'kubelab');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/a VirtualBox VM named 'kubelab-cp1' exists but was not made by lab 'kubelab'.*leaves it alone/);
    expect(s.state().vms.map((v) => v.name)).toEqual(['kubelab-cp1']);
  } finally {
    s.cleanup();
  }
});

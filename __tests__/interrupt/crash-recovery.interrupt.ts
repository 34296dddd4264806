/**
 * A `vm create` killed half-way (the stand-in kills its caller, as a crash or Ctrl-C
 * would) converges on the next run, against the VBoxManage STAND-IN (not VirtualBox;
 * see ../support/vboxmanage-standin.js). Part of npm run test:interrupt (about 20 s of waiting on stand-ins), not of npm test.
 */
import * as fs from 'fs';
import * as net from 'net';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { requireTool } from '../support/tools';
import { StandInEnv } from '../support/vboxmanage-standin-env';
import { cli, kubelab, labWithFakeNodes, scratchLabsWithImageServer } from '../virtualbox/standin-harness';

const scratch = scratchLabsWithImageServer();

requireTool('/usr/sbin/sshd')('a create killed half-way', () => {
  const lab = labWithFakeNodes(scratch);

  test('killed while booting the node: the next run rebuilds it, with no leftovers', async () => {
    const killed = await kubelab({ ...lab.s.env, ...lab.nodes.env, VBOXMANAGE_STANDIN_KILL_PARENT: 'startvm' }, lab.project, 'vm', 'create', 'cp1');
    expect(killed.signal).toBe('SIGKILL');
    const half = lab.s.state().vms.find((v) => v.name === 'kubelab-cp1')!;
    expect(half.extradata['kubelab/ready']).toBeUndefined();

    const rerun = await kubelab({ ...lab.s.env, ...lab.nodes.env }, lab.project, 'vm', 'create', 'cp1');
    expect({ code: rerun.code, error: /error/i.test(rerun.stderr) }).toEqual({ code: 0, error: false });
    expect(rerun.stdout).toMatch(/VM kubelab-cp1 is left from a create that did not finish; rebuilding it/);
    const state = lab.s.state();
    expect(state.vms.map((v) => [v.name, v.state, v.extradata['kubelab/ready']])).toEqual([
      ['kubelab-base', 'poweroff', 'yes'],
      ['kubelab-cp1', 'running', 'yes'],
    ]);
    // Media: the base VDI, its snapshot diff, the node's diff, the seed. Nothing of the killed runs.
    expect(state.media.map((m) => m.kind).sort()).toEqual(['dvd', 'hdd', 'hdd', 'hdd']);
    expect(state.media.every((m) => fs.existsSync(m.location))).toBe(true);
    expect(lab.s.overlaps()).toEqual([]);
  });
});

describe('a base import that failed half-way', () => {
  let s: StandInEnv;
  let project: string;
  beforeAll(() => ({ s, project } = scratch()));
  afterAll(() => s.cleanup());

  test('is imported again on the next run', async () => {
    const failed = await cli({ ...s, env: { ...s.env, VBOXMANAGE_STANDIN_FAIL: 'snapshot' } }, project, 'image', 'import');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/VBoxManage snapshot kubelab-base take kubelab-base .* failed \(exit 1\): VBoxManage: error: .*\n.*code E_FAIL/);
    expect(s.state().vms.map((v) => [v.name, v.extradata['kubelab/ready']])).toEqual([['kubelab-base', undefined]]);
    const again = await cli(s, project, 'image', 'import');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/left from an import that did not finish; importing it again[\s\S]*using the cached .*noble-server-cloudimg-amd64.ova/);
    const state = s.state();
    expect(state.vms.map((v) => [v.name, v.extradata['kubelab/ready'], v.snapshots.map((x) => x.name)])).toEqual([['kubelab-base', 'yes', ['kubelab-base']]]);
    expect(state.media.map((m) => m.format).sort()).toEqual(['VDI', 'VDI']);
    expect((await cli(s, project, 'image', 'import')).out).toMatch(/already imported; nothing to do/);
  });
  test('stopped between clonemedium and storageattach: the converted disk left registered is closed, and the import runs again', async () => {
    expect((await cli(s, project, 'image', 'remove')).code).toBe(0);
    const half = await cli({ ...s, env: { ...s.env, VBOXMANAGE_STANDIN_FAIL: 'storageattach' } }, project, 'image', 'import');
    expect(half.code).toBe(1);
    const vdi = s.state().media.find((m) => m.location.endsWith('kubelab-base.vdi'))!;
    expect(vdi).toBeDefined();
    // unregistervm --delete deletes the attached disks only; that one stays registered, and a clonemedium onto its path would fail.
    const again = await cli(s, project, 'image', 'import');
    expect(again).toEqual({ code: 0, out: expect.stringMatching(/base VM kubelab-base is ready/) });
    expect(s.state().media.filter((m) => m.location === vdi.location).map((m) => m.uuid)).not.toContain(vdi.uuid);
    expect(s.calls()).toContain(`closemedium disk ${vdi.location}`);
  });
  test('a node that never becomes reachable: the real vm create waits --timeout at the node address, then says what it saw, the VM state and the serial log', async () => {
    // The node's address leads to a local port nobody listens on (no packet leaves the host).
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const env = { ...s.env, [TEST_SSH_ENDPOINTS_ENV]: JSON.stringify({ '192.168.56.10': { host: '127.0.0.1', port: closed } }) };
    const started = Date.now();
    const r = await kubelab(env, project, 'vm', 'create', 'cp1', '--timeout', '3s');
    const waited = Date.now() - started;
    expect(r.code).toBe(1);
    // 3 s of waiting, at the node's address.
    expect(r.stderr).toMatch(
      new RegExp(`cp1 \\(127\\.0\\.0\\.1:${closed}\\) was not ready within 3 s: port ${closed} never answered \\(last: ECONNREFUSED\\)\\nVM kubelab-cp1 is running\\. Last lines of its serial console \\(.*cp1-serial\\.log\\):\\n\\[VBoxManage stand-in\\] kubelab-cp1 "started"`),
    );
    expect(waited).toBeGreaterThanOrEqual(3000);
    // Not marked ready, so the next create rebuilds it rather than trusting it.
    expect(s.state().vms.find((v) => v.name === 'kubelab-cp1')!.extradata['kubelab/ready']).toBeUndefined();
});
  test("Terraform's VM steps run vm create without --timeout: KUBELAB_VM_TIMEOUT (a duration) sets the wait for them; a bad value is one clear error", async () => {
    const env = { ...s.env, [TEST_SSH_ENDPOINTS_ENV]: JSON.stringify({ '192.168.56.10': { host: '127.0.0.1', port: 9 } }) };
    const fromEnv = await kubelab({ ...env, KUBELAB_VM_TIMEOUT: '3s' }, project, 'vm', 'create', 'cp1');
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/was not ready within 3 s/);
    const bad = await kubelab({ ...env, KUBELAB_VM_TIMEOUT: 'soon' }, project, 'vm', 'create', 'cp1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("KUBELAB_VM_TIMEOUT 'soon' must be a positive duration like 90s or 10m");
  }, 120_000);
});

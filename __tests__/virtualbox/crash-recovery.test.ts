/**
 * A `vm create` killed half-way (the stand-in kills its caller, as a crash or Ctrl-C
 * would) converges on the next run, against the VBoxManage STAND-IN (not VirtualBox;
 * see ../support/vboxmanage-standin.js). Its own file so jest runs it beside the lifecycle.
 */
import * as fs from 'fs';
import { CliContext } from '../../cli/context';
import { KubelabError } from '../../cli/errors';
import { UBUNTU_OVA_FILE, ubuntuImageSource } from '../../cli/image/ubuntu-image';
import { nodeOf } from '../../cli/virtualbox/node-arg';
import { createNodeVm } from '../../cli/virtualbox/node-vm';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';
import { ImageServer, startImageServer } from '../image/image-server';
import { StandInEnv, withEnv } from '../support/vboxmanage-standin-env';
import { cli, scratchLab, worker } from './standin-harness';

let server: ImageServer;
beforeAll(async () => {
  server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
});
afterAll(() => server.close());

const scratch = () => scratchLab(server.baseUrl);

describe('a create killed half-way', () => {
  let s: StandInEnv;
  let project: string;
  beforeAll(() => ({ s, project } = scratch()));
  afterAll(() => s.cleanup());

  test('killed while booting the node: the next run rebuilds it, with no leftovers', async () => {
    const killed = await worker({ ...s.env, VBOXMANAGE_STANDIN_KILL_PARENT: 'startvm' }, ['create', project, 'cp1']);
    expect(killed.signal).toBe('SIGKILL');
    const half = s.state().vms.find((v) => v.name === 'kubelab-cp1')!;
    expect(half.extradata['kubelab/ready']).toBeUndefined();

    const rerun = await worker(s.env, ['create', project, 'cp1']);
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rerun.stdout).toMatch(/VM kubelab-cp1 is left from a create that did not finish; rebuilding it/);
    const state = s.state();
    expect(state.vms.map((v) => [v.name, v.state, v.extradata['kubelab/ready']])).toEqual([
      ['kubelab-base', 'poweroff', 'yes'],
      ['kubelab-cp1', 'running', 'yes'],
    ]);
    // Media: the base VDI, its snapshot diff, the node's diff, the seed. Nothing of the killed runs.
    expect(state.media.map((m) => m.kind).sort()).toEqual(['dvd', 'hdd', 'hdd', 'hdd']);
    expect(state.media.every((m) => fs.existsSync(m.location))).toBe(true);
    expect(s.overlaps()).toEqual([]);
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
    expect(failed.out).toMatch(/VBoxManage snapshot kubelab-base take kubelab-base .* failed \(exit 1\): VBoxManage: error: Code E_FAIL/);
    expect(s.state().vms.map((v) => [v.name, v.extradata['kubelab/ready']])).toEqual([['kubelab-base', undefined]]);
    const again = await cli(s, project, 'image', 'import');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/left from an import that did not finish; importing it again[\s\S]*using the cached .*noble-server-cloudimg-amd64.ova/);
    const state = s.state();
    expect(state.vms.map((v) => [v.name, v.extradata['kubelab/ready'], v.snapshots.map((x) => x.name)])).toEqual([['kubelab-base', 'yes', ['kubelab-base']]]);
    expect(state.media.map((m) => m.format).sort()).toEqual(['VDI', 'VDI']);
    expect((await cli(s, project, 'image', 'import')).out).toMatch(/already imported; nothing to do/);
  });
  test('a node that never becomes reachable: the error says what was seen, the VM state and the serial log', async () => {
    const lines: string[] = [];
    const ctx = new CliContext(project, (l: string) => lines.push(l));
    const err = await withEnv(s.env, () =>
      createNodeVm(
        {
          vb: new VBoxManage(),
          cfg: ctx.config,
          paths: ctx.paths,
          source: ubuntuImageSource(),
          out: ctx.out,
          progress: () => undefined,
          waitForGuest: async () => {
            throw new KubelabError('cp1 (192.168.56.10:22) was not ready within 900 s: port 22 never answered');
          },
        },
        nodeOf(ctx, 'cp1'),
      ).catch((e: Error) => e),
    );
    expect((err as Error).message).toMatch(
      /^cp1 \(192.168.56.10:22\) was not ready within 900 s: port 22 never answered\nVM kubelab-cp1 is running. Last lines of its serial console \(.*cp1-serial.log\):\n\[VBoxManage stand-in\] kubelab-cp1 "started"/,
    );
    // Not marked ready, so the next create rebuilds it rather than trusting it.
    expect(s.state().vms.find((v) => v.name === 'kubelab-cp1')!.extradata['kubelab/ready']).toBeUndefined();
  });
});

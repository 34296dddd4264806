/**
 * A `vm create` killed half-way (the stand-in kills its caller, as a crash or Ctrl-C
 * would) converges on the next run, against the VBoxManage STAND-IN (not VirtualBox;
 * see ../support/vboxmanage-standin.js). Its own file so jest runs it beside the lifecycle.
 */
import * as fs from 'fs';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { ImageServer, startImageServer } from '../image/image-server';
import { StandInEnv } from '../support/vboxmanage-standin-env';
import { scratchLab, worker } from './standin-harness';

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

  test('killed during the base import, then during boot: the next run converges, with no leftovers', async () => {
    const killedInImport = await worker({ ...s.env, VBOXMANAGE_STANDIN_KILL_PARENT: 'clonemedium' }, ['create', project, 'cp1']);
    expect(killedInImport.signal).toBe('SIGKILL');
    expect(s.state().vms.map((v) => v.name)).toEqual(['kubelab-base']);

    const killedInBoot = await worker({ ...s.env, VBOXMANAGE_STANDIN_KILL_PARENT: 'startvm' }, ['create', project, 'cp1']);
    expect(killedInBoot.signal).toBe('SIGKILL');
    expect(killedInBoot.stdout).toMatch(/left from an import that did not finish; importing it again/);
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


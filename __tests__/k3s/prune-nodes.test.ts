import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import * as machineRecords from '../../cli/k3s/machine-records';
import { PruneRequest, pruneRemovedNodes } from '../../cli/k3s/prune';
import * as uninstall from '../../cli/k3s/uninstall';
import * as labVm from '../../cli/virtualbox/lab-vm';
import * as locate from '../../cli/virtualbox/locate';
import * as nodeVm from '../../cli/virtualbox/node-vm';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';

/*
 * `kubelab prune`: which of a lab's nodes go, and how. VirtualBox is a stand-in here: `list vms` prints
 * `"<name>" {<uuid>}` per VM (VBoxManageList.cpp, VirtualBox/virtualbox commit 44a0f07f); what kubelab
 * knows of each VM (its marks, its recorded address under the extradata key kubelab/ip, which kubelab
 * writes at create, cli/virtualbox/node-vm.ts) comes from a stand-in inspection. The teardown of one node
 * (uninstall, VM removal) has its own tests: here, only that it is asked for, for which node, with what.
 */

type Vm = { ours: boolean; ip?: string; uuid: string };
let vms: Record<string, Vm>;
let uninstalls: uninstall.UninstallRequest[];
let destroyed: string[];
let vboxUsed: boolean;
let project: string;
let out: string[];

beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-prune-'));
  vms = {};
  uninstalls = [];
  destroyed = [];
  vboxUsed = false;
  out = [];
  jest.spyOn(locate, 'locateVBoxManage').mockReturnValue('/stand-in/VBoxManage');
  jest.spyOn(VBoxManage.prototype, 'run').mockImplementation(async (args) => {
    vboxUsed = true;
    if (args.join(' ') !== 'list vms') throw new Error(`stand-in: not expected here: VBoxManage ${args.join(' ')}`);
    return Object.entries(vms)
      .map(([name, vm]) => `"${name}" {${vm.uuid}}\n`)
      .join('');
  });
  jest.spyOn(labVm, 'inspectVm').mockImplementation(async (_, name) => {
    const vm = vms[name];
    return { name, registered: true, info: new Map(), extraData: new Map(vm.ip ? [['kubelab/ip', vm.ip]] : []), ours: vm.ours, ready: true, state: 'running' };
  });
  jest.spyOn(labVm, 'vmInfo').mockImplementation(async (_, name) => (vms[name] ? new Map([['UUID', vms[name].uuid]]) : undefined));
  jest.spyOn(uninstall, 'runK3sUninstall').mockImplementation(async (_, req) => void uninstalls.push(req));
  jest.spyOn(nodeVm, 'destroyNodeVm').mockImplementation(async (_, lab, node) => void destroyed.push(`${lab}-${node}`));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(project, { recursive: true, force: true });
});

const prune = (req: Partial<PruneRequest> = {}) =>
  pruneRemovedNodes(new CliContext(project, (l) => out.push(l), (l) => out.push(l)), { lab: 'kubelab', keep: ['cp1', 'w1'], server: { name: 'cp1', ip: '192.168.56.10', vm: 'kubelab-cp1' }, ...req });

describe('a lab of VMs', () => {
  test("the lab's VMs no longer in its node list go, in name order, each uninstalled through the server first; others' VMs and the base stay", async () => {
    vms = {
      'kubelab-cp1': { ours: true, ip: '192.168.56.10', uuid: '0c1' },
      'kubelab-w1': { ours: true, ip: '192.168.56.11', uuid: '0a1' },
      'kubelab-w3': { ours: true, ip: '192.168.56.13', uuid: '0a3' },
      'kubelab-w2': { ours: true, ip: '192.168.56.12', uuid: '0a2' },
      'kubelab-base': { ours: true, uuid: 'ba5e' },
      'kubelab-theirs': { ours: false, ip: '192.168.56.99', uuid: 'dead' },
      'kubelabx-w9': { ours: true, ip: '192.168.56.19', uuid: 'beef' },
      'other-w2': { ours: true, ip: '192.168.57.12', uuid: 'f00d' },
    };
    await prune();
    expect(destroyed).toEqual(['kubelab-w2', 'kubelab-w3']);
    const server = { name: 'cp1', ip: '192.168.56.10', vmId: '0c1' };
    expect(uninstalls).toEqual([
      { nodeName: 'w2', ip: '192.168.56.12', role: 'agent', lab: 'kubelab', server },
      { nodeName: 'w3', ip: '192.168.56.13', role: 'agent', lab: 'kubelab', server },
    ]);
    expect(out).toEqual(["kubelab: node w2 is no longer in the lab's node list; removing it", "kubelab: node w3 is no longer in the lab's node list; removing it"]);
  });

  test('a VM without its recorded address (made, never set up) goes without an uninstall', async () => {
    vms = { 'kubelab-cp1': { ours: true, ip: '192.168.56.10', uuid: '0c1' }, 'kubelab-w2': { ours: true, uuid: '0a2' } };
    await prune();
    expect(uninstalls).toEqual([]);
    expect(destroyed).toEqual(['kubelab-w2']);
  });

  test('the server itself removed from the list goes as a server; a server VM that is gone gives no VM id', async () => {
    vms = { 'kubelab-cp1': { ours: true, ip: '192.168.56.10', uuid: '0c1' } };
    await prune({ keep: ['cp2'], server: { name: 'cp1', ip: '192.168.56.10', vm: 'kubelab-gone' } });
    expect(uninstalls).toEqual([{ nodeName: 'cp1', ip: '192.168.56.10', role: 'server', lab: 'kubelab', server: { name: 'cp1', ip: '192.168.56.10', vmId: undefined } }]);
  });

  test('nothing to remove: said, naming the nodes kept', async () => {
    vms = { 'kubelab-cp1': { ours: true, ip: '192.168.56.10', uuid: '0c1' }, 'kubelab-w1': { ours: true, ip: '192.168.56.11', uuid: '0a1' } };
    await prune();
    expect(out).toEqual(['kubelab: every node of lab kubelab is in its node list (cp1, w1); nothing to prune']);
    expect([uninstalls, destroyed]).toEqual([[], []]);
  });
});

describe('a lab of existing machines', () => {
  const login = { user: 'ubuntu', port: 22, keyFile: 'ssh/id_ed25519' };
  const record = (node: string, role: 'server' | 'agent', address: string) =>
    machineRecords.recordMachine(new CliContext(project).paths, { name: node, role, ip: address, host: { address, ...login } } as never);

  test('the recorded machines no longer in the list have K3s removed over their own login, through the server; VirtualBox is not asked', async () => {
    record('cp1', 'server', '10.1.0.10');
    record('w1', 'agent', '10.1.0.11');
    record('w2', 'agent', '10.1.0.12');
    await prune({ server: { name: 'cp1', ip: '10.1.0.10', ssh: login } });
    expect(vboxUsed).toBe(false);
    expect(uninstalls).toEqual([{ nodeName: 'w2', ip: '10.1.0.12', role: 'agent', lab: 'kubelab', ssh: login, server: { name: 'cp1', ip: '10.1.0.10', ssh: login } }]);
    expect(out).toEqual(["kubelab: node w2 (existing machine ubuntu@10.1.0.12) is no longer in the lab's node list; removing K3s from it"]);
  });

  test('in a lab of VMs, a machine recorded earlier (the lab had one) is drained through the server VM', async () => {
    vms = { 'kubelab-cp1': { ours: true, ip: '192.168.56.10', uuid: '0c1' }, 'kubelab-w1': { ours: true, uuid: '0a1' } };
    record('w2', 'agent', '10.1.0.12');
    await prune({ keep: ['cp1'] });
    expect(destroyed).toEqual(['kubelab-w1']);
    expect(uninstalls).toEqual([{ nodeName: 'w2', ip: '10.1.0.12', role: 'agent', lab: 'kubelab', ssh: login, server: { name: 'cp1', ip: '192.168.56.10' } }]);
    expect(out.filter((l) => l.includes('nothing to prune'))).toEqual([]);
  });
});

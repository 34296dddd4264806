import { vmName } from '../../config/lab-config';
import { CliContext } from '../context';
import { baseVmName } from '../virtualbox/base-image';
import { vbox } from '../virtualbox/commands';
import { inspectVm, vmInfo } from '../virtualbox/lab-vm';
import { IP_KEY, destroyNodeVm } from '../virtualbox/node-vm';
import { parseVmList } from '../virtualbox/parse';
import { VBoxManage } from '../virtualbox/vboxmanage';
import { recordedMachines } from './machine-records';
import { DrainingServer, ExistingLogin, runK3sUninstall } from './uninstall';

export interface PruneRequest {
  readonly lab: string;
  /** The nodes the lab has now; every other node of the lab goes. */
  readonly keep: readonly string[];
  /**
   * The server that drains a removed node: node name, IP, and its VM name (a lab of VMs) or
   * its login (a lab of existing machines).
   */
  readonly server: { readonly name: string; readonly ip: string } & ({ readonly vm: string } | { readonly ssh: ExistingLogin });
}

/**
 * `kubelab prune`: removes the lab's nodes that are no longer in its node list, with their
 * teardown: the node is drained and deleted from the cluster and K3s is uninstalled; a VM
 * then goes with its disks and seed, an existing machine stays as it was apart from K3s.
 * Terraform runs it whenever the node list changes, because a node's own destroy steps do
 * not run when its resources leave the configuration (Terraform drops destroy-time
 * provisioners with the resource block). VMs are found in VirtualBox; existing machines in
 * kubelab's record of the machines it put K3s on (.kubelab/machines/).
 */
export async function pruneRemovedNodes(ctx: CliContext, req: PruneRequest): Promise<void> {
  const removed = 'vm' in req.server ? await pruneVms(ctx, req, req.server.vm) : 0;
  const machines = await pruneMachines(ctx, req);
  if (removed + machines === 0) ctx.out(`kubelab: every node of lab ${req.lab} is in its node list (${req.keep.join(', ')}); nothing to prune`);
}

async function pruneVms(ctx: CliContext, req: PruneRequest, serverVm: string): Promise<number> {
  const vb = new VBoxManage();
  const keep = new Set(req.keep.map((n) => vmName({ name: req.lab }, { name: n })));
  const candidates = parseVmList(await vb.run(vbox.listVms()))
    .map((v) => v.name)
    .filter((n) => n.startsWith(`${req.lab}-`) && n !== baseVmName(req.lab) && !keep.has(n))
    .sort();
  let removed = 0;
  for (const name of candidates) {
    const view = await inspectVm(vb, name, req.lab, ctx.paths);
    if (!view.ours) continue;
    const nodeName = name.slice(req.lab.length + 1);
    const ip = view.extraData.get(IP_KEY);
    ctx.out(`kubelab: node ${nodeName} is no longer in the lab's node list; removing it`);
    if (ip) {
      const role = nodeName === req.server.name ? 'server' : 'agent';
      const serverVmId = (await vmInfo(vb, serverVm))?.get('UUID');
      await runK3sUninstall(ctx, { nodeName, ip, role, lab: req.lab, server: { name: req.server.name, ip: req.server.ip, vmId: serverVmId } });
    }
    await destroyNodeVm(vb, req.lab, nodeName, ctx.paths, ctx.out, view);
    removed++;
  }
  return removed;
}

async function pruneMachines(ctx: CliContext, req: PruneRequest): Promise<number> {
  const keep = new Set(req.keep);
  const gone = recordedMachines(ctx.paths).filter((m) => !keep.has(m.node));
  const server: DrainingServer = 'ssh' in req.server ? { name: req.server.name, ip: req.server.ip, ssh: req.server.ssh } : { name: req.server.name, ip: req.server.ip };
  for (const m of gone) {
    ctx.out(`kubelab: node ${m.node} (existing machine ${m.login.user}@${m.address}) is no longer in the lab's node list; removing K3s from it`);
    await runK3sUninstall(ctx, { nodeName: m.node, ip: m.address, role: m.role, lab: req.lab, ssh: m.login, server });
  }
  return gone.length;
}

import { vmName } from '../../config/lab-config';
import { CliContext } from '../context';
import { baseVmName } from '../virtualbox/base-image';
import { vbox } from '../virtualbox/commands';
import { inspectVm, vmInfo } from '../virtualbox/lab-vm';
import { IP_KEY, destroyNodeVm } from '../virtualbox/node-vm';
import { parseVmList } from '../virtualbox/parse';
import { VBoxManage } from '../virtualbox/vboxmanage';
import { runK3sUninstall } from './uninstall';

export interface PruneRequest {
  readonly lab: string;
  /** The nodes the lab has now; every other node VM of the lab goes. */
  readonly keep: readonly string[];
  /** The server that drains a removed agent: node name, IP and VM name. */
  readonly server: { readonly name: string; readonly ip: string; readonly vm: string };
}

/**
 * `kubelab prune`: removes the lab's node VMs that are no longer in its node list, with
 * their teardown: the node is drained and deleted from the cluster, K3s is uninstalled,
 * then the VM, its disks and seed go. Terraform runs it whenever the node list changes,
 * because a node's own destroy steps do not run when its resources leave the
 * configuration (Terraform drops destroy-time provisioners with the resource block).
 */
export async function pruneRemovedNodes(ctx: CliContext, req: PruneRequest): Promise<void> {
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
      const serverVmId = (await vmInfo(vb, req.server.vm))?.get('UUID');
      await runK3sUninstall(ctx, { nodeName, ip, role, lab: req.lab, server: { name: req.server.name, ip: req.server.ip, vmId: serverVmId } });
    }
    await destroyNodeVm(vb, req.lab, nodeName, ctx.paths, ctx.out, view);
    removed++;
  }
  if (removed === 0) ctx.out(`kubelab: every node VM of lab ${req.lab} is in its node list (${req.keep.join(', ')}); nothing to prune`);
}

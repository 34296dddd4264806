import { LabNode, vmName } from '../../config/lab-config';
import { CliContext } from '../context';
import { inspectVm } from '../virtualbox/lab-vm';
import { startNodeVm, stopNodeVm } from '../virtualbox/node-vm';
import { VBOXMANAGE_MISSING, VBoxManage } from '../virtualbox/vboxmanage';

/** Power and state of the lab's VMs, as the day-two verbs need them. */
export interface LabVms {
  start(node: LabNode): Promise<void>;
  /** A clean ACPI shutdown (hard power-off after a grace period), or at once with force. */
  stop(node: LabNode, force: boolean): Promise<void>;
  /** VirtualBox's VMState (running, poweroff, saved, …), or 'not created'. */
  state(node: LabNode): Promise<string>;
}

/** The lab's VMs through the VirtualBox side of the CLI (cli/virtualbox); no VBoxManage code of its own. */
export function virtualBoxVms(ctx: CliContext): LabVms {
  const vb = new VBoxManage();
  const lab = ctx.config.name;
  return {
    start: (node) => startNodeVm(vb, lab, node.name, ctx.paths, ctx.out),
    stop: (node, force) => stopNodeVm(vb, lab, node.name, ctx.paths, ctx.out, { force }),
    state: async (node) => {
      const view = await inspectVm(vb, vmName({ name: lab }, node), lab, ctx.paths);
      if (!view.registered) return 'not created';
      return view.ours ? view.state : `not lab ${lab}'s VM`;
    },
  };
}

/** The VMs, or undefined when VirtualBox is not installed here (status still shows the rest). */
export function virtualBoxVmsIfInstalled(ctx: CliContext): LabVms | undefined {
  try {
    return virtualBoxVms(ctx);
  } catch (err) {
    if ((err as Error).message === VBOXMANAGE_MISSING) return undefined;
    throw err;
  }
}

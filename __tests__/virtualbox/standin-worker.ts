/**
 * Runs kubelab in its own process against the VBoxManage STAND-IN (see
 * ../support/vboxmanage-standin.js), in a scratch project, for the multi-process tests:
 *   cli <projectDir> <verb…>   the real CLI verbs (network up, vm destroy, …)
 *   create <projectDir> <node> createNodeVm, whose guest wait is replaced by a check
 *                              that VirtualBox reports the VM running with its seed
 *                              attached: no guest boots under the stand-in, and the
 *                              real SSH wait is tested against a real sshd elsewhere.
 */
import { CliContext } from '../../cli/context';
import { KubelabError } from '../../cli/errors';
import { main } from '../../cli/main';
import { ubuntuImageSource } from '../../cli/image/ubuntu-image';
import { seedIsoPath } from '../../cli/seed/seed-iso';
import { SEED_CONTROLLER, vbox } from '../../cli/virtualbox/commands';
import { nodeOf } from '../../cli/virtualbox/node-arg';
import { GuestWait, createNodeVm } from '../../cli/virtualbox/node-vm';
import { parseMachineReadable } from '../../cli/virtualbox/parse';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';

async function run(): Promise<number> {
  const [mode, projectDir, ...rest] = process.argv.slice(1);
  if (mode === 'cli') return main(rest, projectDir);
  const ctx = new CliContext(projectDir);
  const vb = new VBoxManage();
  const checkBooted: GuestWait = async ({ name, node }) => {
    const info = parseMachineReadable(await vb.run(vbox.showVmInfo(name)));
    if (info.get('VMState') !== 'running') throw new KubelabError(`stand-in reports ${name} ${info.get('VMState')}`);
    if (info.get(`${SEED_CONTROLLER}-0-0`) !== seedIsoPath(ctx.paths, node.name)) throw new KubelabError(`${name} has no seed attached`);
  };
  try {
    await createNodeVm({ vb, cfg: ctx.config, paths: ctx.paths, source: ubuntuImageSource(), out: ctx.out, progress: () => undefined, waitForGuest: checkBooted }, nodeOf(ctx, rest[0]));
    return 0;
  } catch (err) {
    if (!(err instanceof KubelabError)) throw err;
    ctx.warn(`kubelab: error: ${err.message}`);
    return 1;
  }
}

run().then((code) => (process.exitCode = code));

import { Command } from 'commander';
import { CliContext } from '../context';
import { positiveNumber, positiveNumberOf } from '../number-option';
import { registerDoctorCommand } from '../doctor/doctor-command';
import { userCacheDir } from '../image/cache-dir';
import { fetchVerifiedImage } from '../image/download';
import { progressBar } from '../image/progress-bar';
import { ubuntuImageSource } from '../image/ubuntu-image';
import { registerSeedCommand } from '../seed/seed-command';
import { waitForSshAndCloudInit } from '../ssh/wait';
import { ensureBaseImage, removeBaseImage } from './base-image';
import { networkDown, networkUp } from './network';
import { nodeOf } from './node-arg';
import { GuestWait, createNodeVm, destroyNodeVm, nodeVmStatus, startNodeVm, stopNodeVm } from './node-vm';
import { BOOTSTRAPPED_SNAPSHOT, restoreSnapshot, takeSnapshot } from './snapshots';
import { VBoxManage } from './vboxmanage';

const progress = (text: string) => process.stderr.write(text);
const LAB_OPTION = ['--lab <lab>', "the lab's name (default: from the lab config); lets teardown work after the config changed"] as const;

/** How long `vm create` waits for SSH and cloud-init, in minutes, unless --timeout or the environment variable says otherwise. */
const VM_TIMEOUT_MINUTES = 15;
const VM_TIMEOUT_ENV = 'KUBELAB_VM_TIMEOUT';

/** The VirtualBox side of the lab: host-only network, base image, node VMs, snapshots, seed ISOs, doctor. */
export function registerVirtualBoxCommands(program: Command, ctx: CliContext): void {
  const labOf = (opts: { lab?: string }) => opts.lab ?? ctx.config.name;

  const network = program.command('network').description("The lab's VirtualBox host-only network (config network.cidr, host address network.hostIp)");
  network
    .command('up')
    .description('Create the host-only interface (macOS: host-only network) with the host address, or reuse a matching one')
    .action(async () => {
      await networkUp(new VBoxManage(), ctx.config, ctx.paths, ctx.out);
    });
  network
    .command('down')
    .description('Remove the host-only interface/network, only if the lab created it (reads .kubelab/network.json, not the config)')
    .option(...LAB_OPTION)
    .action(async (opts: { lab?: string }) => {
      await networkDown(new VBoxManage(), labOf(opts), ctx.paths, ctx.out);
    });

  const image = program.command('image').description('The Ubuntu 24.04 cloud image (.ova) and the base VM the nodes are cloned from');
  image
    .command('fetch')
    .description(`Download the image into ${userCacheDir()} and check it against Ubuntu's SHA256SUMS (resumes an interrupted download)`)
    .action(async () => {
      const source = ubuntuImageSource();
      const got = await fetchVerifiedImage(source, {
        cacheDir: userCacheDir(),
        onProgress: progressBar(`kubelab: downloading ${source.fileName}`, progress, process.stderr.isTTY === true),
        out: ctx.out,
      });
      ctx.out(`kubelab: ${got.downloaded ? 'downloaded and verified' : 'already downloaded and verified; nothing to do:'} ${got.file} (sha256 ${got.sha256})`);
    });
  image
    .command('import')
    .description('Import the image once as the base VM <lab>-base with the snapshot nodes are linked clones of (fetches it first if needed)')
    .action(async () => {
      await ensureBaseImage({ vb: new VBoxManage(), lab: ctx.config.name, paths: ctx.paths, source: ubuntuImageSource(), out: ctx.out, progress });
    });
  image
    .command('remove')
    .description('Delete the base VM (the downloaded image stays in the cache)')
    .option(...LAB_OPTION)
    .action(async (opts: { lab?: string }) => {
      await removeBaseImage(new VBoxManage(), labOf(opts), ctx.paths, ctx.out);
    });

  const vm = program.command('vm').description("The lab's node VMs (VirtualBox name <lab>-<node>, group /<lab>)");
  vm.command('create')
    .description('Create and boot a node as a linked clone of the base VM, then wait for SSH and cloud-init (no-op if it exists)')
    .argument('<node>', 'node name from the lab config, e.g. cp1')
    .option('--timeout <minutes>', `how long to wait for SSH and cloud-init (default: $${VM_TIMEOUT_ENV}, else ${VM_TIMEOUT_MINUTES})`, positiveNumberOf('--timeout'))
    .action(async (name: string, opts: { timeout?: number }) => {
      const node = nodeOf(ctx, name);
      // Terraform's VM steps run `vm create` without --timeout: on a slow host the environment sets it for `npm run up`.
      const fromEnv = process.env[VM_TIMEOUT_ENV];
      const minutes = opts.timeout ?? (fromEnv ? positiveNumber(fromEnv, VM_TIMEOUT_ENV) : VM_TIMEOUT_MINUTES);
      const timeoutMs = minutes * 60000;
      const waitForGuest: GuestWait = ({ uuid, node: n }) =>
        waitForSshAndCloudInit({ host: n.ip, nodeName: n.name, paths: ctx.paths, timeoutMs, onProgress: ctx.out, vmId: uuid });
      await createNodeVm({ vb: new VBoxManage(), cfg: ctx.config, paths: ctx.paths, source: ubuntuImageSource(), out: ctx.out, progress, waitForGuest }, node);
    });
  vm.command('destroy')
    .description("Power off and delete a node's VM, its disks and seed (no-op if missing; works without the node in the config)")
    .argument('<node>', 'node name, e.g. cp1')
    .option(...LAB_OPTION)
    .action(async (name: string, opts: { lab?: string }) => {
      await destroyNodeVm(new VBoxManage(), labOf(opts), name, ctx.paths, ctx.out);
    });
  vm.command('start')
    .description("Start a node's VM headless")
    .argument('<node>', 'node name, e.g. cp1')
    .option(...LAB_OPTION)
    .action(async (name: string, opts: { lab?: string }) => {
      await startNodeVm(new VBoxManage(), labOf(opts), name, ctx.paths, ctx.out);
    });
  vm.command('stop')
    .description("Shut a node's VM down (ACPI power button, then power off after 90 s)")
    .argument('<node>', 'node name, e.g. cp1')
    .option('--force', 'power off at once')
    .option(...LAB_OPTION)
    .action(async (name: string, opts: { lab?: string; force?: boolean }) => {
      await stopNodeVm(new VBoxManage(), labOf(opts), name, ctx.paths, ctx.out, { force: opts.force });
    });
  vm.command('status')
    .description("Say whether a node's VM exists and runs")
    .argument('<node>', 'node name, e.g. cp1')
    .option(...LAB_OPTION)
    .action(async (name: string, opts: { lab?: string }) => {
      ctx.out(await nodeVmStatus(new VBoxManage(), labOf(opts), name, ctx.paths));
    });

  const snapshot = program.command('snapshot').description('Snapshots of node VMs');
  snapshot
    .command('take')
    .description('Take a snapshot of a node (no-op if one of that name exists)')
    .argument('<node>', 'node name, e.g. cp1')
    .argument('[snapshot]', 'snapshot name', BOOTSTRAPPED_SNAPSHOT)
    .option('--replace', 'delete an existing snapshot of that name first')
    .option(...LAB_OPTION)
    .action(async (name: string, snap: string, opts: { lab?: string; replace?: boolean }) => {
      await takeSnapshot(new VBoxManage(), labOf(opts), name, snap, ctx.paths, ctx.out, opts.replace === true);
    });
  snapshot
    .command('restore')
    .description('Return a node to a snapshot (powers it off, restores, starts it)')
    .argument('<node>', 'node name, e.g. cp1')
    .argument('[snapshot]', 'snapshot name', BOOTSTRAPPED_SNAPSHOT)
    .option(...LAB_OPTION)
    .action(async (name: string, snap: string, opts: { lab?: string }) => {
      await restoreSnapshot(new VBoxManage(), labOf(opts), name, snap, ctx.paths, ctx.out);
    });
  program
    .command('reset')
    .description(`Return every node of the config to its post-bootstrap snapshot (${BOOTSTRAPPED_SNAPSHOT})`)
    .action(async () => {
      const vb = new VBoxManage();
      for (const node of ctx.config.nodes) await restoreSnapshot(vb, ctx.config.name, node.name, BOOTSTRAPPED_SNAPSHOT, ctx.paths, ctx.out);
    });

  registerSeedCommand(program, ctx);
  registerDoctorCommand(program, ctx);
}

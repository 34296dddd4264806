import { Command } from 'commander';
import { CliContext } from '../context';
import { durationOption, parseDuration } from '../duration-option';
import { registerDoctorCommand } from '../doctor/doctor-command';
import { userCacheDir } from '../image/cache-dir';
import { fetchVerifiedImage } from '../image/download';
import { progressBar } from '../image/progress-bar';
import { ubuntuImageSource } from '../image/ubuntu-image';
import { registerSeedCommand } from '../seed/seed-command';
import { waitForSshAndCloudInit } from '../ssh/wait';
import { ensureBaseImage, removeBaseImage } from './base-image';
import { HostOnlySpec, networkDown, networkUp } from './network';
import { nodeOf } from './node-arg';
import { GuestWait, createNodeVm, destroyNodeVm, nodeVmStatus, startNodeVm, stopNodeVm } from './node-vm';
import { BOOTSTRAPPED_SNAPSHOT, restoreSnapshot, takeSnapshot } from './snapshots';
import { VBoxManage } from './vboxmanage';
import { KubelabError } from '../errors';
import { labConfigSchema } from '../../config/lab-config';
import { parseCidr, subnetContains } from '../../config/ipv4';

const progress = (text: string) => process.stderr.write(text);
const LAB_OPTION = ['--lab <lab>', "the lab's name (default: from the lab config); lets teardown work after the config changed"] as const;

/** How long `vm create` waits for SSH and cloud-init, in minutes, unless --timeout or the environment variable says otherwise. */
const VM_TIMEOUT_MS = 15 * 60_000;
const VM_TIMEOUT_ENV = 'KUBELAB_VM_TIMEOUT';

/** The VirtualBox side of the lab: host-only network, base image, node VMs, snapshots, seed ISOs, doctor. */
export function registerVirtualBoxCommands(program: Command, ctx: CliContext): void {
  const labOf = (opts: { lab?: string }) => opts.lab ?? ctx.config.name;

  const network = program.command('network').description("The lab's VirtualBox host-only network (config network.cidr, host address network.hostIp)");
  network
    .command('up')
    .description('Create the host-only interface (macOS: host-only network) with the host address, or reuse a matching one')
    .option('--lab <lab>', "the lab's name (with --cidr and --host-ip, as the vms stack's network step passes them; default: the lab config)")
    .option('--cidr <cidr>', 'the network, e.g. 192.168.56.0/24 (with --lab and --host-ip)')
    .option('--host-ip <ip>', "the host's address on it, e.g. 192.168.56.1 (with --lab and --cidr)")
    .action(async (opts: { lab?: string; cidr?: string; hostIp?: string }) => {
      const planned = plannedNetwork(opts) ?? ctx.config;
      await networkUp(new VBoxManage(), planned, ctx.paths, ctx.out);
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
    .option(...LAB_OPTION)
    .action(async (opts: { lab?: string }) => {
      await ensureBaseImage({ vb: new VBoxManage(), lab: labOf(opts), paths: ctx.paths, source: ubuntuImageSource(), out: ctx.out, progress, recordDownload: (d) => ctx.recordDownload(d) });
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
    .addOption(durationOption('--timeout', `how long to wait for SSH and cloud-init (else $${VM_TIMEOUT_ENV})`, VM_TIMEOUT_MS))
    .action(async function (this: Command, name: string, opts: { timeout: number }) {
      const node = nodeOf(ctx, name);
      // Terraform's VM steps run `vm create` without --timeout: on a slow host the environment sets it for `npm run up`.
      const fromEnv = process.env[VM_TIMEOUT_ENV];
      const timeoutMs = this.getOptionValueSource('timeout') === 'default' && fromEnv ? parseDuration(fromEnv, VM_TIMEOUT_ENV, true) : opts.timeout;
      const waitForGuest: GuestWait = ({ uuid, node: n }) =>
        waitForSshAndCloudInit({ host: n.ip, nodeName: n.name, paths: ctx.paths, timeoutMs, onProgress: ctx.out, vmId: uuid });
      await createNodeVm({ vb: new VBoxManage(), cfg: ctx.config, paths: ctx.paths, source: ubuntuImageSource(), out: ctx.out, progress, waitForGuest, recordDownload: (d) => ctx.recordDownload(d) }, node);
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
      ctx.out(WAIT_AFTER_RESTORE);
    });
  program
    .command('reset')
    .description(`Return every node of the config to its post-bootstrap snapshot (${BOOTSTRAPPED_SNAPSHOT})`)
    .action(async () => {
      const vb = new VBoxManage();
      for (const node of ctx.config.nodes) await restoreSnapshot(vb, ctx.config.name, node.name, BOOTSTRAPPED_SNAPSHOT, ctx.paths, ctx.out);
      ctx.out(WAIT_AFTER_RESTORE);
    });

  registerSeedCommand(program, ctx);
  registerDoctorCommand(program, ctx);
}

/**
 * Restores only boot the VMs: the API keeps showing a restored node Ready from before for up to
 * the grace period, so the wait for the nodes is kubelab start's (which checks their leases).
 */
const WAIT_AFTER_RESTORE = 'kubelab: the nodes start now; the API may still show them Ready from before the restore. Wait until they are back with: npx kubelab start';

/**
 * The network `network up` makes from its arguments (what Terraform planned), or undefined
 * without them (then the lab config says). The node addresses a macOS host-only network must
 * not lease are checked by each `vm create`, whose spec holds its node.
 */
function plannedNetwork(opts: { lab?: string; cidr?: string; hostIp?: string }): HostOnlySpec | undefined {
  const { lab, cidr, hostIp } = opts;
  if (lab === undefined && cidr === undefined && hostIp === undefined) return undefined;
  if (lab === undefined || cidr === undefined || hostIp === undefined) {
    throw new KubelabError('--lab, --cidr and --host-ip go together: give all three, or none to use the lab config');
  }
  const checked = labConfigSchema.shape.network.safeParse({ cidr, hostIp });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const [option, value] = issue.path[0] === 'hostIp' ? ['--host-ip', hostIp] : ['--cidr', cidr];
    throw new KubelabError(`${option} ${JSON.stringify(value)} ${issue.message}`);
  }
  if (!subnetContains(parseCidr(cidr)!, hostIp)) throw new KubelabError(`--host-ip ${JSON.stringify(hostIp)} must lie inside --cidr ${cidr}`);
  return { name: lab, network: { cidr, hostIp }, nodes: [] };
}

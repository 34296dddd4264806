import { Command, Option } from 'commander';
import * as fs from 'fs';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { durationOption } from '../duration-option';
import { fetchLabKubeconfig } from '../kubeconfig/fetch';
import { mergeLabIntoUserKubeconfig, mergedInto, MergeOutcome, unmergeLabFromUserKubeconfig, userKubeconfigPath } from '../kubeconfig/merge';
import { registerSshCommands } from '../ssh/commands';
import { pruneRemovedNodes } from './prune';
import { ensureK3sImages } from './release-cache';
import { hostPlatform, nodeArch } from '../image/host-arch';
import { DEFAULT_STEP_TIMING, nodeForRole, planK3sStep, runK3sStep } from './step';
import { vmInfo } from '../virtualbox/lab-vm';
import { VBoxManage } from '../virtualbox/vboxmanage';
import { DEFAULT_UNINSTALL_TIMING, DrainingServer, parseSshWord, runK3sUninstall } from './uninstall';
import { ConfigError } from '../../config/load';
import { serverNode } from '../../config/lab-config';

const readyTimeoutOption = () =>
  durationOption('--ready-timeout', 'how long K3s may take to report ready to systemd, and the API and the node to become Ready', DEFAULT_STEP_TIMING.readyTimeoutMs);
const roleOption = () => new Option('--role <role>', 'the role K3s has on the node').choices(['server', 'agent']).makeOptionMandatory();

/** The K3s verbs the `k3s` stack runs, the `kubeconfig` verb, and the SSH verbs they build on. */
export function registerK3sCommands(program: Command, ctx: CliContext): void {
  const k3s = program.command('k3s').description('Install, inspect and remove K3s on the lab nodes over SSH');

  k3s
    .command('server')
    .description('Install (or upgrade) the K3s server on a node and wait until the API and the node are Ready; no-op when already there')
    .argument('<node>', 'the server node, e.g. cp1')
    .addOption(readyTimeoutOption())
    .action((node: string, opts: { readyTimeout: number }) => runK3sStep(ctx, 'server', node, { ...DEFAULT_STEP_TIMING, readyTimeoutMs: opts.readyTimeout }));

  k3s
    .command('agent')
    .description('Join a node to the cluster as a K3s agent and wait until it is Ready with its host-only IP; no-op when already there')
    .argument('<node>', 'an agent node, e.g. w1')
    .addOption(readyTimeoutOption())
    .action((node: string, opts: { readyTimeout: number }) => runK3sStep(ctx, 'agent', node, { ...DEFAULT_STEP_TIMING, readyTimeoutMs: opts.readyTimeout }));

  // The name Terraform's kubeconfig step runs (fetch at create, --remove at destroy): an alias of
  // `kubelab kubeconfig --fetch`, out of the help so users meet one kubeconfig verb.
  k3s
    .command('kubeconfig', { hidden: true })
    .description('Same as npx kubelab kubeconfig --fetch (or --remove); the k3s stack runs it')
    .addOption(removeOption())
    .addOption(labOption())
    .action((opts: KubeconfigOptions) => kubeconfigVerb(ctx, opts.remove ? opts : { ...opts, fetch: true }));

  k3s
    .command('uninstall')
    .description('Drain and delete the node from the cluster (while it answers) and remove K3s from it; works without the lab config')
    .argument('<node>', 'node name')
    .requiredOption('--ip <ip>', "the node's host-only IP")
    .addOption(roleOption())
    .requiredOption('--lab <lab>', 'the lab name')
    .option('--ssh <login>', 'for an existing machine: <user>:<port>:<key file in .kubelab/>')
    // Terraform names the draining server exactly; by hand, the lab config's first server is the one.
    .addOption(new Option('--server <node>', "the server the node leaves through (drained there; a server's etcd member removed there first); the lab's first server names itself and leaves with the cluster (default: the lab config's first server)").hideHelp())
    .addOption(new Option('--server-ip <ip>', "the server's address (with --server)").hideHelp())
    .addOption(new Option('--server-vm <vm>', "the server's VirtualBox VM name (with --server, when it is a VM)").hideHelp())
    .addOption(new Option('--server-ssh <login>', "the server's <user>:<port>:<key file> (with --server, when it is an existing machine)").hideHelp())
    .addOption(durationOption('--ssh-wait', 'how long SSH port 22 may stay silent before the VM counts as gone', DEFAULT_UNINSTALL_TIMING.probeMs))
    .action(async (nodeName: string, opts: { ip: string; role: 'server' | 'agent'; lab: string; ssh?: string; server?: string; serverIp?: string; serverVm?: string; serverSsh?: string; sshWait: number }) =>
      runK3sUninstall(
        ctx,
        { nodeName, ip: opts.ip, role: opts.role, lab: opts.lab, server: await drainingServer(ctx, opts), ...(opts.ssh ? { ssh: parseSshWord(opts.ssh) } : {}) },
        { ...DEFAULT_UNINSTALL_TIMING, probeMs: opts.sshWait },
      ),
    );

  program
    .command('prune', { hidden: true })
    .description("Remove the lab's nodes that are not in the node list: drain them, uninstall K3s, and remove their VMs (npm run up runs this when the node list changes)")
    .requiredOption('--lab <lab>', 'the lab name')
    .requiredOption('--keep <nodes>', 'the nodes the lab keeps, joined with +, e.g. cp1+w1+w2')
    .requiredOption('--server <node>', 'the server node, which drains removed nodes')
    .requiredOption('--server-ip <ip>', "the server's address")
    .option('--server-vm <vm>', "the server's VirtualBox VM name (a lab of VMs)")
    .option('--server-ssh <login>', "the server's <user>:<port>:<key file> (a lab of existing machines)")
    .action((opts: { lab: string; keep: string; server: string; serverIp: string; serverVm?: string; serverSsh?: string }) => {
      if ((opts.serverVm === undefined) === (opts.serverSsh === undefined)) throw new KubelabError('prune needs one of --server-vm (a lab of VMs) or --server-ssh (a lab of existing machines)');
      const reach = opts.serverVm !== undefined ? { vm: opts.serverVm } : { ssh: parseSshWord(opts.serverSsh!) };
      return pruneRemovedNodes(ctx, { lab: opts.lab, keep: opts.keep.split('+').filter(Boolean), server: { name: opts.server, ip: opts.serverIp, ...reach } });
    });

  k3s
    .command('images')
    .description("Download the lab K3s version's air-gap images once into this host's cache (npm run up does it; run it beforehand to prepare a classroom's machines)")
    .action(async () => {
      const { version } = ctx.config.k3s;
      const file = await ensureK3sImages(version, nodeArch(hostPlatform()), ctx);
      if (!file) throw new KubelabError(`the K3s ${version} air-gap images are not in this host's cache (see the warning above); run npx kubelab k3s images again once the host reaches the release`);
      ctx.out(`kubelab: K3s ${version} air-gap images: ${file}`);
    });

  k3s
    .command('script')
    .description('Print the exact bash script the server or agent step runs on the node (the token is read from standard input, never shown)')
    .addArgument(new Command().createArgument('<role>', 'server or agent').choices(['server', 'agent']))
    .argument('<node>', 'node name')
    .action((role: 'server' | 'agent', nodeName: string) => {
      const cfg = ctx.config;
      ctx.out(planK3sStep(cfg, ctx, nodeForRole(cfg, nodeName, role)).script.trimEnd());
    });

  program
    .command('kubeconfig')
    .description(
      "The lab's kubeconfig (.kubelab/kubeconfig): say where it is and whether it is merged; fetch it again from the server; " +
        'merge its cluster/context/user into your kubeconfig (first of KUBECONFIG, else ~/.kube/config), or remove them',
    )
    .option('--fetch', "read the cluster's kubeconfig from the server into .kubelab/ (0600), pointed at the server IP and named after the lab")
    .option('--merge', 'add or replace only the lab entries in your kubeconfig; a timestamped backup is written first')
    .option('--unmerge', 'remove only the lab entries from your kubeconfig')
    .addOption(removeOption())
    .addOption(labOption())
    .action((opts: KubeconfigOptions) => kubeconfigVerb(ctx, opts));

  registerSshCommands(program, ctx);
}

/**
 * The server a node leaves through: --server/--server-ip with --server-vm or --server-ssh (as
 * Terraform passes them; a VM with its VirtualBox id, so the host key is checked as that VM's),
 * else the lab config's first server when it loads (checked against the node's pin).
 */
async function drainingServer(
  ctx: CliContext,
  opts: { server?: string; serverIp?: string; serverVm?: string; serverSsh?: string },
): Promise<DrainingServer | undefined> {
  const reach = [opts.serverVm, opts.serverSsh].filter((v) => v !== undefined).length;
  const given = [opts.server, opts.serverIp].filter((v) => v !== undefined).length + Math.min(reach, 1);
  if ((given > 0 && given < 3) || reach > 1) {
    throw new KubelabError('--server and --server-ip go together with one of --server-vm or --server-ssh: give all three, or none to use the lab config');
  }
  // Past the check above, a --server-ssh means all three were given.
  if (opts.serverSsh !== undefined) return { name: opts.server!, ip: opts.serverIp!, ssh: parseSshWord(opts.serverSsh) };
  if (given === 3) return { name: opts.server!, ip: opts.serverIp!, vmId: (await vmInfo(new VBoxManage(), opts.serverVm!))?.get('UUID') };
  let cfg;
  try {
    cfg = ctx.config;
  } catch (err) {
    // The node may be gone from a broken config; runK3sUninstall says the agent is not drained.
    // Stryker disable next-line ConditionalExpression: every failure ctx.config meets is a ConfigError (config/load.ts); anything else must not be swallowed
    if (!(err instanceof ConfigError)) throw err;
    return undefined;
  }
  // When the node that leaves is this server itself, runK3sUninstall drains nothing (uninstall.ts).
  const node = serverNode(cfg);
  return { name: node.name, ip: node.ip, ...(node.host ? { ssh: node.host } : {}) };
}

interface KubeconfigOptions {
  fetch?: boolean;
  merge?: boolean;
  unmerge?: boolean;
  remove?: boolean;
  lab?: string;
}

/** `--remove --lab`: what the destroy of the kubeconfig step runs; not for users (npm run down does it). */
const removeOption = () =>
  new Option('--remove', 'delete the lab kubeconfig and remove the lab from the user kubeconfig if it was merged (npm run down runs this); the next fetch merges it back there').hideHelp();
const labOption = () => new Option('--lab <lab>', 'the lab name (with --remove; the config may be gone)').hideHelp();

/** The one kubeconfig verb: remove (Terraform's destroy), or fetch and/or merge or unmerge, or say where things are. */
async function kubeconfigVerb(ctx: CliContext, opts: KubeconfigOptions): Promise<void> {
  if (opts.remove) {
    if (!opts.lab) throw new KubelabError('kubeconfig --remove needs --lab <lab name>');
    const merged = mergedInto(ctx.paths);
    // Terraform runs this both when the lab goes and when the step is replaced (a new server): the
    // entries go now, and the next fetch (the replacement's create, or a later deploy) merges them back.
    if (merged) report(ctx, unmergeLabFromUserKubeconfig(ctx.paths, opts.lab, merged, true), 'removed the lab entries from');
    if (fs.existsSync(ctx.paths.kubeconfig)) {
      fs.rmSync(ctx.paths.kubeconfig);
      ctx.out(`kubelab: deleted ${ctx.paths.kubeconfig}`);
    } else ctx.out(`kubelab: ${ctx.paths.kubeconfig} does not exist; nothing to delete`);
    return;
  }
  if (opts.merge && opts.unmerge) throw new KubelabError('choose one of --merge and --unmerge');
  if (opts.fetch) await fetchLabKubeconfig(ctx);
  const lab = () => ctx.config.name;
  if (opts.merge) return report(ctx, mergeLabIntoUserKubeconfig(ctx.paths, lab()), 'merged the lab entries into');
  if (opts.unmerge) return report(ctx, unmergeLabFromUserKubeconfig(ctx.paths, lab()), 'removed the lab entries from');
  if (opts.fetch) return;
  ctx.out(`lab kubeconfig: ${ctx.paths.kubeconfig}${fs.existsSync(ctx.paths.kubeconfig) ? '' : ' (not fetched yet: npx kubelab kubeconfig --fetch)'}`);
  ctx.out(`your kubeconfig: ${userKubeconfigPath()}; lab merged there: ${mergedInto(ctx.paths) ? 'yes' : 'no'} (npx kubelab kubeconfig --merge, or --unmerge)`);
}

function report(ctx: CliContext, outcome: MergeOutcome, did: string): void {
  if (!outcome.changed) ctx.out(`kubelab: ${outcome.file} already as wanted; nothing to do`);
  else ctx.out(`kubelab: ${did} ${outcome.file}${outcome.backup ? ` (backup: ${outcome.backup})` : ''}`);
}

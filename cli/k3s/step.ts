import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LabConfig, LabNode, findNode, serverNode, vmName } from '../../config/lab-config';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { ConnectionLostError, NodeSession, RemoteCommandError, connectToNode, sleep } from '../ssh/client';
import { describeTarget, labNodeSshTarget } from '../ssh/target';
import { applyRegistries, labRegistriesYaml } from './registries';
import { answers } from './ssh-port';
import { InstallerFiles, checksumsFileText, fillCache, resolveInstallerFiles, stagedImagesName } from './installer-files';
import { cachedK3sImages, ensureK3sImages } from './release-cache';
import { hostPlatform, nodeArch } from '../image/host-arch';
import { CHECK_INSTALL_NEEDED, STAGED, STARTING_MARK, appliedMarker, nodeScriptName, renderK3sNodeScript } from './node-script';
import { NodeChangeLockOptions, takeNodeChangeLock } from './node-change-lock';
import { K3sStepPlan, k3sStepPlan } from '../../config/k3s-plan';
import { labRegistries } from '../../config/registries';
import { ReadinessOptions, waitForApiReady, waitForNodeReady } from './readiness';
import { SUDO, onNode, withStagingDir } from './remote';
import { waitForK3sService } from './service-ready';
import { ensureK3sToken } from './token';
import { recordMachine } from './machine-records';
import { vmState } from '../virtualbox/lab-vm';
import { serialLogPath } from '../virtualbox/node-vm';
import { VBoxManage } from '../virtualbox/vboxmanage';
import { OFF_STATES } from '../virtualbox/vm-states';

/** Timing of a step; tests shorten it. */
export interface K3sStepTiming {
  /** How long to keep trying to log in while a VM boots. */
  connectTimeoutMs: number;
  /** How long the API and the node may take to become Ready. */
  readyTimeoutMs: number;
  pollMs: number;
  /**
   * How long the node's SSH port may stay silent before the step stops and says the VM is
   * not running (the vms stack left it booted and reachable). @default 30 s
   */
  answerTimeoutMs?: number;
  /** Attempts of the whole step when the SSH connection drops mid-way (the script is safe to re-run). */
  attempts: number;
  retryDelayMs: number;
  /** How a change of a running K3s waits for the other nodes' changes. @default takeNodeChangeLock's */
  changeLock?: NodeChangeLockOptions;
}

export const DEFAULT_STEP_TIMING: K3sStepTiming = { connectTimeoutMs: 180_000, readyTimeoutMs: 300_000, pollMs: 3000, attempts: 3, retryDelayMs: 3000 };

/** The node of the config with that name, which must have the role the verb installs. */
export function nodeForRole(cfg: LabConfig, name: string, role: 'server' | 'agent'): LabNode {
  let node: LabNode;
  try {
    node = findNode(cfg, name);
  } catch (err) {
    throw new KubelabError((err as Error).message);
  }
  if (node.role !== role) {
    throw new KubelabError(`Node ${name} has role ${node.role} in the lab config; use: npx kubelab k3s ${node.role} ${name}`);
  }
  return node;
}

/**
 * The plan and script a step would run on a node, given where the installer comes from and
 * which air-gap images tarball goes with it (source local: the configured one; online: this
 * host's cached copy of the release's, when there is one).
 */
export function planK3sStep(cfg: LabConfig, ctx: Pick<CliContext, 'paths'>, node: LabNode): { plan: K3sStepPlan; files?: InstallerFiles; images?: string; script: string } {
  const arch = nodeArch(hostPlatform());
  const local = cfg.k3s.installer.source === 'local';
  // The host's caches hold files for this host's CPU, which a VM has; an existing machine may have
  // another, so an online install there downloads what fits it and pulls K3s's images itself.
  const hostCached = !local && !node.host;
  const files = local || hostCached ? resolveInstallerFiles(cfg, ctx.paths, arch) : undefined;
  // Stryker disable next-line OptionalChaining: local files always resolve (resolveInstallerFiles throws when one is missing)
  const images = local ? files?.images : hostCached ? cachedK3sImages(cfg.k3s.version, arch) : undefined;
  const plan = k3sStepPlan(cfg, node, files ? 'upload' : 'online');
  return { plan, files, images, script: renderK3sNodeScript(plan, { images: images && stagedImagesName(images) }) };
}

/**
 * `kubelab k3s server|agent <node>`: installs (or upgrades) K3s on the node over SSH and
 * waits until it is Ready in the cluster with its host-only address. A node already at
 * the pinned version with the same flags is left alone.
 */
export async function runK3sStep(ctx: CliContext, role: 'server' | 'agent', nodeName: string, timing: K3sStepTiming = DEFAULT_STEP_TIMING): Promise<void> {
  const cfg = ctx.config;
  const node = nodeForRole(cfg, nodeName, role);
  if (role === 'agent' && !fs.existsSync(ctx.paths.k3sToken)) {
    throw new KubelabError(`The lab token ${ctx.paths.k3sToken} does not exist yet; install the server first: npx kubelab k3s server ${serverNode(cfg).name}`);
  }
  const token = ensureK3sToken(ctx.paths);
  // Online: the release's air-gap images, fetched once for this host, go to the node before K3s starts.
  if (cfg.k3s.installer.source === 'online' && !node.host) await ensureK3sImages(cfg.k3s.version, nodeArch(hostPlatform()), ctx);
  const { plan, files, images, script } = planK3sStep(cfg, ctx, node);
  // Read now, so a missing credentials file stops the step before anything changes on the node.
  const registries = labRegistriesYaml(labRegistries(cfg), ctx.paths);
  const connect = (n: LabNode) =>
    connectToNode({ paths: ctx.paths, target: labNodeSshTarget(n), timeoutMs: timing.connectTimeoutMs, onProgress: ctx.out });
  ctx.out(`kubelab: ${node.name}: K3s ${plan.version} ${role}, installer: ${files ? files.origin : 'online (get.k3s.io over the VM NAT)'}`);
  // Agents and joining servers need the first server, which they register through.
  const first = serverNode(cfg);
  for (const n of first.name === node.name ? [node] : [node, first]) await requireAnswering(ctx, n, timing.answerTimeoutMs ?? 30_000);
  // An existing machine is found again through this record once it leaves the config (kubelab prune).
  recordMachine(ctx.paths, node);

  // A first install runs beside the other nodes' (all agents join at once); a change to a K3s that
  // already runs (a restart) holds the lab-wide lock until the node is Ready again (see node-change-lock.ts).
  let releaseChangeLock: (() => Promise<void>) | undefined;
  const takeChangeLock = async () => {
    releaseChangeLock ??= await takeNodeChangeLock(ctx.paths, node.name, ctx.out, timing.changeLock);
  };
  // Kept across attempts: a retry finds the file already written, and K3s must still read it.
  let registriesUnread = false;
  try {
    await retryOnDroppedConnection(ctx, node.name, timing, async () => {
      const session = await connect(node);
      const lockIfRunning = async () => {
        if ((await session.exec(`${SUDO} test -e ${onNode(appliedMarker(role))}`)).code === 0) await takeChangeLock();
      };
      try {
        // Before K3s (re)starts: it reads registries.yaml only at start.
        const applied = await applyRegistries(session, { nodeName: node.name, content: registries });
        if (applied.said) ctx.out(applied.said);
        registriesUnread ||= applied.changed;
        const restarted = await installOnNode(ctx, session, plan, script, token, timing, { files, images }, lockIfRunning);
        if (registriesUnread && !restarted) await restartForRegistries(ctx, session, plan, timing, takeChangeLock);
      } finally {
        session.close();
      }
    });

    const ready: ReadinessOptions = { timeoutMs: timing.readyTimeoutMs, pollMs: timing.pollMs, onProgress: ctx.out };
    await retryOnDroppedConnection(ctx, node.name, timing, async () => {
      const server = await connect(serverNode(cfg));
      try {
        if (role === 'server') await waitForApiReady(server, ready);
        // A K3s that ran before this step restarted: the Ready the API shows may still be the old one's.
        await waitForNodeReady(server, node, ready, releaseChangeLock !== undefined);
      } finally {
        server.close();
      }
    });
  } finally {
    await releaseChangeLock?.();
  }
}

/**
 * Stops at once when a node's SSH port is silent instead of waiting out the login timeout, and
 * says what to do from what VirtualBox reports about the node's VM: gone, off, running but silent
 * (still booting, or stuck), paused, crashed (guru meditation), or busy with an operation.
 */
async function requireAnswering(ctx: CliContext, node: LabNode, ms: number): Promise<void> {
  const target = labNodeSshTarget(node);
  if (await answers(target, ms)) return;
  const silent = `${describeTarget(target)} does not answer on SSH port ${target.port} within ${Math.round(ms / 1000)} s`;
  if (node.host) {
    throw new KubelabError(`${silent}: the existing machine ${node.name} is off or unreachable from here. Check it with npx kubelab doctor, then run npm run up again`);
  }
  const vm = vmName(ctx.config, node);
  let state: string;
  try {
    state = await vmState(new VBoxManage(), vm);
  } catch (err) {
    throw new KubelabError(
      `${silent}, and VirtualBox could not say whether its VM ${vm} runs (${(err as Error).message}). ` +
        `Check it with npx kubelab vm status ${node.name}; start it with npx kubelab vm start ${node.name} (or re-create it with npm run up -- vms), then run npm run up again`,
    );
  }
  if (state === 'absent') {
    throw new KubelabError(`${silent}: its VM ${vm} does not exist. Create it with npm run up -- vms (or npx kubelab vm create ${node.name}), then run npm run up again`);
  }
  if (OFF_STATES.has(state)) {
    throw new KubelabError(`${silent}: its VM ${vm} is not running (VirtualBox says ${state}). Start it with npx kubelab vm start ${node.name}, then run npm run up again`);
  }
  const restart = `npx kubelab vm stop ${node.name} --force, then npx kubelab vm start ${node.name}`;
  if (state === 'running') {
    throw new KubelabError(
      `${silent}, though its VM ${vm} is running: the guest is still booting or is stuck (its boot log: ${serialLogPath(ctx.paths, node.name)}). ` +
        `Run npm run up again in a minute; if it stays silent, restart the VM: ${restart}`,
    );
  }
  // A paused VM or one VirtualBox is busy with (taking a snapshot, saving…) is fine once resumed or
  // done: a forced power-off there would cut a server's etcd short for nothing.
  if (state === 'paused') {
    throw new KubelabError(`${silent}: its VM ${vm} is paused. Resume it in VirtualBox Manager, then run npm run up again`);
  }
  if (state === 'gurumeditation') {
    throw new KubelabError(`${silent}: VirtualBox says its VM ${vm} is ${state}: the guest crashed. Restart it: ${restart}, then run npm run up again`);
  }
  throw new KubelabError(`${silent}: VirtualBox is busy with its VM ${vm} (${state}). Wait until that ends, then run npm run up again`);
}

async function retryOnDroppedConnection(ctx: CliContext, nodeName: string, timing: K3sStepTiming, attempt: () => Promise<void>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConnectionLostError) || i >= timing.attempts) throw err;
      ctx.warn(`kubelab: warning: ${nodeName}: ${err.message}; retrying (attempt ${i + 1} of ${timing.attempts})`);
      await sleep(timing.retryDelayMs);
    }
  }
}

/**
 * K3s reads a changed registries.yaml only when it starts again (see NODE_REGISTRIES_FILE). When the
 * install did not restart it (it runs, and runs these files: the install's check saw to that), a
 * restart like an upgrade's, under the lab-wide lock; the step then waits for the node's return as after one.
 */
async function restartForRegistries(ctx: CliContext, session: NodeSession, plan: K3sStepPlan, timing: K3sStepTiming, takeChangeLock: () => Promise<void>): Promise<void> {
  const { service, node } = plan;
  await takeChangeLock();
  ctx.out(`kubelab: ${node.name}: restarting ${service} so that K3s reads the new registries`);
  await session.run(`${SUDO} systemctl restart --no-block ${service}`);
  await waitForK3sService(session, plan, { timeoutMs: timing.readyTimeoutMs, pollMs: timing.pollMs, onProgress: ctx.out });
}

/**
 * Installs or changes K3s on the node when its check says so; `beforeChange` runs first in that
 * case. Whether K3s was (re)started.
 */
async function installOnNode(
  ctx: CliContext,
  session: NodeSession,
  plan: K3sStepPlan,
  script: string,
  token: string,
  timing: K3sStepTiming,
  upload: { files?: InstallerFiles; images?: string },
  beforeChange: () => Promise<void>,
): Promise<boolean> {
  const { files, images } = upload;
  const name = nodeScriptName(plan);
  return withStagingDir(session, async (staging) => {
    await session.upload(`${staging}/${name}`, { data: script }, 0o700);
    const check = await session.exec(`${SUDO} bash ${staging}/${name} --check`);
    if (check.code === 0) {
      ctx.out(check.stdout.trim());
      return false;
    }
    if (check.code !== CHECK_INSTALL_NEEDED) throw new RemoteCommandError(session.target, `${name} --check`, check);
    await beforeChange();

    const staged: Record<string, string> = files ? { [STAGED.installScript]: files.installScript, [STAGED.binary]: files.binary } : {};
    if (images) staged[stagedImagesName(images)] = images;
    if (Object.keys(staged).length > 0) {
      ctx.out(`kubelab: ${plan.node.name}: uploading ${[files ? 'the K3s installer and binary' : '', images ? 'the K3s air-gap images' : ''].filter(Boolean).join(' and ')}`);
      for (const [remote, local] of Object.entries(staged)) await session.upload(`${staging}/${remote}`, { localFile: local }, 0o600);
      await session.upload(`${staging}/${STAGED.checksums}`, { data: checksumsFileText(staged) }, 0o600);
    }
    ctx.out(`kubelab: ${plan.node.name}: installing K3s ${plan.version} (${plan.service})`);
    const result = await session.run(`${SUDO} bash ${staging}/${name} --install`, { stdin: `${token}\n`, label: `${name} (K3s ${plan.role} install)` });
    ctx.out(result.stdout.trim().split('\n').slice(-1)[0]);
    if (!files && !plan.node.host) await cacheOnlineInstall(ctx, session, plan, staging);
    await waitForK3sService(session, plan, { timeoutMs: timing.readyTimeoutMs, pollMs: timing.pollMs, onProgress: ctx.out });
    return result.stdout.split('\n').some((line) => line.startsWith(STARTING_MARK));
  });
}

/** After an online install, keeps install.sh and the binary on the host so later installs need no download. */
async function cacheOnlineInstall(ctx: CliContext, session: NodeSession, plan: K3sStepPlan, staging: string): Promise<void> {
  // Stryker disable next-line StringLiteral: only the temp dir's name
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-cache-'));
  try {
    const fetched = { installScript: path.join(tmp, STAGED.installScript), binary: path.join(tmp, STAGED.binary) };
    await session.download(`${staging}/${STAGED.installScript}`, fetched.installScript);
    await session.download(`${staging}/${STAGED.binary}`, fetched.binary);
    const dir = fillCache(plan.version, nodeArch(hostPlatform()), fetched);
    ctx.recordDownload({ artifact: `${STAGED.installScript} and ${STAGED.binary}`, bytes: fs.statSync(fetched.installScript).size + fs.statSync(fetched.binary).size, by: plan.node.name });
    ctx.out(`kubelab: cached K3s ${plan.version} install.sh and binary with checksums in ${dir}; later installs of any lab on this host upload them instead of downloading`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * What the suites that run `npm run up` / `npm run down` on real guests share (the joined suite,
 * lab-up.joined.ts, and the join-timeline measurement, join-timeline.measure.ts): the project's
 * environment, its lab config with the chart stacks empty, and the node list from the API.
 */
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { makeLabProject } from '../terraform/terraform-lab';
import { CHARTLESS_COMPONENTS, killLeftoverGuests, labProjectEnv, qemuVirtualBox, serveGuestImage, standInK3sInstaller } from './guest-lab';

/** A node of a lab these suites stand up. */
export interface GuestNode {
  readonly name: string;
  readonly role: 'server' | 'agent';
  readonly ip: string;
}

/** A lab project in a scratch folder of its own, ready for `npm run up`. */
export interface JoinedLab {
  readonly root: string;
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
  /** Kills the guests a failed run left, stops the image server, removes the scratch folder. */
  readonly close: () => Promise<void>;
}

/** A project in a new scratch folder (os.tmpdir()/<prefix>…) with its config written by `configure`, and its environment. */
export async function startJoinedLab(prefix: string, guestDir: string, configure: (project: string) => void): Promise<JoinedLab> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const project = path.join(root, 'project');
  makeLabProject(project);
  configure(project);
  const image = await serveGuestImage(guestDir);
  return {
    root,
    project,
    env: joinedLabEnv(root, guestDir, image.baseUrl),
    close: async () => {
      killLeftoverGuests(root);
      await image.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The environment for `npm run up` / `down` / `diff` and kubelab in a project under `root`: the
 * qemu-backed VBoxManage stand-in booting the image in guestDir, the image served at imageBaseUrl,
 * Terraform's providers from a filesystem mirror of stand-ins (null; kubernetes and helm accept their
 * configuration and serve nothing), and HOME, caches and KUBECONFIG inside root.
 */
function joinedLabEnv(root: string, guestDir: string, imageBaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...labProjectEnv(root),
    ...qemuVirtualBox(root, guestDir),
    KUBELAB_IMAGE_BASE_URL: imageBaseUrl,
    XDG_CACHE_HOME: path.join(root, 'cache'),
    // Under emulation on a busy machine a first boot can take far longer than kubelab's default 15 minutes.
    KUBELAB_VM_TIMEOUT: '45m',
  };
  fs.mkdirSync(path.join(root, 'home'), { recursive: true });
  return env;
}

/**
 * Writes the project's kubelab.config.yaml: the stand-in K3s at `version` uploaded by kubelab, every
 * component off (no chart can deploy offline, so the chart stacks stay empty), servers with 2 CPUs
 * and 2 GB, agents with 1 CPU and 1 GB.
 */
export function writeChartlessConfig(project: string, lab: string, version: string, nodes: readonly GuestNode[]): void {
  fs.writeFileSync(
    path.join(project, 'kubelab.config.yaml'),
    [
      `name: ${lab}`,
      ...standInK3sInstaller(project, version),
      ...CHARTLESS_COMPONENTS,
      `nodes:`,
      ...nodes.map((n) => `  - { name: ${n.name}, role: ${n.role}, ip: ${n.ip}, cpus: ${n.role === 'server' ? 2 : 1}, memoryMb: ${n.role === 'server' ? 2048 : 1024} }`),
      ``,
    ].join('\n'),
  );
}

/** A node as the API lists it. */
export interface ApiNode {
  readonly name: string;
  readonly ready: string;
  readonly ip: string;
  readonly version: string;
}

/** The node list from the API, through a lab kubeconfig (its server, CA and credentials). */
export async function apiNodes(kubeconfigFile: string): Promise<ApiNode[]> {
  const kc = parseYaml(fs.readFileSync(kubeconfigFile, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const url = new URL('/api/v1/nodes', kc.clusters[0].cluster.server);
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.get(url, { ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64'), headers: { Authorization: `Bearer ${kc.users[0].user.token}` }, timeout: 20_000 }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
  });
  type Listed = { metadata: { name: string }; status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[]; nodeInfo: { kubeletVersion: string } } };
  return (JSON.parse(body).items as Listed[]).map((n) => ({
    name: n.metadata.name,
    ready: n.status.conditions.find((c) => c.type === 'Ready')!.status,
    ip: n.status.addresses.find((a) => a.type === 'InternalIP')!.address,
    version: n.status.nodeInfo.kubeletVersion,
  }));
}

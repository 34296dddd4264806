/** Runs kubelab against the VBoxManage STAND-IN (not VirtualBox) in a scratch project: in this process or in its own. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { main } from '../../cli/main';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { labPaths } from '../../config/paths';
import { ImageServer, startImageServer } from '../image/image-server';
import { sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { StandInEnv, standInEnv, withEnv } from '../support/vboxmanage-standin-env';

const REPO = path.resolve(__dirname, '..', '..');
const WORKER = path.join(__dirname, 'standin-worker.ts');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `kubelab <argv…>` in its own process, in that project (standin-worker.ts). */
export function kubelab(env: NodeJS.ProcessEnv, project: string, ...argv: string[]): Promise<Run> {
  return worker(env, [project, ...argv]);
}

function worker(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(REPO, 'bin', 'run-ts.js'))}).loadTs(${JSON.stringify(WORKER)})`, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The real CLI, in this process, in the scratch project, with the stand-in on PATH. */
export async function cli(s: StandInEnv, project: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const ctx = new CliContext(project, (l) => lines.push(l), (l) => lines.push(l));
  const code = await withEnv(s.env, () => main(argv, project, ctx));
  return { code, out: lines.join('\n') };
}

/** A stand-in with its own state and cache, a scratch project (with its lab SSH key), and images from the test's server. */
export function scratchLab(imageBaseUrl: string, extraEnv: NodeJS.ProcessEnv = {}): { s: StandInEnv; project: string } {
  const s = standInEnv({ KUBELAB_IMAGE_BASE_URL: imageBaseUrl, ...extraEnv });
  const project = path.join(s.root, 'project');
  fs.mkdirSync(project);
  ensureLabKeyPair(labPaths(project));
  return { s, project };
}

/**
 * For a test file: one local server of the Ubuntu image for all its tests (its hooks registered here), and
 * what makes a scratch lab that downloads from it.
 */
export function scratchLabsWithImageServer(): (extraEnv?: NodeJS.ProcessEnv) => { s: StandInEnv; project: string } {
  let server: ImageServer;
  beforeAll(async () => {
    server = await startImageServer({ fileName: UBUNTU_OVA_FILE });
  });
  afterAll(() => server.close());
  return (extraEnv) => scratchLab(server.baseUrl, extraEnv);
}

/** For a describe block: one scratch lab and its fake nodes, made before its tests and removed after them. */
export function labWithFakeNodes(scratch: () => { s: StandInEnv; project: string }): { readonly s: StandInEnv; readonly project: string; readonly nodes: FakeNodes } {
  const lab = {} as { s: StandInEnv; project: string; nodes: FakeNodes };
  beforeAll(async () => {
    Object.assign(lab, scratch());
    lab.nodes = await fakeNodes(lab.project);
  });
  afterAll(async () => {
    await lab.nodes?.stop();
    lab.s?.cleanup();
  });
  return lab;
}

/** STAND-IN for cloud-init on the fake node: `cloud-init status --wait` says done. */
const CLOUD_INIT_DONE = `#!/bin/bash
# STAND-IN for cloud-init (kubelab tests): every boot is finished.
[ "$1 $2" = "status --wait" ] || { echo "stand-in cloud-init: unexpected args: $*" >&2; exit 99; }
echo "status: done"
`;

/**
 * One real OpenSSH server on 127.0.0.1 that plays every node of the default config
 * (its cloud-init says done), and the env that sends the node addresses there.
 */
export interface FakeNodes {
  /** Sends the node addresses to the fake node. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function fakeNodes(project: string, ips: string[] = ['192.168.56.10', '192.168.56.11', '192.168.56.12']): Promise<FakeNodes> {
  const node = await startFakeNode(labPaths(project), { 'cloud-init': CLOUD_INIT_DONE });
  return { env: sshEndpointsEnv(Object.fromEntries(ips.map((ip) => [ip, node]))), stop: () => node.stop() };
}

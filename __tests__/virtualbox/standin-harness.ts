/** Runs kubelab against the VBoxManage STAND-IN (not VirtualBox) in a scratch project: in this process or in its own. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';
import { StandInEnv, standInEnv, withEnv } from '../support/vboxmanage-standin-env';

const REPO = path.resolve(__dirname, '..', '..');
const WORKER = path.join(__dirname, 'standin-worker.ts');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function worker(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
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

/** A stand-in with its own state and cache, a scratch project, and images from the test's server. */
export function scratchLab(imageBaseUrl: string): { s: StandInEnv; project: string } {
  const s = standInEnv({ KUBELAB_IMAGE_BASE_URL: imageBaseUrl });
  const project = path.join(s.root, 'project');
  fs.mkdirSync(project);
  return { s, project };
}

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Puts the VBoxManage STAND-IN (vboxmanage-standin.js, not VirtualBox) on PATH for a
 * test: a temp dir with a `VBoxManage` link to it, its state dir, and a per-user cache
 * of its own. Short lock/retry timings keep the tests fast.
 */
export interface StandInEnv {
  readonly root: string;
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** The stand-in's JSON state (VMs, media, host-only interfaces). */
  state(): StandInState;
  /** Calls that overlapped in time (kubelab's lock should keep this empty). */
  overlaps(): string[];
  /** Every call so far, its arguments joined by spaces. */
  calls(): string[];
  /** Puts a VM into a VMState, as VirtualBox would on its own (a crash, a live snapshot, …). */
  setVmState(vm: string, state: string): void;
  cleanup(): void;
}

export interface StandInState {
  vms: { name: string; uuid: string; state: string; groups: string[]; currentSnapshot?: string; extradata: Record<string, string>; cpus: number; memory: number; snapshots: { name: string; uuid: string; parent: string | null }[]; attachments: Record<string, { type: string; medium: string }>; nics: Record<string, Record<string, string>>; uartmode1?: string; cfgFile: string }[];
  media: { uuid: string; kind: string; location: string; format: string; capacityMb: number; parent: string | null }[];
  hostonlyifs: { name: string; ip: string; mask: string }[];
  hostonlynets: { name: string; lower: string; upper: string; mask: string }[];
}

export const STANDIN_SCRIPT = path.join(__dirname, 'vboxmanage-standin.js');

export function standInEnv(extra: NodeJS.ProcessEnv = {}): StandInEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-vbox-standin-'));
  const bin = path.join(root, 'bin');
  const stateDir = path.join(root, 'standin-state');
  fs.mkdirSync(bin);
  fs.symlinkSync(STANDIN_SCRIPT, path.join(bin, 'VBoxManage'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    VBOXMANAGE_STANDIN_DIR: stateDir,
    XDG_CACHE_HOME: path.join(root, 'cache'),
    KUBELAB_LOCK_STALE_MS: '2000',
    KUBELAB_VBOX_RETRY_DELAY_MS: '20',
    ...extra,
  };
  // Every stand-in call is a Node start; loading an extra CA bundle makes each one ~3x slower, and nothing here uses TLS.
  delete env.NODE_EXTRA_CA_CERTS;
  return {
    root,
    stateDir,
    env,
    state: () => {
      const file = path.join(stateDir, 'state.json');
      return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { vms: [], media: [], hostonlyifs: [], hostonlynets: [] };
    },
    overlaps: () => {
      const file = path.join(stateDir, 'overlaps');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
    },
    calls: () => {
      const file = path.join(stateDir, 'calls');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
    },
    setVmState: (vm, state) => {
      const file = path.join(stateDir, 'state.json');
      const all = JSON.parse(fs.readFileSync(file, 'utf8'));
      all.vms.find((v: { name: string }) => v.name === vm).state = state;
      fs.writeFileSync(file, JSON.stringify(all, null, 1));
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** Runs fn with process.env replaced by the stand-in's env (for in-process tests). */
export async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = process.env;
  process.env = env;
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

/** The lab's node VMs as `vm create` leaves them (kubelab's extradata marks, running), made with the stand-in's own verbs. */
export function importRunningLabVms(s: StandInEnv, project: string, nodes: readonly string[], lab = 'kubelab'): void {
  const vbox = (...args: string[]) => execFileSync('VBoxManage', args, { env: s.env });
  const ova = path.join(s.root, 'base.ova');
  fs.writeFileSync(ova, 'stand-in appliance\n');
  for (const n of nodes) {
    const vm = `${lab}-${n}`;
    vbox('import', ova, '--vsys', '0', '--vmname', vm, '--basefolder', path.join(project, '.kubelab', 'vms'), '--group', `/${lab}`);
    vbox('setextradata', vm, 'kubelab/lab', lab);
    vbox('setextradata', vm, 'kubelab/project', path.resolve(project));
    vbox('startvm', vm, '--type', 'headless');
  }
}

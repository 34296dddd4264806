import { execFile } from 'child_process';
import * as path from 'path';
import { KubelabError } from '../errors';
import { userCacheDir } from '../image/cache-dir';
import { lockStaleMs, withFileLock } from '../file-lock';
import { locateVBoxManage } from './locate';
import { OFF_STATES } from './vm-states';

/** A VBoxManage call that failed: the command line and what VirtualBox said. */
export class VBoxManageError extends KubelabError {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly stdout = '',
  ) {
    super(`VBoxManage ${args.join(' ')} failed${exitCode ? ` (exit ${exitCode})` : ''}: ${stderr.trim() || '(no message)'}`);
    this.name = 'VBoxManageError';
  }
}

/**
 * The one error that goes away when tried again: the VM's session is held (by another
 * VBoxManage, the GUI, or a VM process still exiting right after a power-off, when
 * `unregistervm` says the machine "is locked"). VirtualBox reports it with the
 * untranslated code VBOX_E_INVALID_OBJECT_STATE (MachineImpl.cpp lockMachine /
 * launchVMProcess / unregister, read at commit 4908d8d1; the unregister code unverified).
 */
const LOCKED = /VBOX_E_INVALID_OBJECT_STATE/;

export interface VBoxManageOptions {
  /** The VBoxManage executable; found with locateVBoxManage() when not given. */
  readonly executable?: string;
  /** Directory of the cross-process lock file; the per-user cache dir by default. */
  readonly lockDir?: string;
  /** How many times a transient error is retried. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** A lock not refreshed for this long belongs to a crashed process and is taken over (min 2000). */
  readonly lockStaleMs?: number;
  readonly lockWaitMs?: number;
}

/**
 * Runs VBoxManage, one call at a time across every kubelab process of this user
 * (Terraform runs provisioners in parallel, and parallel VBoxManage calls fail with
 * session-lock errors). The lock is a proper-lockfile directory refreshed while held,
 * so a crashed process's lock goes stale and is taken over.
 */
export class VBoxManage {
  readonly executable: string;
  private readonly lockFile: string;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly lockStaleMs: number;
  private readonly lockWaitMs: number;

  constructor(options: VBoxManageOptions = {}) {
    const executable = options.executable ?? locateVBoxManage();
    if (!executable) throw new KubelabError(VBOXMANAGE_MISSING);
    this.executable = executable;
    this.lockFile = path.join(options.lockDir ?? path.join(userCacheDir(), 'locks'), 'vboxmanage.lock');
    this.retries = options.retries ?? 8;
    this.retryDelayMs = options.retryDelayMs ?? Number(process.env.KUBELAB_VBOX_RETRY_DELAY_MS ?? 1500);
    this.lockStaleMs = Math.max(2000, options.lockStaleMs ?? lockStaleMs());
    this.lockWaitMs = options.lockWaitMs ?? 60 * 60 * 1000;
  }

  /** Runs one command; resolves to its stdout. Throws VBoxManageError on failure. */
  async run(args: readonly string[]): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.once(args);
      // VBoxManage sometimes exits 0 after printing an error; the message is what counts.
      const failed = result.exitCode !== 0 || /VBoxManage(\.exe)?: error:/.test(result.stderr);
      if (!failed) return result.stdout;
      if (attempt < this.retries && LOCKED.test(result.stderr) && (await this.lockIsPassing(args))) {
        await sleep(this.retryDelayMs);
        continue;
      }
      throw new VBoxManageError(args, result.stderr || result.stdout, result.exitCode, result.stdout);
    }
  }

  private once(args: readonly string[]) {
    return withFileLock(this.lockFile, { staleMs: this.lockStaleMs, waitMs: this.lockWaitMs }, () => this.exec(args));
  }

  /**
   * `startvm` of a VM that runs fails with the same session-lock code as a real lock
   * (MachineImpl.cpp launchVMProcess): that one does not pass with time, so it is only
   * retried while the VM is off.
   */
  private async lockIsPassing(args: readonly string[]): Promise<boolean> {
    if (args[0] !== 'startvm') return true;
    const info = await this.once(['showvminfo', args[1], '--machinereadable']);
    const state = /^VMState="(.*)"$/m.exec(info.stdout)?.[1];
    return state !== undefined && OFF_STATES.has(state);
  }

  private exec(args: readonly string[]): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
    return new Promise((resolve, reject) => {
      execFile(
        this.executable,
        [...args],
        // No LANG here: VBoxManage takes its language from the GUI setting or the OS locale anyway, so its output is read by shape (parse.ts).
        { env: process.env, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') return reject(new KubelabError(`cannot run ${this.executable}: ${err.message}`));
          resolve({ stdout: String(stdout), stderr: String(stderr), exitCode: err ? (err.code as number) : 0 });
        },
      );
    });
  }
}

export const VBOXMANAGE_MISSING =
  'VirtualBox is not installed or VBoxManage cannot be found: it is not on PATH and VBOX_MSI_INSTALL_PATH / VBOX_INSTALL_PATH do not point at it. ' +
  'Install VirtualBox 7 from https://www.virtualbox.org/wiki/Downloads (see docs/virtualbox.md), or add the folder holding VBoxManage to PATH.';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

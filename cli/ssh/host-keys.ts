import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { withFileLockSync } from '../file-lock';
import { writeFileAtomic } from '../state-dir';
import { SshTarget } from './target';

/** One node's pinned host key. */
export interface HostKeyPin {
  readonly host: string;
  readonly port: number;
  /** OpenSSH form: "ssh-ed25519 AAAA…". */
  readonly key: string;
  /** "SHA256:…", as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  readonly pinnedAt: string;
  /** Identity of the VM the key was seen on (its VirtualBox UUID), when the caller knows it. */
  readonly vmId?: string;
}

type PinFile = Record<string, HostKeyPin>;

/** The OpenSSH known_hosts file kept beside the pins, for `ssh` users (see `kubelab ssh-config`). */
export function openSshKnownHostsPath(paths: LabPaths): string {
  return path.join(path.dirname(paths.knownHosts), 'known_hosts');
}

/** Turns the key blob the server sent (SSH wire format) into "type base64". */
export function hostKeyLine(blob: Buffer): string {
  const typeLength = blob.readUInt32BE(0);
  return `${blob.subarray(4, 4 + typeLength).toString('latin1')} ${blob.toString('base64')}`;
}

export function fingerprintOf(blob: Buffer): string {
  // Equivalent mutants (/=+/, /=$/): SHA-256's 32 bytes in base64 always end in exactly one "=" and hold no other.
  // Stryker disable next-line Regex
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict = { kind: 'known' } | { kind: 'pinned'; reason: string };

/**
 * Checks the key a node presented. First contact pins it; the same key passes; a
 * different key passes (and is re-pinned) only when the VM is known to be new:
 * its pin was forgotten (`kubelab vm destroy` / `kubelab ssh-forget`), or the caller
 * passes a VM id that differs from the pinned one. Otherwise it throws: a changed key
 * on the same VM means someone else answers at that address.
 */
export function verifyHostKey(paths: LabPaths, target: SshTarget, blob: Buffer, vmId?: string): HostKeyVerdict {
  const pins = readPins(paths);
  const pin = pins[target.nodeName];
  const key = hostKeyLine(blob);
  if (pin && pin.key === key && pin.host === target.host && pin.port === target.port) {
    if (vmId && pin.vmId !== vmId) savePin(paths, target, blob, vmId);
    return { kind: 'known' };
  }
  let reason = 'first contact';
  if (pin && pin.key !== key) {
    if (vmId && pin.vmId && pin.vmId !== vmId) {
      reason = `the VM was re-created (VM id ${pin.vmId} → ${vmId})`;
    } else {
      throw new KubelabError(
        `The SSH host key of node ${target.nodeName} (${target.host}) changed: pinned ${pin.fingerprint} on ${pin.pinnedAt}, now ${fingerprintOf(blob)}. ` +
          `The VM was not re-created by kubelab, so another machine may be answering at ${target.host}. ` +
          `If you re-created the VM yourself, run: npx kubelab ssh-forget ${target.nodeName}`,
      );
    }
  } else if (pin) {
    reason = `its address changed (${pin.host}:${pin.port} → ${target.host}:${target.port})`;
  }
  savePin(paths, target, blob, vmId);
  return { kind: 'pinned', reason };
}

/** Forgets a node's pinned key: the next contact pins whatever key the (new) VM presents. Returns whether a pin existed. */
export function forgetNodeHostKey(paths: LabPaths, nodeName: string): boolean {
  return withFileLockSync(paths.knownHosts, () => {
    const pins = readPins(paths);
    if (!pins[nodeName]) return false;
    delete pins[nodeName];
    writePins(paths, pins);
    return true;
  });
}

export function readPins(paths: LabPaths): PinFile {
  if (!fs.existsSync(paths.knownHosts)) return {};
  try {
    return JSON.parse(fs.readFileSync(paths.knownHosts, 'utf8')) as PinFile;
  } catch (err) {
    throw new KubelabError(`${paths.knownHosts} is not valid JSON (${(err as Error).message}); delete it and the nodes' keys are pinned again on next contact.`);
  }
}

function savePin(paths: LabPaths, target: SshTarget, blob: Buffer, vmId?: string): void {
  // Read and written under the lock: steps run in parallel processes and each pins its own node.
  withFileLockSync(paths.knownHosts, () => {
    const pins = readPins(paths);
    pins[target.nodeName] = {
      host: target.host,
      port: target.port,
      key: hostKeyLine(blob),
      fingerprint: fingerprintOf(blob),
      pinnedAt: new Date().toISOString(),
      ...(vmId ? { vmId } : {}),
    };
    writePins(paths, pins);
  });
}

function writePins(paths: LabPaths, pins: PinFile): void {
  writeFileAtomic(paths.knownHosts, `${JSON.stringify(pins, null, 2)}\n`, 0o600);
  const lines = Object.values(pins).map((p) => `${p.port === 22 ? p.host : `[${p.host}]:${p.port}`} ${p.key}`);
  writeFileAtomic(openSshKnownHostsPath(paths), lines.length ? `${lines.join('\n')}\n` : '', 0o600);
}

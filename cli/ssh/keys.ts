import * as fs from 'fs';
import { utils } from 'ssh2';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { writeFileAtomic, writeFileOnce } from '../state-dir';

/** The user cloud-init creates on every node; the lab's key logs in as it. */
export const LAB_SSH_USER = 'kubelab';

export interface LabKeyPair {
  /** OpenSSH public key line, e.g. "ssh-ed25519 AAAA… kubelab". */
  readonly publicKey: string;
  readonly privateKeyPath: string;
}

/**
 * The lab's SSH key pair: generated once (ed25519) on first use and kept in the lab state
 * dir, private key mode 0600. Later calls return the same pair. Several processes may make it
 * at once (each first `vm create` writes a seed): the private key is created exclusively, so
 * one of them wins, and the public key is always the one derived from that private key.
 */
export function ensureLabKeyPair(paths: LabPaths): LabKeyPair {
  writeFileOnce(paths.sshPrivateKey, () => readableKeyPair(LAB_SSH_USER).private, 0o600);
  const publicKey = publicKeyOf(paths.sshPrivateKey);
  const line = `${publicKey}\n`;
  if (readIfExists(paths.sshPublicKey) !== line) writeFileAtomic(paths.sshPublicKey, line);
  return { publicKey, privateKeyPath: paths.sshPrivateKey };
}

/** The OpenSSH public key line ("ssh-ed25519 AAAA… kubelab") of a private key file. */
function publicKeyOf(privateKeyFile: string): string {
  const key = utils.parseKey(fs.readFileSync(privateKeyFile));
  if (key instanceof Error) {
    throw new KubelabError(`${privateKeyFile} is not a private key ssh2 can read (${key.message}); if no VM uses it yet, delete it and a new lab key is made`);
  }
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${key.comment || LAB_SSH_USER}`;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A fresh ed25519 pair that ssh2 can read back. ssh2 1.17.0's keygen drops a leading zero byte
 * of the public key, so about one pair in 256 is unreadable (mscdex/ssh2 issues #1390, #1513);
 * such a pair is drawn again. Ten unreadable pairs in a row would be a different bug: say so.
 */
export function readableKeyPair(comment?: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 10; attempt++) {
    // Equivalent mutant ({ comment: undefined } always): ssh2 writes no comment either way.
    // Stryker disable next-line ConditionalExpression
    const pair = utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return pair;
  }
  throw new Error('ssh2 made 10 ed25519 key pairs in a row that it cannot read back');
}

/** The OpenSSH public key line ("ssh-ed25519 AAAA… comment") of a private key file, as authorized_keys wants it. */
export function publicKeyLineOf(privateKeyFile: string): string {
  const key = utils.parseKey(fs.readFileSync(privateKeyFile));
  if (key instanceof Error) throw new KubelabError(`${privateKeyFile} is not a private key kubelab can read (${key.message})`);
  return [key.type, key.getPublicSSH().toString('base64'), key.comment].filter(Boolean).join(' ');
}

/**
 * The line to run once on a machine so the key logs in there: what ssh-copy-id does, for hosts
 * without it (Windows' OpenSSH). Idempotent; the modes are the ones sshd's StrictModes accepts.
 */
export function authorizeKeyCommand(publicKeyLine: string): string {
  const quoted = `'${publicKeyLine.replace(/'/g, `'\\''`)}'`;
  return (
    'mkdir -p ~/.ssh && chmod 700 ~/.ssh && touch ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys && ' +
    `(grep -qxF ${quoted} ~/.ssh/authorized_keys || echo ${quoted} >> ~/.ssh/authorized_keys)`
  );
}

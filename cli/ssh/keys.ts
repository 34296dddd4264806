import * as fs from 'fs';
import { utils } from 'ssh2';
import { LabPaths } from '../../config/paths';
import { writeFileAtomic, writeSecretFile } from '../state-dir';

/** The user cloud-init creates on every node; the lab's key logs in as it. */
export const LAB_SSH_USER = 'kubelab';

export interface LabKeyPair {
  /** OpenSSH public key line, e.g. "ssh-ed25519 AAAA… kubelab". */
  readonly publicKey: string;
  readonly privateKeyPath: string;
}

/**
 * The lab's SSH key pair: generated once (ed25519) on first use and kept in the
 * lab state dir, private key mode 0600. Later calls return the same pair.
 */
export function ensureLabKeyPair(paths: LabPaths): LabKeyPair {
  if (!fs.existsSync(paths.sshPrivateKey) || !fs.existsSync(paths.sshPublicKey)) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: LAB_SSH_USER });
    writeSecretFile(paths.sshPrivateKey, pair.private);
    writeFileAtomic(paths.sshPublicKey, `${pair.public.trim()}\n`);
  }
  return { publicKey: fs.readFileSync(paths.sshPublicKey, 'utf8').trim(), privateKeyPath: paths.sshPrivateKey };
}

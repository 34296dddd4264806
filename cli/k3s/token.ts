import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { LabPaths } from '../../config/paths';
import { writeFileOnce } from '../state-dir';

/**
 * The lab's K3s join token: made once on the host (256 random bits), mode 0600 in the
 * lab state dir, exclusively (two steps making it at once agree on one). It reaches the nodes
 * only over SSH standard input, never a command line.
 */
export function ensureK3sToken(paths: LabPaths): string {
  writeFileOnce(paths.k3sToken, () => `${randomBytes(32).toString('hex')}\n`, 0o600);
  return fs.readFileSync(paths.k3sToken, 'utf8').trim();
}

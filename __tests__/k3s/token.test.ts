/** The lab's K3s join token (cli/k3s/token.ts): made once, secret, the same for every step after. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureK3sToken } from '../../cli/k3s/token';
import { labPaths } from '../../config/paths';

test('made once: 256 random bits in hex, mode 0600, read back the same by every later step; another lab gets another', () => {
  const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-token-')));
  try {
    const [a, b] = dirs.map(labPaths);
    const token = ensureK3sToken(a);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(a.k3sToken, 'utf8')).toBe(`${token}\n`);
    expect((fs.statSync(a.k3sToken).mode & 0o777).toString(8)).toBe('600');
    expect(ensureK3sToken(a)).toBe(token);
    expect(ensureK3sToken(b)).not.toBe(token);
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

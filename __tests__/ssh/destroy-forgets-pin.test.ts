/**
 * `kubelab vm destroy` forgets the node's pinned SSH host key: the next VM at that address
 * is a new machine with a new key, and must not be refused as an impostor. Runs against the
 * VBoxManage STAND-IN (not VirtualBox).
 */
import * as fs from 'fs';
import { readPins } from '../../cli/ssh/host-keys';
import { labPaths } from '../../config/paths';
import { cli, scratchLab } from '../virtualbox/standin-harness';

test('vm destroy forgets the pinned host key of that node only', async () => {
  const { s, project } = scratchLab('http://127.0.0.1:9/');
  try {
    const paths = labPaths(project);
    fs.mkdirSync(`${project}/.kubelab/ssh`, { recursive: true, mode: 0o700 });
    const pin = (host: string) => ({ host, port: 22, key: 'ssh-ed25519 AAAA', fingerprint: 'SHA256:x', pinnedAt: '2026-01-01T00:00:00.000Z' });
    fs.writeFileSync(paths.knownHosts, JSON.stringify({ cp1: pin('192.168.56.10'), w1: pin('192.168.56.11') }), { mode: 0o600 });
    const r = await cli(s, project, 'vm', 'destroy', 'w1', '--lab', 'kubelab');
    expect(r.code).toBe(0);
    expect(Object.keys(readPins(paths))).toEqual(['cp1']);
    expect(r.out).toContain('forgot the pinned SSH host key of w1');
  } finally {
    s.cleanup();
  }
});

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { forgetNodeHostKey, openSshKnownHostsPath, readPins, verifyHostKey } from '../../cli/ssh/host-keys';
import { nodeSshTarget } from '../../cli/ssh/target';
import { labPaths, LabPaths } from '../../config/paths';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

/**
 * Host key pins, checked by OpenSSH's own tools: the keys are made by ssh-keygen, the
 * fingerprints compared with `ssh-keygen -lf`, the known_hosts file read by `ssh-keygen -F`.
 */
requireTool('ssh-keygen')('pinned SSH host keys', () => {
  let dir: string;
  let paths: LabPaths;
  /** A fresh host key: its wire-format blob (what the server sends) and ssh-keygen's fingerprint of it. */
  const hostKey = () => {
    const file = path.join(fs.mkdtempSync(path.join(dir, 'key-')), 'k');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { timeout: TOOL_TIMEOUT_MS });
    const line = fs.readFileSync(`${file}.pub`, 'utf8').trim();
    const fingerprint = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS }).split(' ')[1];
    return { blob: Buffer.from(line.split(' ')[1], 'base64'), line: line.split(' ').slice(0, 2).join(' '), fingerprint };
  };
  const cp1 = nodeSshTarget('cp1', '192.168.56.10');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-pins-'));
    paths = labPaths(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('first contact pins the key as OpenSSH writes and fingerprints it, in a 0600 file, with the VM id when known', () => {
    const k = hostKey();
    expect(verifyHostKey(paths, cp1, k.blob, 'vm-1')).toEqual({ kind: 'pinned', reason: 'first contact' });
    const pin = readPins(paths).cp1;
    expect(pin).toMatchObject({ host: '192.168.56.10', port: 22, key: k.line, fingerprint: k.fingerprint, vmId: 'vm-1' });
    expect(Number.isNaN(Date.parse(pin.pinnedAt))).toBe(false);
    expect(fs.statSync(paths.knownHosts).mode & 0o777).toBe(0o600);
    expect(verifyHostKey(paths, nodeSshTarget('w1', '192.168.56.11'), hostKey().blob)).toEqual({ kind: 'pinned', reason: 'first contact' });
    expect(readPins(paths).w1.vmId).toBeUndefined();
  });

  test('the same key at the same address is known and left as pinned; a new VM id with the same key is recorded', () => {
    const k = hostKey();
    verifyHostKey(paths, cp1, k.blob, 'vm-1');
    const before = fs.readFileSync(paths.knownHosts, 'utf8');
    expect(verifyHostKey(paths, cp1, k.blob, 'vm-1')).toEqual({ kind: 'known' });
    expect(verifyHostKey(paths, cp1, k.blob)).toEqual({ kind: 'known' });
    expect(fs.readFileSync(paths.knownHosts, 'utf8')).toBe(before);
    expect(verifyHostKey(paths, cp1, k.blob, 'vm-2')).toEqual({ kind: 'known' });
    expect(readPins(paths).cp1.vmId).toBe('vm-2');
  });

  test('another key on the same VM is refused, naming both fingerprints and the way out; the pin stays', () => {
    const k = hostKey();
    verifyHostKey(paths, cp1, k.blob, 'vm-1');
    const other = hostKey();
    for (const vmId of ['vm-1', undefined]) {
      expect(() => verifyHostKey(paths, cp1, other.blob, vmId)).toThrow(
        `The SSH host key of node cp1 (192.168.56.10) changed: pinned ${k.fingerprint} on ${readPins(paths).cp1.pinnedAt}, now ${other.fingerprint}. ` +
          'The VM was not re-created by kubelab, so another machine may be answering at 192.168.56.10. If you re-created the VM yourself, run: npx kubelab ssh-forget cp1',
      );
    }
    expect(readPins(paths).cp1.key).toBe(k.line);
  });

  test('a pin without a VM id cannot be replaced by naming a VM id', () => {
    verifyHostKey(paths, cp1, hostKey().blob);
    expect(() => verifyHostKey(paths, cp1, hostKey().blob, 'vm-9')).toThrow(/host key of node cp1 .* changed/);
  });

  test('another key from a re-created VM (another VM id) is pinned in its place', () => {
    verifyHostKey(paths, cp1, hostKey().blob, 'vm-1');
    const k = hostKey();
    expect(verifyHostKey(paths, cp1, k.blob, 'vm-2')).toEqual({ kind: 'pinned', reason: 'the VM was re-created (VM id vm-1 → vm-2)' });
    expect(readPins(paths).cp1).toMatchObject({ key: k.line, fingerprint: k.fingerprint, vmId: 'vm-2' });
  });

  test('the same key at a new address or port is pinned again, saying what moved', () => {
    const k = hostKey();
    verifyHostKey(paths, cp1, k.blob);
    const moved = { ...cp1, port: 2222 };
    expect(verifyHostKey(paths, moved, k.blob)).toEqual({ kind: 'pinned', reason: 'its address changed (192.168.56.10:22 → 192.168.56.10:2222)' });
    expect(readPins(paths).cp1.port).toBe(2222);
    expect(verifyHostKey(paths, { ...moved, host: '192.168.56.20' }, k.blob)).toEqual({ kind: 'pinned', reason: 'its address changed (192.168.56.10:2222 → 192.168.56.20:2222)' });
  });

  test('the known_hosts file beside the pins is one OpenSSH reads: port 22 plain, other ports as [host]:port', () => {
    const a = hostKey();
    const b = hostKey();
    verifyHostKey(paths, cp1, a.blob);
    verifyHostKey(paths, { ...nodeSshTarget('w1', '10.20.0.12'), port: 2222 }, b.blob);
    const found = (host: string) => execFileSync('ssh-keygen', ['-F', host, '-f', openSshKnownHostsPath(paths)], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    expect(found('192.168.56.10')).toContain(a.line);
    expect(found('[10.20.0.12]:2222')).toContain(b.line);
    expect(() => found('10.20.0.12')).toThrow();
    expect(fs.statSync(openSshKnownHostsPath(paths)).mode & 0o777).toBe(0o600);
  });

  test('forgetting a node drops its pin and known_hosts line only; a second forget finds nothing', () => {
    verifyHostKey(paths, cp1, hostKey().blob);
    const w1 = hostKey();
    verifyHostKey(paths, nodeSshTarget('w1', '192.168.56.11'), w1.blob);
    expect(forgetNodeHostKey(paths, 'cp1')).toBe(true);
    expect(Object.keys(readPins(paths))).toEqual(['w1']);
    expect(fs.readFileSync(openSshKnownHostsPath(paths), 'utf8')).toBe(`192.168.56.11 ${w1.line}\n`);
    expect(forgetNodeHostKey(paths, 'cp1')).toBe(false);
    expect(forgetNodeHostKey(paths, 'w1')).toBe(true);
    expect(fs.readFileSync(openSshKnownHostsPath(paths), 'utf8')).toBe('');
    // Forgotten: the next key is a first contact.
    expect(verifyHostKey(paths, cp1, hostKey().blob)).toEqual({ kind: 'pinned', reason: 'first contact' });
  });

  test('no pins file: nothing pinned; a broken one is refused naming the file and the way out', () => {
    expect(readPins(paths)).toEqual({});
    fs.mkdirSync(path.dirname(paths.knownHosts), { recursive: true });
    fs.writeFileSync(paths.knownHosts, '{ not json');
    expect(() => readPins(paths)).toThrow(new RegExp(`^${paths.knownHosts.replace(/[.\\/]/g, '\\$&')} is not valid JSON \\(.+\\); delete it and the nodes' keys are pinned again on next contact\\.$`));
  });
});

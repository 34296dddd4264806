import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labPaths } from '../../config/paths';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { ensureK3sToken } from '../../cli/k3s/token';
import { writeFileAtomic } from '../../cli/state-dir';

/** Every directory from `.kubelab` down, with its permission bits. */
function dirModes(stateDir: string): Record<string, string> {
  const modes: Record<string, string> = {};
  const walk = (d: string) => {
    modes[path.relative(path.dirname(stateDir), d)] = (fs.statSync(d).mode & 0o777).toString(8);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(stateDir);
  return modes;
}

const posixOnly = process.platform === 'win32' ? describe.skip : describe;

posixOnly('the lab state dir is private whatever the umask', () => {
  let dir: string;
  let savedUmask: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-perm-'));
    savedUmask = process.umask(0o000);
  });
  afterEach(() => {
    process.umask(savedUmask);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('under umask 000, .kubelab and every directory below it are 0700; secrets 0600', () => {
    const paths = labPaths(dir);
    ensureLabKeyPair(paths);
    ensureK3sToken(paths);
    writeFileAtomic(path.join(paths.seedsDir, 'cp1.iso'), 'seed');
    const modes = dirModes(paths.stateDir);
    expect(Object.keys(modes).sort()).toEqual(['.kubelab', '.kubelab/seeds', '.kubelab/ssh']);
    expect(Object.values(modes).every((m) => m === '700')).toBe(true);
    expect((fs.statSync(paths.sshPrivateKey).mode & 0o777).toString(8)).toBe('600');
    expect((fs.statSync(paths.k3sToken).mode & 0o777).toString(8)).toBe('600');
  });

  test('a state dir left 0777 by an earlier version is narrowed to 0700 on the next write', () => {
    const paths = labPaths(dir);
    fs.mkdirSync(path.join(paths.stateDir, 'ssh'), { recursive: true, mode: 0o777 });
    fs.chmodSync(paths.stateDir, 0o777);
    ensureLabKeyPair(paths);
    expect(dirModes(paths.stateDir)).toEqual({ '.kubelab': '700', '.kubelab/ssh': '700' });
  });

  test('outside the state dir an existing directory keeps its mode (seed-iso --out /some/dir)', () => {
    const outside = path.join(dir, 'shared');
    fs.mkdirSync(outside, { mode: 0o755 });
    fs.chmodSync(outside, 0o755);
    writeFileAtomic(path.join(outside, 'x.iso'), 'x');
    expect((fs.statSync(outside).mode & 0o777).toString(8)).toBe('755');
  });
});

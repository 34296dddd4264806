import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { utils } from 'ssh2';
import { readableKeyPair } from '../../cli/ssh/keys';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';
import { hasTool } from '../support/tools';

/**
 * `kubelab ssh-key`: how an existing machine learns the lab key on any host (Windows' OpenSSH
 * has no ssh-copy-id). The printed line runs on the machine; here real sh runs it in a temp HOME.
 */
async function kubelab(project: string, ...argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await main(argv, project, new CliContext(project, (l) => out.push(l), (l) => out.push(l)));
  return { code, out };
}

let project: string;
beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-sshkey-'));
});
afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

test('without a node: the lab public key, made once and the same each time', async () => {
  const first = await kubelab(project, 'ssh-key');
  expect(first.code).toBe(0);
  expect(first.out).toEqual([fs.readFileSync(path.join(project, '.kubelab', 'ssh', 'id_ed25519.pub'), 'utf8').trim()]);
  expect(utils.parseKey(first.out[0])).not.toBeInstanceOf(Error);
  expect((await kubelab(project, 'ssh-key')).out).toEqual(first.out);
});

(hasTool('sh') ? test : test.skip)('for an existing machine with its own keyFile: the line to run there adds that key, once, with the modes sshd wants', async () => {
  const pair = readableKeyPair('pi-key');
  fs.mkdirSync(path.join(project, '.kubelab', 'ssh'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(project, '.kubelab', 'ssh', 'pi-key'), pair.private, { mode: 0o600 });
  fs.writeFileSync(
    path.join(project, 'kubelab.config.yaml'),
    'nodes:\n  - { name: pi1, role: server, host: { address: 10.20.0.11, user: ubuntu, keyFile: ssh/pi-key } }\n',
  );
  const r = await kubelab(project, 'ssh-key', 'pi1');
  expect(r.code).toBe(0);
  const line = r.out.find((l) => l.startsWith('mkdir '))!;
  expect(r.out.join('\n')).toMatch(/pi1 \(ubuntu@10\.20\.0\.11\)/);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-home-'));
  try {
    execFileSync('sh', ['-c', line], { env: { PATH: process.env.PATH, HOME: home } });
    execFileSync('sh', ['-c', line], { env: { PATH: process.env.PATH, HOME: home } });
    const keys = fs.readFileSync(path.join(home, '.ssh', 'authorized_keys'), 'utf8').trim().split('\n');
    const expected = (utils.parseKey(pair.private) as ReturnType<typeof utils.parseKey> & { getPublicSSH(): Buffer }).getPublicSSH().toString('base64');
    expect(keys).toHaveLength(1);
    expect(keys[0].split(' ')[1]).toBe(expected);
    expect(fs.statSync(path.join(home, '.ssh')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(home, '.ssh', 'authorized_keys')).mode & 0o777).toBe(0o600);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('a VM node gets its key from cloud-init: said, not a command', async () => {
  const r = await kubelab(project, 'ssh-key', 'w1');
  expect(r.code).toBe(0);
  expect(r.out.join('\n')).toMatch(/w1 is a VM: cloud-init puts this key on it/);
});

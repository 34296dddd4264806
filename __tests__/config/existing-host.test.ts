import * as path from 'path';
import { isInsideStateDir } from '../../config/existing-host';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { problemsOf } from '../support/config-problems';

/**
 * An existing machine as a node (`host:`): what a user writes, what kubelab makes of it, and the
 * line it prints for each mistake.
 */
const machine = (host: object) => ({ nodes: [{ name: 'pi1', role: 'server', host: { address: '192.168.1.50', user: 'ubuntu', ...host } }] });

const hostOf = (overrides: object) => resolveLabConfig(overrides).config.nodes[0].host;

describe('an existing machine, as kubelab fills it in', () => {
  test('with only address and user: SSH port 22 and the lab\'s own key', () => {
    const host = hostOf(machine({}));
    // Port 22: ssh_config(5) of OpenSSH 9.2p1 (Debian 12), Port: "The default is 22."
    expect(host).toEqual({ address: '192.168.1.50', user: 'ubuntu', port: 22, keyFile: expect.any(String) });
    // The default key is the lab's own key pair, the one `kubelab ssh` makes and prints to authorize.
    const paths = labPaths('/project');
    expect(path.join(paths.stateDir, host!.keyFile)).toBe(paths.sshPrivateKey);
  });

  test('port and key as written', () => {
    expect(hostOf(machine({ port: 2222, keyFile: 'ssh/pi_ed25519' }))).toEqual({ address: '192.168.1.50', user: 'ubuntu', port: 2222, keyFile: 'ssh/pi_ed25519' });
  });
});

describe('the login user', () => {
  // useradd(8) of shadow 4.13 (Debian 12), CAVEATS: at most 32 characters, no leading '-', no space; kubelab asks for
  // lower case on top, as its message says.
  test.each(['ubuntu', '_svc', 'a', 'pi.admin-2', 'a'.repeat(32)])('%s is a user name', (user) => {
    expect(hostOf(machine({ user }))!.user).toBe(user);
  });

  test.each(['Ubuntu', 'ubUntu', '9user', 'pi admin', '-pi', 'a'.repeat(33), ''])('%p is not', (user) => {
    expect(problemsOf(machine({ user }))).toEqual([`nodes[0].host.user = ${JSON.stringify(user)}: must be a Linux user name like ubuntu (lower-case letters, digits, _ . -)`]);
  });
});

describe('the machine address and SSH port', () => {
  test('an address that is not IPv4', () => {
    expect(problemsOf(machine({ address: 'pi1.local' }))).toEqual(['nodes[0].host.address = "pi1.local": must be the IPv4 address of the machine, like 192.168.1.50 (K3s registers the node with it)']);
  });

  test.each<[unknown, string]>([
    [0, 'must be a TCP port, 1 to 65535'],
    [65536, 'must be a TCP port, 1 to 65535'],
    [22.5, 'must be a whole number'],
    [true, 'must be a TCP port, 1 to 65535'],
    ['2222', 'must be a TCP port, 1 to 65535; write the number without quotes: port: 2222'],
  ])('port %p', (port, message) => {
    expect(problemsOf(machine({ port }))).toEqual([`nodes[0].host.port = ${JSON.stringify(port)}: ${message}`]);
  });

  test.each([1, 65535])('port %d is a port', (port) => {
    expect(hostOf(machine({ port }))!.port).toBe(port);
  });

  test('a key the machine section does not have', () => {
    expect(problemsOf(machine({ password: 'x' }))).toEqual([expect.stringMatching(/^nodes\[0\]\.host\.password: unknown key \(a typo\?\); allowed here: address, user, port, keyFile/)]);
  });
});

describe('a key file: a path inside .kubelab/ on every OS', () => {
  test.each(['ssh/id_ed25519', 'pi1.key', 'keys/a+b=c-d_e.f'])('%s stays inside', (p) => {
    expect(isInsideStateDir(p)).toBe(true);
    expect(hostOf(machine({ keyFile: p }))!.keyFile).toBe(p);
  });

  test.each([
    ['empty', ''],
    ['absolute', '/etc/ssh/key'],
    ['a Windows absolute path', '\\ssh\\key'],
    ['a drive letter', 'C:ssh/key'],
    ['a parent step', 'ssh/../../key'],
    ['only a parent step', '..'],
    ['an empty step', 'ssh//key'],
    ['a trailing slash', 'ssh/'],
    ['a space', 'ssh/my key'],
    ['a home dir', '~/.ssh/id_ed25519'],
  ])('%s is refused', (_what, p) => {
    expect(isInsideStateDir(p)).toBe(false);
    expect(problemsOf(machine({ keyFile: p }))).toEqual([
      expect.stringMatching(/^nodes\[0\]\.host\.keyFile = .*: keyFile must be a path relative to the lab state dir \.kubelab\/ .*without '\.\.' or a leading '\/': secrets stay in \.kubelab\/$/),
    ]);
  });

  test('a registry credentials file follows the same rule, named as its own key', () => {
    expect(problemsOf({ registries: { configs: { 'registry.example.com': { credentialsFile: '/root/creds' } } } })).toEqual([
      expect.stringMatching(/^registries\.configs\.registry\.example\.com\.credentialsFile = "\/root\/creds": credentialsFile must be a path relative to the lab state dir \.kubelab\//),
    ]);
  });
});

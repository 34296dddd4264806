import * as fs from 'fs';
import * as path from 'path';
import { NodeSession } from '../../cli/ssh/client';
import { kubectlCommand, onNode, withStagingDir } from '../../cli/k3s/remote';
import { LocalNode, localNode } from '../support/local-node';

/**
 * What kubelab asks a node to do around every step: a private dir for the uploads, paths on the
 * node, and K3s's kubectl as root. Run by bash on a local "node" (../support/local-node.ts).
 */
let node: LocalNode;
beforeEach(() => {
  node = localNode('cp1', '192.168.56.10');
});
afterEach(() => node.cleanup());

const tmpDirOf = (n: LocalNode) => path.join(path.dirname(n.root), 'tmp');

describe('a staging dir for one step\'s uploads', () => {
  test('is a fresh dir only the login user can enter, in the node\'s TMPDIR, gone after the step', async () => {
    const seen = await withStagingDir(node.session, async (dir) => {
      expect(path.dirname(dir)).toBe(tmpDirOf(node));
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      expect(fs.readdirSync(dir)).toEqual([]);
      fs.writeFileSync(path.join(dir, 'k3s'), 'uploaded');
      return dir;
    });
    expect(fs.existsSync(seen)).toBe(false);
    expect(fs.readdirSync(tmpDirOf(node))).toEqual([]);
  });

  test('is gone after a step that failed too, and the step\'s own error is what the caller sees', async () => {
    let staged = '';
    await expect(
      withStagingDir(node.session, async (dir) => {
        staged = dir;
        throw new Error('install.sh failed');
      }),
    ).rejects.toThrow('install.sh failed');
    expect(staged).not.toBe('');
    expect(fs.existsSync(staged)).toBe(false);
  });

  test('a connection lost while removing it does not turn a finished step into a failed one', async () => {
    const dropping = { ...node.session, exec: async () => Promise.reject(new Error('connection lost')) } as unknown as NodeSession;
    await expect(withStagingDir(dropping, async () => 'installed')).resolves.toBe('installed');
  });

  test('a node that cannot make one says what kubelab was doing', async () => {
    node.addStandIn('mktemp', '#!/bin/sh\necho "mktemp: failed to create directory via template: No space left on device" >&2\nexit 1\n');
    const use = jest.fn();
    await expect(withStagingDir(node.session, use)).rejects.toThrow(/creating a staging dir failed with exit status 1.*\n.*No space left on device/);
    expect(use).not.toHaveBeenCalled();
  });
});

describe('a path on the node', () => {
  test('is the path itself on a real node, and under KUBELAB_NODE_ROOT on a test node', async () => {
    fs.mkdirSync(path.join(node.root, 'etc', 'rancher'), { recursive: true });
    fs.writeFileSync(path.join(node.root, 'etc', 'rancher', 'node-name'), 'cp1\n');
    expect((await node.session.run(`cat ${onNode('/etc/rancher/node-name')}`)).stdout).toBe('cp1\n');
    expect((await node.session.run(`unset KUBELAB_NODE_ROOT; echo ${onNode('/etc/rancher/node-name')}`)).stdout).toBe('/etc/rancher/node-name\n');
  });
});

describe('K3s\'s kubectl', () => {
  test('runs as root through sudo that never waits for a password', async () => {
    // A STAND-IN sudo that wants a password. sudo(8), -n: "Avoid prompting the user for input of any kind. If a
    // password is required for the command to run, sudo will display an error message and exit" (quoted from
    // its manual, unverified here: no sudo on this machine). Without -n this one fails the test with its own words.
    node.addStandIn('sudo', '#!/bin/sh\nif [ "$1" = -n ]; then shift; echo "sudo -n $*" >> "$HOME/sudo.log"; exec "$@"; fi\necho "sudo: prompting for a password" >&2\nexit 99\n');
    node.addStandIn('k3s', '#!/bin/sh\necho "k3s $*"\n');
    const { stdout } = await node.session.run(kubectlCommand('get nodes -o name'));
    expect(stdout).toBe('k3s kubectl get nodes -o name\n');
    expect(fs.readFileSync(path.join(path.dirname(node.root), 'sudo.log'), 'utf8')).toBe('sudo -n k3s kubectl get nodes -o name\n');
  });
});

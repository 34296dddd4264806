import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { readPins } from '../../cli/ssh/host-keys';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { main } from '../../cli/main';
import { requireTool } from '../support/tools';
import { FakeNode, makeTestLab, startFakeNode, sshEndpointsEnv } from '../support/sshd-fake-node';

requireTool('/usr/sbin/sshd')('kubelab ssh, ssh-config, ssh-forget against a real OpenSSH server', () => {
  let lab: ReturnType<typeof makeTestLab>;
  let node: FakeNode;
  const out: string[] = [];
  const run = (...argv: string[]) => main(argv, lab.projectDir, new CliContext(lab.projectDir, (l) => out.push(l), (l) => out.push(l)));

  beforeAll(async () => {
    lab = makeTestLab();
    node = await startFakeNode(lab.paths);
    Object.assign(process.env, sshEndpointsEnv({ '192.168.56.10': node }));
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await node?.stop();
    lab?.cleanup();
  });
  beforeEach(() => (out.length = 0));

  test('`ssh <node> <command>` runs it on the node and exits with its status', async () => {
    expect(await run('ssh', 'cp1', 'echo ran-on-node > "$TMPDIR/ssh-ran"; exit 3')).toBe(3);
    expect(fs.readFileSync(path.join(node.tmpDir, 'ssh-ran'), 'utf8')).toBe('ran-on-node\n');
    expect(await run('ssh', 'cp1', '--', 'true')).toBe(0);
    expect(readPins(lab.paths).cp1.key).toBe(node.sshd.hostPublicKey);
  });

  test('`ssh-config` prints a Host block per node with the lab key and the pinned known_hosts', async () => {
    expect(await run('ssh-config')).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(
      [
        'Host cp1 kubelab-cp1',
        '  HostName 192.168.56.10',
        '  User kubelab',
        `  IdentityFile ${lab.paths.sshPrivateKey}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${path.join(path.dirname(lab.paths.knownHosts), 'known_hosts')}`,
      ].join('\n'),
    );
    expect(text).toContain('Host w2 kubelab-w2\n  HostName 192.168.56.12');
  });

  test('a changed host key is refused until `ssh-forget`, then re-pinned', async () => {
    await node.sshd.restart({ rotateHostKey: true });
    expect(await run('ssh', 'cp1', 'true')).toBe(1);
    expect(out.join('\n')).toMatch(/host key of node cp1 .* changed.*kubelab ssh-forget cp1/);
    expect(await run('ssh-forget', 'cp1')).toBe(0);
    expect(await run('ssh', 'cp1', 'true')).toBe(0);
    expect(readPins(lab.paths).cp1.key).toBe(node.sshd.hostPublicKey);
    expect(await run('ssh-forget', 'nope')).toBe(0);
    expect(out.join('\n')).toContain('no host key pinned for nope; nothing to do');
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { readPins } from '../../cli/ssh/host-keys';
import { waitForSshAndCloudInit } from '../../cli/ssh/wait';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { labPaths } from '../../config/paths';
import { requireTool } from '../support/tools';
import { DROP_MY_SSH_CONNECTION, FakeNode, makeTestLab, startFakeNode } from '../support/sshd-fake-node';

/**
 * STAND-IN for cloud-init: answers `cloud-init status --wait` with the exit code and text in
 * its answer file, and `status --long` with the text of <answer file>.long.
 */
const standInCloudInit = (answerFile: string) => `#!/bin/bash
# STAND-IN for cloud-init (kubelab tests): prints and exits as ${answerFile} says.
if [ "$1 $2" = "status --long" ]; then cat "${answerFile}.long" 2>/dev/null; exit 0; fi
[ "$1 $2" = "status --wait" ] || { echo "stand-in cloud-init: unexpected args: $*" >&2; exit 99; }
if [ -e "${answerFile}.drop-once" ]; then rm "${answerFile}.drop-once"; ${DROP_MY_SSH_CONNECTION.replace(/\n/g, '\n  ')}
fi
read -r code text < "${answerFile}"
[ "$code" = hang ] && exec sleep 30
echo "$text"
exit "$code"
`;

requireTool('/usr/sbin/sshd')('waitForSshAndCloudInit against a real OpenSSH server', () => {
  let lab: ReturnType<typeof makeTestLab>;
  let node: FakeNode;
  let answerFile: string;
  const lines: string[] = [];
  const wait = (over: Partial<Parameters<typeof waitForSshAndCloudInit>[0]> = {}) =>
    waitForSshAndCloudInit({ host: '127.0.0.1', port: node.sshd.port, nodeName: 'cp1', paths: lab.paths, timeoutMs: 5000, initialDelayMs: 20, onProgress: (l) => lines.push(l), ...over });
  const answer = (code: string, text: string) => fs.writeFileSync(answerFile, `${code} ${text}\n`);

  beforeAll(async () => {
    lab = makeTestLab();
    answerFile = path.join(lab.projectDir, 'cloud-init-answer');
    node = await startFakeNode(lab.paths, { 'cloud-init': standInCloudInit(answerFile) });
    process.env[TEST_SSH_ENDPOINTS_ENV] = JSON.stringify({ '127.0.0.1': { user: node.sshd.user } });
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await node?.stop();
    lab?.cleanup();
  });
  beforeEach(() => {
    lines.length = 0;
    fs.rmSync(`${answerFile}.long`, { force: true });
    fs.rmSync(lab.paths.knownHosts, { force: true });
  });

  test('done: logs in, waits for cloud-init, pins the host key', async () => {
    answer('0', 'status: done');
    await wait();
    expect(lines.join('\n')).toMatch(/cloud-init finished \(status: done\)/);
    expect(readPins(lab.paths).cp1.key).toBe(node.sshd.hostPublicKey);
    expect(fs.readFileSync(path.join(path.dirname(lab.paths.knownHosts), 'known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${node.sshd.port} ${node.sshd.hostPublicKey}`);
  });

  test('exit 2 (recoverable errors) is done with a warning', async () => {
    answer('2', 'status: done');
    await wait();
    expect(lines.join('\n')).toMatch(/warning: cp1: cloud-init finished with recoverable errors/);
  });

  test('exit 1 is an error quoting cloud-init', async () => {
    answer('1', 'status: error');
    await expect(wait()).rejects.toThrow(/cloud-init failed \(exit 1: status: error\)/);
  });

  // Shaped like canonical/cloud-init cloudinit/cmd/status.py prints them (stored version at commit 0167c1b9).
  test('exit 1 quotes the errors `cloud-init status --long` names', async () => {
    answer('1', 'status: error');
    fs.writeFileSync(
      `${answerFile}.long`,
      "status: error\nextended_status: error - done\ndetail: DataSourceNoCloud [seed=/dev/sr0]\nerrors:\n\t- ('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))\nrecoverable_errors: {}\n",
    );
    await expect(wait()).rejects.toThrow(/cloud-init failed \(exit 1: status: error\): \('scripts_user', RuntimeError\('Runparts: 1 failures \(runcmd\)/);
  });

  test('exit 2 warns with the recoverable errors, and names only logs the kubelab user can read (through sudo)', async () => {
    answer('2', 'status: done');
    fs.writeFileSync(
      `${answerFile}.long`,
      "status: done\nextended_status: degraded done\nerrors: []\nrecoverable_errors:\nWARNING:\n\t- Failed to set the hostname\nDEPRECATED:\n\t- Key 'x' is deprecated\n",
    );
    await wait();
    const text = lines.join('\n');
    expect(text).toMatch(/recoverable errors: WARNING: Failed to set the hostname \| DEPRECATED: Key 'x' is deprecated/);
    for (const m of text.matchAll(/(\S+) \S+ \/var\/log\//g)) expect(m[1].replace(/^"/, '')).toBe('sudo'); // a command in a message is one quoted word: "sudo less …"
  });

  test('a connection dropped while waiting is retried', async () => {
    answer('0', 'status: done');
    fs.writeFileSync(`${answerFile}.drop-once`, '');
    await wait();
    expect(fs.existsSync(`${answerFile}.drop-once`)).toBe(false);
    expect(lines.join('\n')).toMatch(/cloud-init finished/);
  });

  test('cloud-init still running at the deadline says so', async () => {
    answer('hang', '');
    await expect(wait({ timeoutMs: 1000 })).rejects.toThrow(/not ready within 1 s: logged in, but cloud-init was still running/);
  });

  test('a port that never answers is reported as such', async () => {
    const closedPort = node.sshd.port === 1 ? 2 : 1; // privileged, nothing listens
    await expect(wait({ port: closedPort, timeoutMs: 400 })).rejects.toThrow(new RegExp(`port ${closedPort} never answered \\(last: ECONNREFUSED\\)`));
  });

  test('a refused key is reported as a login failure', async () => {
    const other = labPaths(path.join(lab.projectDir, 'other'));
    ensureLabKeyPair(other);
    await expect(wait({ paths: other, timeoutMs: 500 })).rejects.toThrow(/answered but login failed: the node refused the lab key/);
  });

  test('a changed host key on the same VM is an error; a re-created VM (new VM id) is re-pinned', async () => {
    answer('0', 'status: done');
    const { sshd } = node;
    const waitOn = (vmId: string) => wait({ vmId });
    await waitOn('vm-a');
    expect(readPins(lab.paths).cp1.vmId).toBe('vm-a');
    await sshd.restart({ rotateHostKey: true });
    await expect(waitOn('vm-a')).rejects.toThrow(/host key of node cp1 \(127\.0\.0\.1\) changed.*kubelab ssh-forget cp1/s);
    await waitOn('vm-b');
    expect(readPins(lab.paths).cp1.key).toBe(sshd.hostPublicKey);
    expect(lines.join('\n')).toMatch(/pinned SSH host key \(the VM was re-created \(VM id vm-a → vm-b\)\)/);
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { etcdServers, removeEtcdMember } from '../../cli/k3s/etcd-member';
import { connectToNode, NodeSession } from '../../cli/ssh/client';
import { nodeSshTarget, TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { FakeNode, makeTestLab, sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { requireTool } from '../support/tools';
import { standInHaK3s } from './ha-stand-ins';

const FAST = { timeoutMs: 1500, pollMs: 50 };

requireTool('/usr/sbin/sshd')('removing a server from embedded etcd (real OpenSSH servers, K3s played by a stand-in)', () => {
  let lab: ReturnType<typeof makeTestLab>;
  let cp1: FakeNode;
  let clusterDir: string;
  let session: NodeSession;

  beforeAll(async () => {
    lab = makeTestLab();
    clusterDir = path.join(lab.projectDir, 'stand-in-cluster');
    cp1 = await startFakeNode(lab.paths);
    fs.writeFileSync(path.join(cp1.binDir, 'k3s'), standInHaK3s(clusterDir), { mode: 0o755 });
    Object.assign(process.env, sshEndpointsEnv({ '192.168.56.10': cp1 }));
    session = await connectToNode({ paths: lab.paths, target: nodeSshTarget('cp1', '192.168.56.10'), timeoutMs: 5000 });
  });
  afterAll(async () => {
    session?.close();
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await cp1?.stop();
    lab?.cleanup();
  });
  beforeEach(() => {
    fs.rmSync(clusterDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(clusterDir, 'etcd'), { recursive: true });
    for (const [name, ip] of [['cp1', '192.168.56.10'], ['cp2', '192.168.56.11'], ['cp3', '192.168.56.12']]) fs.writeFileSync(path.join(clusterDir, 'etcd', name), `${ip}\n`);
  });
  const kubectlLog = () => fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8').trim().split('\n');

  test('lists the etcd servers with their addresses and readiness', async () => {
    expect(await etcdServers(session)).toEqual([
      { name: 'cp1', internalIp: '192.168.56.10', ready: true },
      { name: 'cp2', internalIp: '192.168.56.11', ready: true },
      { name: 'cp3', internalIp: '192.168.56.12', ready: true },
    ]);
  });

  test('annotates the leaving server and waits for K3s to confirm; the member is gone after', async () => {
    const progress: string[] = [];
    expect(await removeEtcdMember(session, 'cp3', { ...FAST, onProgress: (l) => progress.push(l) })).toBe('removed');
    expect(kubectlLog().filter((l) => l.startsWith('annotate'))).toEqual(['annotate node cp3 etcd.k3s.cattle.io/remove=true --overwrite']);
    expect((await etcdServers(session)).map((s) => s.name)).toEqual(['cp1', 'cp2']);
    expect(progress).toContain('kubelab: etcd member cp3-standin of cp3 removed');
  });

  test('a second run finds the member already removed and does not annotate again', async () => {
    await removeEtcdMember(session, 'cp3', FAST);
    fs.rmSync(path.join(clusterDir, 'kubectl.log'));
    expect(await removeEtcdMember(session, 'cp3', FAST)).toBe('removed');
    expect(kubectlLog().some((l) => l.startsWith('annotate'))).toBe(false);
  });

  test('a node the cluster does not know is not a member: nothing to remove', async () => {
    expect(await removeEtcdMember(session, 'cp9', FAST)).toBe('not a member');
    expect(fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8')).not.toContain('annotate');
  });

  test('when K3s never confirms, the error says so, with what etcd reports, and that K3s stays installed', async () => {
    fs.writeFileSync(path.join(clusterDir, 'controller-stuck'), '');
    await expect(removeEtcdMember(session, 'cp3', FAST)).rejects.toThrow(
      /K3s did not confirm the removal of cp3's etcd member within 2 s .*etcd on cp1 says: \[-\]etcd failed: reason withheld\. K3s is still installed on cp3/,
    );
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { removeEtcdMember } from '../../cli/k3s/etcd-member';
import { LocalNode, localNode } from '../support/local-node';
import { standInHaK3s } from './ha-stand-ins';

const FAST = { timeoutMs: 600, pollMs: 50 };

// What kubelab asks K3s on the surviving server, against the HA stand-in (ha-stand-ins.ts) in local bash;
// the same calls over real OpenSSH servers are in ha-steps.test.ts.
describe('removing a server from embedded etcd (K3s played by a stand-in)', () => {
  let cp1: LocalNode;
  let clusterDir: string;

  beforeAll(() => {
    cp1 = localNode('cp1', '192.168.56.10');
    clusterDir = path.join(path.dirname(cp1.binDir), 'stand-in-cluster');
    cp1.addStandIn('k3s', standInHaK3s(clusterDir));
  });
  afterAll(() => cp1?.cleanup());
  beforeEach(() => {
    fs.rmSync(clusterDir, { recursive: true, force: true });
    for (const d of ['etcd', 'agents']) fs.mkdirSync(path.join(clusterDir, d), { recursive: true });
    for (const [name, ip] of [['cp1', '192.168.56.10'], ['cp2', '192.168.56.11'], ['cp3', '192.168.56.12']]) fs.writeFileSync(path.join(clusterDir, 'etcd', name), `${ip}\n`);
  });
  const kubectlLog = () => fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8').trim().split('\n');

  test('annotates the leaving server and waits for K3s to confirm; the member is gone after', async () => {
    const progress: string[] = [];
    expect(await removeEtcdMember(cp1.session, 'cp3', { ...FAST, onProgress: (l) => progress.push(l) })).toBe('removed');
    expect(kubectlLog().filter((l) => l.startsWith('annotate'))).toEqual(['annotate node cp3 etcd.k3s.cattle.io/remove=true --overwrite']);
    expect(fs.readdirSync(path.join(clusterDir, 'etcd')).sort()).toEqual(['cp1', 'cp2']);
    expect(progress).toEqual(['kubelab: removing the etcd member of cp3 (asked on cp1)', 'kubelab: etcd member cp3-standin of cp3 removed']);
  });

  test('a second run finds the member already removed and does not annotate again', async () => {
    await removeEtcdMember(cp1.session, 'cp3', FAST);
    fs.rmSync(path.join(clusterDir, 'kubectl.log'));
    const progress: string[] = [];
    expect(await removeEtcdMember(cp1.session, 'cp3', { ...FAST, onProgress: (l) => progress.push(l) })).toBe('removed');
    expect(kubectlLog().some((l) => l.startsWith('annotate'))).toBe(false);
    expect(progress).toEqual(['kubelab: etcd member cp3-standin of cp3 removed']);
  });

  test('a node the cluster does not know is not a member: nothing to remove', async () => {
    expect(await removeEtcdMember(cp1.session, 'cp9', FAST)).toBe('not a member');
    expect(fs.readFileSync(path.join(clusterDir, 'kubectl.log'), 'utf8')).not.toContain('annotate');
  });

  test('a node without the etcd role (an agent) is not a member: nothing to remove', async () => {
    fs.writeFileSync(path.join(clusterDir, 'agents', 'w1'), '');
    expect(await removeEtcdMember(cp1.session, 'w1', FAST)).toBe('not a member');
    expect(kubectlLog().some((l) => l.startsWith('annotate'))).toBe(false);
  });

  test('when K3s never confirms, the error says so, with what etcd reports, and that K3s stays installed', async () => {
    fs.writeFileSync(path.join(clusterDir, 'controller-stuck'), '');
    await expect(removeEtcdMember(cp1.session, 'cp3', FAST)).rejects.toThrow(
      /^K3s did not confirm the removal of cp3's etcd member within 1 s \(no etcd\.k3s\.cattle\.io\/removed-node-name annotation\); etcd on cp1 says: \[-\]etcd failed: reason withheld\. K3s is still installed on cp3: look at the K3s log of cp1 \(journalctl -u k3s\) and run the step again\.$/,
    );
    expect(kubectlLog().filter((l) => l.startsWith('get node cp3')).length).toBeGreaterThan(2);
  });

  test('it gives up at the deadline, not a poll later', async () => {
    fs.writeFileSync(path.join(clusterDir, 'controller-stuck'), '');
    const started = Date.now();
    await expect(removeEtcdMember(cp1.session, 'cp3', { timeoutMs: 1000, pollMs: 600 })).rejects.toThrow(/did not confirm/);
    // One poll after the annotation (at ~600 ms); the next would be past the deadline, so it stops there.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('etcd health that fails without a word: the error gives its exit status', async () => {
    fs.writeFileSync(path.join(clusterDir, 'controller-stuck'), '');
    fs.writeFileSync(path.join(clusterDir, 'readyz-silent'), '');
    await expect(removeEtcdMember(cp1.session, 'cp3', FAST)).rejects.toThrow("etcd on cp1 says: exit status 1. K3s is still installed on cp3");
  });

  test('an API that stops answering after the annotation is not taken for a confirmation', async () => {
    fs.writeFileSync(path.join(clusterDir, 'controller-stuck'), '');
    fs.writeFileSync(path.join(clusterDir, 'api-down-after-annotate'), '');
    await expect(removeEtcdMember(cp1.session, 'cp3', FAST)).rejects.toThrow(/^K3s did not confirm the removal of cp3's etcd member/);
  });

  test('a refused annotation fails at once, saying what kubelab was doing on which node', async () => {
    fs.writeFileSync(path.join(clusterDir, 'annotate-refused'), '');
    await expect(removeEtcdMember(cp1.session, 'cp3', FAST)).rejects.toThrow(/^on cp1 .*: annotating cp3 for etcd member removal failed with exit status 1 .*stand-in k3s: annotating refused/s);
  });
});

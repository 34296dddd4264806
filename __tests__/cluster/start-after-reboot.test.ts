/**
 * `kubelab start` after the lab's machines were powered off, in a CLI child against the VBoxManage
 * STAND-IN (not VirtualBox), the Kubernetes API stand-in (not Kubernetes) and the ingress stand-in:
 * the API answers while the nodes' status still says Ready from before the power-off, and the
 * kubelets have not renewed their leases yet. Start must wait for the renewals.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeApiStandIn, healthyLab } from '../support/kube-api-standin';
import { StandInEnv, importRunningLabVms, standInEnv } from '../support/vboxmanage-standin-env';
import { CliInChild } from './cli-in-child';
import { IngressStandIn } from './ingress-standin';

const api = new KubeApiStandIn();
const ingress = new IngressStandIn();
const NODES = ['cp1', 'w1', 'w2'];
let s: StandInEnv;
let cli: CliInChild;
let project: string;

beforeAll(async () => {
  await api.start();
  await ingress.start();
  s = standInEnv();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-start-'));
  api.writeKubeconfig(project);
  importRunningLabVms(s, project, NODES);
  cli = new CliInChild(s.env);
});
afterAll(async () => {
  cli.stop();
  s.cleanup();
  fs.rmSync(project, { recursive: true, force: true });
  await ingress.stop();
  await api.stop();
});

test('start after a power-off: the Ready left from before the power-off does not count; start reports the nodes Ready only after every kubelet renewed its lease', async () => {
  for (const n of NODES) execFileSync('VBoxManage', ['controlvm', `kubelab-${n}`, 'poweroff'], { env: s.env });
  // The API answers at once; the node status still says Ready (stale), and the kubelets renew only from the 4th look on.
  api.reset({ ...healthyLab(), kubeletsBootReads: 3 });
  const r = await cli.run(['start', '--interval', '20ms', '--timeout', '30s', '--ingress-http', ingress.address], project);
  expect(r.code).toBe(0);
  expect(s.state().vms.map((v) => v.state)).toEqual(NODES.map(() => 'running'));
  const ready = r.out.indexOf('kubelab: all 3 nodes Ready');
  expect(ready).toBeGreaterThan(-1);
  // Start went on reading until the stand-in served leases its kubelets renewed after the reboot...
  expect(api.renewedLeaseReads.length).toBeGreaterThan(0);
  // ...and said, while it waited, which nodes it still waited for.
  expect(r.out.slice(0, ready).some((l) => /^kubelab: waiting for the nodes: .*cp1 Ready, lease not renewed/.test(l))).toBe(true);
});

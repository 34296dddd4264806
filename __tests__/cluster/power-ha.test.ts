import { resolveLabConfig } from '../../config/load';
import { stopLab } from '../../cli/cluster/lab-power';
import { LabVms } from '../../cli/cluster/lab-vms';
import { HA_NODES, HOSTS_ONLY_NODES } from '../support/lab-shapes';

/** A recording test double of the VM power interface (the real one drives VirtualBox). */
function recordingVms(log: string[]): LabVms {
  return {
    start: async (n) => void log.push(`start ${n.name}`),
    stop: async (n) => void log.push(`stop ${n.name}`),
    state: async () => 'running',
  };
}

test('stop with 3 servers: agents first, then every server, the first server last', async () => {
  const log: string[] = [];
  await stopLab({ config: resolveLabConfig({ nodes: HA_NODES }).config, vms: recordingVms(log), out: () => undefined, force: false });
  expect(log).toEqual(['stop w2', 'stop w1', 'stop cp3', 'stop cp2', 'stop cp1']);
});

test('stop of a lab of existing machines powers nothing and says so', async () => {
  const log: string[] = [];
  const out: string[] = [];
  await stopLab({ config: resolveLabConfig({ nodes: HOSTS_ONLY_NODES }).config, vms: recordingVms(log), out: (l) => out.push(l), force: false });
  expect(log).toEqual([]);
  expect(out).toEqual(["kubelab: the lab's existing machines keep running; kubelab does not power them", "kubelab: the lab's 0 VMs are stopped; start them again with: npx kubelab start"]);
});

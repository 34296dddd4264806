/**
 * kubelab's records of the existing machines it put K3s on (cli/k3s/machine-records.ts): what
 * `kubelab prune` finds a machine by once its node left the config.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { forgetMachine, recordMachine, recordedMachines } from '../../cli/k3s/machine-records';
import { findNode, LabConfig } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { HOSTS_ONLY_NODES } from '../support/lab-shapes';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-machine-records-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

// Built in a hook, not as the file loads: a config that stops resolving then fails these tests.
let hosts: LabConfig;
let vms: LabConfig;
beforeAll(() => {
  hosts = resolveLabConfig({ nodes: HOSTS_ONLY_NODES }).config;
  vms = resolveLabConfig({}).config;
});

test('an existing machine is recorded with its login and role (0600, one file a node); a VM is not', () => {
  const paths = labPaths(dir);
  expect(recordedMachines(paths)).toEqual([]);
  recordMachine(paths, findNode(vms, 'w1'));
  expect(fs.existsSync(paths.machinesDir) ? fs.readdirSync(paths.machinesDir) : []).toEqual([]);
  recordMachine(paths, findNode(hosts, 'pi2'));
  recordMachine(paths, findNode(hosts, 'pi1'));
  // As the config has them (../support/lab-shapes.ts), pi1 with the default port and key file.
  expect(recordedMachines(paths)).toEqual([
    { node: 'pi1', role: 'server', address: '10.20.0.11', login: { user: 'ubuntu', port: 22, keyFile: 'ssh/id_ed25519' } },
    { node: 'pi2', role: 'agent', address: '10.20.0.12', login: { user: 'ubuntu', port: 2222, keyFile: 'ssh/pi-key' } },
  ]);
  expect((fs.statSync(path.join(paths.machinesDir, 'pi2.json')).mode & 0o777).toString(8)).toBe('600');
});

test('recording the same machine again leaves its file as it is; a changed login replaces it', () => {
  const paths = labPaths(dir);
  recordMachine(paths, findNode(hosts, 'pi2'));
  const file = path.join(paths.machinesDir, 'pi2.json');
  const before = fs.statSync(file).ino;
  recordMachine(paths, findNode(hosts, 'pi2'));
  expect(fs.statSync(file).ino).toBe(before);
  const moved = resolveLabConfig({ nodes: [HOSTS_ONLY_NODES[0], { ...HOSTS_ONLY_NODES[1], host: { ...HOSTS_ONLY_NODES[1].host, port: 2200 } }] }).config;
  recordMachine(paths, findNode(moved, 'pi2'));
  expect(recordedMachines(paths)[0].login.port).toBe(2200);
});

test('a forgotten machine is gone from the records (forgetting one never recorded is fine); other files in the dir are not records', () => {
  const paths = labPaths(dir);
  recordMachine(paths, findNode(hosts, 'pi1'));
  recordMachine(paths, findNode(hosts, 'pi2'));
  fs.writeFileSync(path.join(paths.machinesDir, 'pi1.json.tmp-1234'), '{ half written');
  forgetMachine(paths, 'pi1');
  forgetMachine(paths, 'never-there');
  expect(recordedMachines(paths).map((r) => r.node)).toEqual(['pi2']);
});

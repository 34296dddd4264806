import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { CliContext } from '../../cli/context';
import { fetchLabKubeconfig } from '../../cli/kubeconfig/fetch';
import { mergeLabIntoUserKubeconfig } from '../../cli/kubeconfig/merge';
import * as client from '../../cli/ssh/client';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';

/*
 * `kubelab k3s kubeconfig` against a stand-in server session: K3s writes its admin kubeconfig to
 * /etc/rancher/k3s/k3s.yaml, mode 0600, root's (k3s-io/docs docs/cluster-access.md, unverified at a
 * tag), so it is read with sudo: the stand-in runs the command without its `sudo -n ` in a temp dir that
 * plays the node's "/" (KUBELAB_NODE_ROOT, as the node-script tests do). The default lab: named "kubelab", server cp1 at 192.168.56.10
 * (docs of this project: the lab's host-only addresses), K3s's API on 6443.
 */

let project: string;
let served: string;
let runs: { command: string; label?: string }[];
let connects: { nodeName: string; host: string; timeoutMs: number }[];
let closed: number;
let out: string[];

beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-fetch-'));
  fs.mkdirSync(path.join(project, '.kubelab'), { recursive: true });
  served = K3S_STYLE_KUBECONFIG;
  runs = [];
  connects = [];
  closed = 0;
  out = [];
  jest.spyOn(client, 'connectToNode').mockImplementation(async (options) => {
    connects.push({ nodeName: options.target.nodeName, host: options.target.host, timeoutMs: options.timeoutMs });
    return {
      run: async (command: string, opts: { label?: string } = {}) => {
        runs.push({ command, label: opts.label });
        const root = path.join(project, 'node-root');
        fs.rmSync(root, { recursive: true, force: true });
        if (served !== 'gone') {
          fs.mkdirSync(path.join(root, 'etc', 'rancher', 'k3s'), { recursive: true });
          fs.writeFileSync(path.join(root, 'etc', 'rancher', 'k3s', 'k3s.yaml'), served, { mode: 0o600 });
        }
        if (!command.startsWith('sudo -n ')) throw new Error(`stand-in: not run as root: ${command}`);
        const r = spawnSync('sh', ['-c', command.slice('sudo -n '.length)], { encoding: 'utf8', env: { ...process.env, KUBELAB_NODE_ROOT: root } });
        if (r.status !== 0) throw new Error(`failed: ${r.stderr}`);
        return { code: 0, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
      },
      close: () => closed++,
    } as unknown as client.NodeSession;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(project, { recursive: true, force: true });
});

const ctx = () => new CliContext(project, (l) => out.push(l), (l) => out.push(l));
const labFile = () => path.join(project, '.kubelab', 'kubeconfig');

test("reads K3s's kubeconfig with sudo on the server, writes the lab's (0600, pointed at the server, named after the lab), and says how to use it", async () => {
  await fetchLabKubeconfig(ctx());
  expect(connects).toEqual([{ nodeName: 'cp1', host: '192.168.56.10', timeoutMs: 120_000 }]);
  expect(runs).toEqual([{ command: expect.stringMatching(/^sudo -n /), label: 'reading /etc/rancher/k3s/k3s.yaml' }]);
  expect(closed).toBe(1);
  const kc = parse(fs.readFileSync(labFile(), 'utf8'));
  expect(kc.clusters).toEqual([{ name: 'kubelab', cluster: { 'certificate-authority-data': 'c3RhbmQtaW4tY2E=', server: 'https://192.168.56.10:6443' } }]);
  expect(fs.statSync(labFile()).mode & 0o777).toBe(0o600);
  expect(out).toEqual([
    `kubelab: wrote ${labFile()} (mode 0600): cluster/context/user "kubelab", server https://192.168.56.10:6443`,
    'kubelab: to use it: npx kubelab kubectl get nodes (no kubectl needed), or merge it into your own kubeconfig: npx kubelab kubeconfig --merge',
  ]);
});

test('fetched again unchanged: nothing written, and said', async () => {
  await fetchLabKubeconfig(ctx(), 5_000);
  expect(connects[0].timeoutMs).toBe(5_000);
  const written = fs.statSync(labFile()).mtimeMs;
  fs.utimesSync(labFile(), new Date(0), new Date(0));
  out = [];
  await fetchLabKubeconfig(ctx());
  expect(fs.statSync(labFile()).mtimeMs).not.toBe(written);
  expect(fs.statSync(labFile()).mtimeMs).toBe(0);
  expect(out[0]).toBe(`kubelab: ${labFile()} is up to date (cluster/context/user "kubelab", server https://192.168.56.10:6443); nothing to do`);
});

test("merged into the user's kubeconfig: a new K3s kubeconfig refreshes the lab's entries there (with a backup); an unchanged one says nothing more", async () => {
  await fetchLabKubeconfig(ctx());
  const user = path.join(project, 'user-config');
  mergeLabIntoUserKubeconfig(ctx().paths, 'kubelab', user);
  out = [];
  await fetchLabKubeconfig(ctx());
  expect(out).toEqual([`kubelab: ${labFile()} is up to date (cluster/context/user "kubelab", server https://192.168.56.10:6443); nothing to do`]);
  served = K3S_STYLE_KUBECONFIG.replace('c3RhbmQtaW4tY2E=', 'bmV3LWNh');
  out = [];
  await fetchLabKubeconfig(ctx());
  expect(out[1]).toMatch(new RegExp(`^kubelab: refreshed the lab's entries in ${user.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(backup: ${user.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.kubelab-backup-[0-9TZ-]+\\)$`));
  expect(parse(fs.readFileSync(user, 'utf8')).clusters[0].cluster['certificate-authority-data']).toBe('bmV3LWNh');
  expect(out).toHaveLength(2);
});

test('merged into a file that is gone since: it is made again, and said to have no backup', async () => {
  await fetchLabKubeconfig(ctx());
  const user = path.join(project, 'user-config');
  mergeLabIntoUserKubeconfig(ctx().paths, 'kubelab', user);
  fs.rmSync(user);
  out = [];
  await fetchLabKubeconfig(ctx());
  expect(out[1]).toBe(`kubelab: refreshed the lab's entries in ${user} (backup: none, new file)`);
});

test('a read that fails (no k3s.yaml on the server) still closes the session, and writes nothing', async () => {
  served = 'gone';
  await expect(fetchLabKubeconfig(ctx())).rejects.toThrow(/k3s\.yaml: No such file or directory/);
  expect(closed).toBe(1);
  expect(fs.existsSync(labFile())).toBe(false);
});

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appliedMarker, UNCHANGED_MARK } from '../../cli/k3s/node-script';
import { renderUninstallScript } from '../../cli/k3s/uninstall';

/**
 * The script `kubelab k3s uninstall` runs on a node, run by bash against a temp dir that plays
 * the node's "/" (KUBELAB_NODE_ROOT). The uninstall scripts K3s's installer leaves are
 * STAND-INS that only record which one ran; their names are the K3s installer's
 * (get.k3s.io install.sh: ${BIN_DIR}/${SYSTEM_NAME}-uninstall.sh, SYSTEM_NAME k3s or
 * k3s-agent, BIN_DIR /usr/local/bin), as the guest suite checks on a real install.
 */
const K3S_UNINSTALL = { server: '/usr/local/bin/k3s-uninstall.sh', agent: '/usr/local/bin/k3s-agent-uninstall.sh' };

describe('the uninstall script on a node', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-uninstall-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const at = (p: string) => path.join(root, p);
  const put = (p: string, content = '', mode = 0o644) => {
    fs.mkdirSync(path.dirname(at(p)), { recursive: true });
    fs.writeFileSync(at(p), content, { mode });
  };
  const standInUninstall = (role: 'server' | 'agent') =>
    put(K3S_UNINSTALL[role], `#!/bin/sh\n# STAND-IN: records that it ran (stdin: ${role})\necho "$0 ran" >> "$KUBELAB_NODE_ROOT/ran.log"\nrm -rf "$KUBELAB_NODE_ROOT/etc/rancher/k3s" "$KUBELAB_NODE_ROOT/var/lib/rancher/k3s"\n`, 0o755);
  const run = (req: Parameters<typeof renderUninstallScript>[0]) => {
    const r = spawnSync('bash', ['-c', renderUninstallScript(req)], { env: { PATH: '/usr/bin:/bin', HOME: root, KUBELAB_NODE_ROOT: root }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.trim();
  };
  const ran = () => (fs.existsSync(at('ran.log')) ? fs.readFileSync(at('ran.log'), 'utf8').trim().split('\n') : []);
  const exists = (p: string) => fs.existsSync(at(p));

  test.each(['server', 'agent'] as const)("role %s: runs K3s's own uninstall script, then removes the node password and kubelab's records", (role) => {
    standInUninstall(role);
    put('etc/rancher/node/password', 'node-password');
    put('etc/rancher/k3s/kubelab-token', 'token');
    put(appliedMarker(role), 'applied');
    put(`var/lib/kubelab/k3s-${role}.started`, '');
    put('var/lib/rancher/k3s/data', '');
    expect(run({ nodeName: 'n1', role })).toBe(`kubelab: removed K3s (${role}) from n1`);
    expect(ran()).toEqual([`${at(K3S_UNINSTALL[role])} ran`]);
    for (const gone of ['etc/rancher', 'var/lib/rancher', 'var/lib/kubelab']) expect([gone, exists(gone)]).toEqual([gone, false]);
  });

  test('a node named with the wrong role (prune cannot ask the config) uses the uninstall script that is there', () => {
    standInUninstall('server');
    expect(run({ nodeName: 'cp2', role: 'agent' })).toBe('kubelab: removed K3s (agent) from cp2');
    expect(ran()).toEqual([`${at(K3S_UNINSTALL.server)} ran`]);
    fs.rmSync(at('ran.log'));
    fs.rmSync(at(K3S_UNINSTALL.server));
    standInUninstall('agent');
    expect(run({ nodeName: 'w3', role: 'server' })).toBe('kubelab: removed K3s (server) from w3');
    expect(ran()).toEqual([`${at(K3S_UNINSTALL.agent)} ran`]);
  });

  test("K3s's uninstall script failing stops the script: nothing said to be removed, kubelab's records kept for a retry", () => {
    put(K3S_UNINSTALL.agent, '#!/bin/sh\necho "cannot unmount" >&2\nexit 1\n', 0o755);
    put(appliedMarker('agent'), 'applied');
    const r = spawnSync('bash', ['-c', renderUninstallScript({ nodeName: 'w1', role: 'agent' })], { env: { PATH: '/usr/bin:/bin', HOME: root, KUBELAB_NODE_ROOT: root }, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([1, '', 'cannot unmount\n']);
    expect(exists(appliedMarker('agent'))).toBe(true);
  });

  test('only the uninstall script of the role runs when both are there', () => {
    standInUninstall('server');
    standInUninstall('agent');
    run({ nodeName: 'w1', role: 'agent' });
    expect(ran()).toEqual([`${at(K3S_UNINSTALL.agent)} ran`]);
  });

  test('without K3s: says nothing changed, runs nothing, and still removes what kubelab left', () => {
    put(appliedMarker('agent'), 'applied');
    expect(run({ nodeName: 'w2', role: 'agent' })).toBe(`${UNCHANGED_MARK} K3s (agent) is not installed on w2; nothing to uninstall`);
    expect(ran()).toEqual([]);
    expect(exists('var/lib/kubelab')).toBe(false);
  });

  test("what others keep beside K3s's dirs and kubelab's stays", () => {
    standInUninstall('server');
    put('etc/rancher/other/config', 'theirs');
    put('var/lib/rancher/other', 'theirs');
    put('var/lib/kubelab/notes', 'theirs');
    put(appliedMarker('server'), 'applied');
    run({ nodeName: 'cp1', role: 'server' });
    for (const kept of ['etc/rancher/other/config', 'var/lib/rancher/other', 'var/lib/kubelab/notes']) expect([kept, exists(kept)]).toEqual([kept, true]);
    expect(exists(appliedMarker('server'))).toBe(false);
  });
});

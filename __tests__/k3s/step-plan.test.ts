import { k3sStepPlan } from '../../config/k3s-plan';
import { findNode, LabConfig } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { HA_NODES, HOSTS_ONLY_NODES, vmNode } from '../support/lab-shapes';

/**
 * What each node's K3s step tells K3s. Flag and variable meanings are K3s's (docs.k3s.io
 * "K3s Server" / "K3s Agent" CLI references and installation/configuration.md in k3s-io/docs;
 * get.k3s.io install.sh reads K3S_URL to choose the agent role and K3S_TOKEN_FILE for the token):
 * a flag's value is the word after it.
 */
const flagValues = (args: readonly string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe('the K3s step plan of a node', () => {
  // Built in a hook, not as the file loads: a config that stops resolving then fails these tests.
  let one: LabConfig;
  let ha: LabConfig;
  let hosts: LabConfig;
  beforeAll(() => {
    one = resolveLabConfig({ nodes: [vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 21)] }).config;
    ha = resolveLabConfig({ nodes: HA_NODES }).config;
    hosts = resolveLabConfig({ nodes: HOSTS_ONLY_NODES }).config;
  });

  test('a single server: runs `k3s server` as the k3s unit, registers and advertises its lab address, leaves Traefik and metrics-server to Terraform, keeps its kubeconfig root-only', () => {
    const p = k3sStepPlan(one, findNode(one, 'cp1'), 'upload');
    expect([p.role, p.service, p.uninstallScript, p.labName, p.version, p.source]).toEqual(['server', 'k3s', 'k3s-uninstall.sh', one.name, one.k3s.version, 'upload']);
    expect(p.node.name).toBe('cp1');
    expect(p.installArgs[0]).toBe('server');
    expect(flagValues(p.installArgs, '--node-name')).toEqual(['cp1']);
    for (const f of ['--node-ip', '--advertise-address', '--tls-san']) expect([f, flagValues(p.installArgs, f)]).toEqual([f, ['192.168.56.10']]);
    // The VM's host-only NIC (NIC2 of the Ubuntu image is enp0s8), not the NAT one every VM shares.
    expect(flagValues(p.installArgs, '--flannel-iface')).toEqual(['enp0s8']);
    expect(flagValues(p.installArgs, '--disable').sort()).toEqual(['metrics-server', 'traefik']);
    expect(flagValues(p.installArgs, '--write-kubeconfig-mode')).toEqual(['600']);
    // One server keeps K3s's default datastore: no embedded etcd flags.
    expect(p.installArgs).not.toContain('--cluster-init');
    expect(p.installArgs).not.toContain('--server');
    expect(p.installerEnv.K3S_URL).toBeUndefined();
    expect(p.installerEnv.K3S_TOKEN_FILE).toBe('/etc/rancher/k3s/kubelab-token');
  });

  test('an agent: runs `k3s agent` as the k3s-agent unit and joins through the first server at port 6443', () => {
    const p = k3sStepPlan(one, findNode(one, 'w1'), 'online');
    expect([p.role, p.service, p.uninstallScript, p.source]).toEqual(['agent', 'k3s-agent', 'k3s-agent-uninstall.sh', 'online']);
    expect(p.installArgs[0]).toBe('agent');
    expect(flagValues(p.installArgs, '--node-name')).toEqual(['w1']);
    expect(flagValues(p.installArgs, '--node-ip')).toEqual(['192.168.56.21']);
    expect(flagValues(p.installArgs, '--flannel-iface')).toEqual(['enp0s8']);
    for (const serverOnly of ['--disable', '--advertise-address', '--tls-san', '--write-kubeconfig-mode']) expect(p.installArgs).not.toContain(serverOnly);
    expect(p.installerEnv.K3S_URL).toBe('https://192.168.56.10:6443');
    expect(p.installerEnv.K3S_TOKEN_FILE).toBe('/etc/rancher/k3s/kubelab-token');
  });

  test('three servers: the first starts embedded etcd, the others join it through the first', () => {
    expect(k3sStepPlan(ha, findNode(ha, 'cp1'), 'upload').installArgs).toContain('--cluster-init');
    for (const n of ['cp2', 'cp3']) {
      const args = k3sStepPlan(ha, findNode(ha, n), 'upload').installArgs;
      expect(args).not.toContain('--cluster-init');
      expect(flagValues(args, '--server')).toEqual(['https://192.168.56.10:6443']);
    }
    expect(k3sStepPlan(ha, findNode(ha, 'w2'), 'upload').installerEnv.K3S_URL).toBe('https://192.168.56.10:6443');
  });

  test('an existing machine: its own address, and no VirtualBox NIC name', () => {
    const server = k3sStepPlan(hosts, findNode(hosts, 'pi1'), 'online');
    expect(flagValues(server.installArgs, '--node-ip')).toEqual(['10.20.0.11']);
    expect(server.installArgs).not.toContain('--flannel-iface');
    const agent = k3sStepPlan(hosts, findNode(hosts, 'pi2'), 'online');
    expect(agent.installArgs).not.toContain('--flannel-iface');
    expect(agent.installerEnv.K3S_URL).toBe('https://10.20.0.11:6443');
  });

  test('with a proxy in the config, the installer gets it for K3s and containerd; without, no proxy variable', () => {
    const proxied = resolveLabConfig({ nodes: [vmNode('cp1', 'server', 10)], proxy: { http: 'http://proxy.example:3128' } }).config;
    const env = k3sStepPlan(proxied, findNode(proxied, 'cp1'), 'online').installerEnv;
    expect(env.HTTP_PROXY).toBe('http://proxy.example:3128');
    expect(env.K3S_TOKEN_FILE).toBe('/etc/rancher/k3s/kubelab-token');
    expect(Object.keys(k3sStepPlan(one, findNode(one, 'cp1'), 'online').installerEnv).filter((k) => /proxy/i.test(k))).toEqual([]);
  });
});

import { decodeStepSpec } from '../../config/step-spec';
import { HOSTS_ONLY_NODES, vmNode } from '../support/lab-shapes';
import { kubelabArgs, labSteps, replacedSteps } from './terraform-steps';

/**
 * The K3s steps of a lab as Terraform runs them: what a config change replaces (a replaced step
 * runs its destroy, then its create), in which order, and the kubelab lines it runs.
 */
const LAB = [vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 21)];
const VERSION_STEPS = ['agent-w1_version', 'server-cp1_version'];

describe('the K3s steps', () => {
  test('registries travel in the planned spec and a change of them re-runs only the K3s steps at the same version', () => {
    const registries = { mirrors: { 'docker.io': { endpoint: ['https://mirror.example.com:5000'] } } };
    const plain = labSteps({ nodes: LAB });
    const mirrored = labSteps({ nodes: LAB, registries });
    for (const name of VERSION_STEPS) {
      expect([name, (decodeStepSpec(mirrored.k3s[name].triggers.spec) as any).registries]).toEqual([name, registries]);
      expect([name, (decodeStepSpec(plain.k3s[name].triggers.spec) as any).registries]).toEqual([name, undefined]);
      expect(mirrored.k3s[name].triggers.registries).toContain('https://mirror.example.com:5000');
    }
    expect(replacedSteps(plain.k3s, mirrored.k3s)).toEqual(VERSION_STEPS);
    expect(replacedSteps(plain.vms, mirrored.vms)).toEqual([]);
  });

  test('without the embedded mirror and without registries no registries are planned; switching it re-runs only the version steps', () => {
    const on = labSteps({ nodes: LAB });
    const off = labSteps({ nodes: LAB, k3s: { embeddedRegistry: false } });
    for (const name of VERSION_STEPS) expect([name, 'registries' in off.k3s[name].triggers]).toEqual([name, false]);
    expect(replacedSteps(on.k3s, off.k3s)).toEqual(VERSION_STEPS);
  });

  test('another installer source re-runs the K3s steps in place, not the installs', () => {
    const online = labSteps({ nodes: LAB, k3s: { installer: { source: 'online' } } });
    const local = labSteps({ nodes: LAB, k3s: { installer: { source: 'local', binary: 'k3s', script: 'install.sh' } } });
    expect(replacedSteps(online.k3s, local.k3s)).toEqual(VERSION_STEPS);
    expect(online.k3s['server-cp1_version'].triggers.installer).not.toBe(local.k3s['server-cp1_version'].triggers.installer);
  });

  test('a proxy reaches the K3s install (spec and installer environment) and the VM seeds', () => {
    const proxy = { http: 'http://proxy.example:3128' };
    const proxied = labSteps({ nodes: LAB, proxy });
    for (const name of VERSION_STEPS) {
      expect([name, (decodeStepSpec(proxied.k3s[name].triggers.spec) as any).proxy]).toEqual([name, proxy]);
      // The plan shows each installer variable as NAME=value, one word each.
      expect(proxied.k3s[name].triggers.env.split(' ')).toEqual(expect.arrayContaining(['HTTP_PROXY=http://proxy.example:3128', 'HTTPS_PROXY=http://proxy.example:3128']));
    }
    for (const name of ['vm-cp1', 'vm-w1']) expect([name, (decodeStepSpec(proxied.vms[name].triggers.spec) as any).proxy]).toEqual([name, proxy]);
  });

  test('each version step installs or upgrades its own node with its role, from the planned spec', () => {
    const { k3s } = labSteps({ nodes: LAB });
    expect(kubelabArgs(k3s['server-cp1_version'], 'create')!.slice(1)).toEqual(['k3s', 'server', 'cp1']);
    expect(kubelabArgs(k3s['agent-w1_version'], 'create')!.slice(1)).toEqual(['k3s', 'agent', 'w1']);
    const spec = decodeStepSpec(kubelabArgs(k3s['agent-w1_version'], 'create')![0].replace(/^--spec=/, '')) as any;
    expect(spec.name).toBe('kubelab');
    expect(spec.k3s.version).toMatch(/^v\d+\.\d+\.\d+\+k3s\d+$/);
    expect(spec.nodes.map((n: any) => n.name).sort()).toEqual(['cp1', 'w1']);
  });

  test("an agent's uninstall drains it through the first server, reached as its VM; the server's names itself", () => {
    const { k3s } = labSteps({ nodes: LAB });
    expect(kubelabArgs(k3s['agent-w1_install'], 'destroy')).toEqual(
      ['k3s', 'uninstall', 'w1', '--ip', '192.168.56.21', '--role', 'agent', '--lab', 'kubelab', '--server', 'cp1', '--server-ip', '192.168.56.10', '--server-vm', 'kubelab-cp1'],
    );
    expect(kubelabArgs(k3s['server-cp1_install'], 'destroy')).toEqual(
      ['k3s', 'uninstall', 'cp1', '--ip', '192.168.56.10', '--role', 'server', '--lab', 'kubelab', '--server', 'cp1', '--server-ip', '192.168.56.10', '--server-vm', 'kubelab-cp1'],
    );
    expect(kubelabArgs(k3s['agent-w1_install'], 'create')).toBeUndefined();
  });

  test('the lab kubeconfig is fetched once the first server is at its version, again for a new cluster, and removed by lab name', () => {
    const { k3s } = labSteps({ nodes: LAB });
    const args = kubelabArgs(k3s.kubeconfig, 'create')!;
    expect(args.slice(1)).toEqual(['k3s', 'kubeconfig']);
    expect((decodeStepSpec(args[0].replace(/^--spec=/, '')) as any).nodes.map((n: any) => n.name)).toEqual(['cp1']);
    expect(kubelabArgs(k3s.kubeconfig, 'destroy')).toEqual(['k3s', 'kubeconfig', '--remove', '--lab', 'kubelab']);
    expect(k3s.kubeconfig.depends_on).toEqual(['null_resource.server-cp1_version']);
    expect(k3s.kubeconfig.triggers).toMatchObject({ server_install: '${null_resource.server-cp1_install.id}', server_url: 'https://192.168.56.10:6443' });
  });

  test('existing machines: the uninstall logs in as host: says, for the node and for the server it drains through', () => {
    const { k3s } = labSteps({ nodes: HOSTS_ONLY_NODES });
    expect(kubelabArgs(k3s['agent-pi2_install'], 'destroy')).toEqual(
      ['k3s', 'uninstall', 'pi2', '--ip', '10.20.0.12', '--role', 'agent', '--lab', 'kubelab', '--ssh', 'ubuntu:2222:ssh/pi-key', '--server', 'pi1', '--server-ip', '10.20.0.11', '--server-ssh', 'ubuntu:22:ssh/id_ed25519'],
    );
    expect(kubelabArgs(k3s['server-pi1_install'], 'destroy')).toEqual(
      ['k3s', 'uninstall', 'pi1', '--ip', '10.20.0.11', '--role', 'server', '--lab', 'kubelab', '--ssh', 'ubuntu:22:ssh/id_ed25519', '--server', 'pi1', '--server-ip', '10.20.0.11', '--server-ssh', 'ubuntu:22:ssh/id_ed25519'],
    );
  });

  test('a new machine under a node (another address) re-runs its K3s steps and the agents that drain through it', () => {
    const before = labSteps({ nodes: HOSTS_ONLY_NODES });
    const moved = labSteps({ nodes: [{ ...HOSTS_ONLY_NODES[0], host: { ...HOSTS_ONLY_NODES[0].host, address: '10.20.0.31' } }, HOSTS_ONLY_NODES[1]] });
    expect(replacedSteps(before.k3s, moved.k3s)).toEqual(['agent-pi2_install', 'agent-pi2_version', 'kubeconfig', 'server-pi1_install', 'server-pi1_version']);
  });
});

import { resolveLabConfig } from '../../config/load';
import { decodeStepSpec } from '../../config/step-spec';
import { HA_NODES, HOSTS_ONLY_NODES } from '../support/lab-shapes';
import { resourcesOf, synthLab } from './synth-lab';

const command = (r: any, when?: 'destroy') => r.provisioner.map((p: any) => p['local-exec']).find((e: any) => e.when === when)?.command as string | undefined;
const words = (flags: string) => flags.split(' ');

describe('growing or shrinking the lab keeps the VMs that stay', () => {
  // A VM step is replaced when its triggers change, and replacing it destroys the VM (the whole cluster for the first server).
  const vmTriggers = (nodes: object[]) => {
    const vms = resourcesOf(synthLab({ nodes }).stacks.vms, 'null_resource');
    return Object.fromEntries(Object.entries<any>(vms).filter(([n]) => n.startsWith('vm-')).map(([n, r]) => [n, r.triggers]));
  };

  test('3 servers → 1 and 1 → 3 (servers added or removed): the VMs of cp1 and the agents keep their triggers', () => {
    const ha = vmTriggers(HA_NODES);
    const single = vmTriggers(HA_NODES.filter((n) => !['cp2', 'cp3'].includes(n.name)));
    for (const vm of ['vm-cp1', 'vm-w1', 'vm-w2']) expect([vm, single[vm]]).toEqual([vm, ha[vm]]);
  });

  test('an agent removed or added: no other VM changes', () => {
    const ha = vmTriggers(HA_NODES);
    const fewer = vmTriggers(HA_NODES.filter((n) => n.name !== 'w2'));
    for (const vm of ['vm-cp1', 'vm-cp2', 'vm-cp3', 'vm-w1']) expect([vm, fewer[vm]]).toEqual([vm, ha[vm]]);
  });
});

describe('3 servers + 2 agents', () => {
  const lab = synthLab({ nodes: HA_NODES });
  const k3s = resourcesOf(lab.stacks.k3s, 'null_resource');

  test('every node gets its K3s steps, and every node a VM', () => {
    expect(Object.keys(k3s).sort()).toEqual(
      ['agent-w1', 'agent-w2', 'server-cp1', 'server-cp2', 'server-cp3'].flatMap((n) => [`${n}_install`, `${n}_version`]).concat('kubeconfig').sort(),
    );
    expect(Object.keys(resourcesOf(lab.stacks.vms, 'null_resource'))).toEqual(expect.arrayContaining(['vm-cp1', 'vm-cp2', 'vm-cp3', 'vm-w1', 'vm-w2']));
  });

  test('--cluster-init only on the first server; the others join it; agents register through it', () => {
    const flags = (n: string) => words(k3s[`${n}_version`].triggers.flags);
    expect(flags('server-cp1')).toContain('--cluster-init');
    expect(flags('server-cp1')).not.toContain('--server');
    for (const n of ['server-cp2', 'server-cp3']) {
      expect(flags(n)).not.toContain('--cluster-init');
      expect(flags(n)[flags(n).indexOf('--server') + 1]).toBe('https://192.168.56.10:6443');
    }
    for (const n of ['agent-w1', 'agent-w2']) {
      expect(flags(n)).not.toContain('--cluster-init');
      expect(k3s[`${n}_version`].triggers.env).toContain('K3S_URL=https://192.168.56.10:6443');
    }
  });

  test('order: servers join one after another, upgrade one after another, then the agents one by one', () => {
    const after = (n: string) => k3s[n].depends_on ?? [];
    expect(after('server-cp1_install')).toEqual([]);
    expect(after('server-cp2_install')).toEqual(['null_resource.server-cp1_version']);
    expect(after('server-cp3_install')).toEqual(['null_resource.server-cp2_version']);
    expect(after('server-cp2_version')).toEqual(expect.arrayContaining(['null_resource.server-cp2_install', 'null_resource.server-cp1_version']));
    expect(after('server-cp3_version')).toEqual(expect.arrayContaining(['null_resource.server-cp3_install', 'null_resource.server-cp2_version']));
    // Agents join after every server is in and upgrade after the last server; not after each other (kubelab's lab-wide lock orders their changes).
    expect(after('agent-w1_install')).toEqual(expect.arrayContaining(['null_resource.server-cp1_version', 'null_resource.server-cp2_version', 'null_resource.server-cp3_version', 'null_resource.kubeconfig']));
    expect(after('agent-w1_version')).toEqual(expect.arrayContaining(['null_resource.server-cp3_version']));
    expect(after('agent-w2_version')).toEqual(expect.arrayContaining(['null_resource.server-cp3_version']));
    expect(after('agent-w2_version')).not.toContain('null_resource.agent-w1_version');
  });

  test("each step's spec is a valid lab config with the servers its flags need, so the command does what the plan shows", () => {
    for (const [name, r] of Object.entries<any>(k3s).filter(([n]) => n.endsWith('_version'))) {
      expect(command(r)).toContain('--spec=${self.triggers.spec}');
      const spec = resolveLabConfig(decodeStepSpec(r.triggers.spec)).config;
      const servers = spec.nodes.filter((n) => n.role === 'server').map((n) => n.name);
      expect([name, servers]).toEqual([name, name.startsWith('server-') ? ['cp1', 'cp2', 'cp3'] : ['cp1']]);
    }
  });

  test("a joining server's uninstall goes through the first server (etcd member removal, drain); the first server's names itself, not the config's", () => {
    expect(command(k3s['server-cp1_install'], 'destroy')).toContain('--server ${self.triggers.node} --server-ip ${self.triggers.ip} --server-vm ${self.triggers.vm_name}');
    for (const n of ['server-cp2', 'server-cp3', 'agent-w1']) {
      const destroy = command(k3s[`${n}_install`], 'destroy')!;
      expect(destroy).toContain('--server ${self.triggers.server} --server-ip ${self.triggers.server_ip} --server-vm ${self.triggers.server_vm}');
      expect(k3s[`${n}_install`].triggers).toMatchObject({ server: 'cp1', server_ip: '192.168.56.10', server_vm: 'kubelab-cp1' });
    }
  });

  test('the kubeconfig points at the first server', () => {
    expect(k3s.kubeconfig.triggers.server_url).toBe('https://192.168.56.10:6443');
  });
});

describe('a lab of existing machines only', () => {
  const lab = synthLab({
    nodes: HOSTS_ONLY_NODES,
    registries: { mirrors: { '*': { endpoint: ['https://mirror.example.com:5000'] } }, configs: { 'mirror.example.com:5000': { credentialsFile: 'registries/mirror.yaml' } } },
  });
  const k3s = resourcesOf(lab.stacks.k3s, 'null_resource');

  test('the vms stack has only the preflight checks and the prune step: no network, image or VM (no VirtualBox needed)', () => {
    const vms = resourcesOf(lab.stacks.vms, 'null_resource');
    expect(Object.keys(vms).sort()).toEqual(['preflight', 'prune']);
    // Machines that leave the config are found through kubelab's record and drained through the first server, logged in to as host: says.
    expect(vms.prune.triggers).toMatchObject({ nodes: 'pi1+pi2', server: 'pi1', server_ip: '10.20.0.11', server_ssh: 'ubuntu:22:ssh/id_ed25519' });
    expect(vms.prune.triggers).not.toHaveProperty('server_vm');
    expect(command(vms.prune)).toContain('prune --lab');
    expect(command(vms.prune)).toContain('--server-ssh ubuntu:22:ssh/id_ed25519');
  });

  test('K3s steps log in as host: says and carry no VirtualBox interface', () => {
    expect(k3s['server-pi1_install'].triggers).toMatchObject({ ip: '10.20.0.11', ssh: 'ubuntu:22:ssh/id_ed25519' });
    expect(k3s['agent-pi2_install'].triggers).toMatchObject({ ip: '10.20.0.12', ssh: 'ubuntu:2222:ssh/pi-key', server_ssh: 'ubuntu:22:ssh/id_ed25519' });
    expect(command(k3s['server-pi1_install'], 'destroy')).toContain('--ssh ${self.triggers.ssh} --server ${self.triggers.node} --server-ip ${self.triggers.ip} --server-ssh ${self.triggers.ssh}');
    expect(command(k3s['agent-pi2_install'], 'destroy')).toContain('--ssh ${self.triggers.ssh} --server ${self.triggers.server} --server-ip ${self.triggers.server_ip} --server-ssh ${self.triggers.server_ssh}');
    for (const n of ['server-pi1', 'agent-pi2']) expect(k3s[`${n}_version`].triggers.flags).not.toContain('--flannel-iface');
  });

  test('registries reach the plan by file name only; no credential value is in any synthesized file', () => {
    expect(k3s['server-pi1_version'].triggers.registries).toContain('"credentialsFile":"registries/mirror.yaml"');
    for (const text of Object.values(lab.files)) expect(text).not.toMatch(/password|username/i);
  });
});

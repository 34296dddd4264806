import { existingMachine, sshWord } from '../../constructs/node-machine';
import { resolveLabConfig } from '../../config/load';
import { decodeStepSpec } from '../../config/step-spec';
import { hostNode, vmNode } from '../support/lab-shapes';
import { kubelabArgs, labSteps, replacedSteps } from './terraform-steps';

/**
 * The vms stack as Terraform runs it: the host checks first, nodes that left the config pruned
 * before new VMs come, and a VM re-created exactly when what it was made from changes.
 */
const LAB = [vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 21)];

describe('the vms stack', () => {
  test('order: checks, then the prune, network and image; every VM after all three', () => {
    const { vms } = labSteps({ nodes: LAB });
    expect(Object.keys(vms).sort()).toEqual(['image', 'network', 'preflight', 'prune', 'vm-cp1', 'vm-w1']);
    expect(vms.preflight.depends_on).toBeUndefined();
    for (const name of ['prune', 'network', 'image']) expect([name, vms[name].depends_on]).toEqual([name, ['null_resource.preflight']]);
    for (const name of ['vm-cp1', 'vm-w1']) {
      expect([name, [...vms[name].depends_on!].sort()]).toEqual([name, ['null_resource.image', 'null_resource.network', 'null_resource.prune']]);
    }
  });

  test('the preflight checks the planned nodes and network, and runs again when a node changes size or address', () => {
    const { vms } = labSteps({ nodes: LAB });
    const args = kubelabArgs(vms.preflight, 'create')!;
    expect(args.slice(1)).toEqual(['doctor', '--preflight']);
    const spec = decodeStepSpec(args[0].replace(/^--spec=/, '')) as any;
    expect(spec.name).toBe('kubelab');
    expect(spec.network).toEqual(resolveLabConfig({}).config.network);
    expect(spec.nodes.map((n: any) => [n.name, n.ip, n.memoryMb])).toEqual([
      ['cp1', '192.168.56.10', resolveLabConfig({}).config.nodes[0].memoryMb],
      ['w1', '192.168.56.21', resolveLabConfig({}).config.nodes[1].memoryMb],
    ]);
    expect(kubelabArgs(vms.preflight, 'destroy')).toBeUndefined();
    // The plan says why the checks run again (the spec trigger is one base64 word): each node's name, address, CPUs and memory.
    const config = resolveLabConfig({ nodes: LAB }).config;
    expect(vms.preflight.triggers.nodes.split(', ')).toHaveLength(2);
    config.nodes.forEach((n, i) => {
      for (const shown of [n.name, n.ip, `${n.cpus} CPU`, `${n.memoryMb} MB`]) expect(vms.preflight.triggers.nodes.split(', ')[i]).toContain(shown);
    });
    for (const change of [{ memoryMb: 4096 }, { cpus: 3 }, { ip: '192.168.56.22' }]) {
      const changed = labSteps({ nodes: [LAB[0], { ...LAB[1], ...change }] });
      expect([change, replacedSteps(vms, changed.vms)]).toEqual([change, ['preflight', 'vm-w1']]);
    }
  });

  test('a node that leaves re-runs the prune, which keeps the rest and drains through the first server as its VM', () => {
    const three = labSteps({ nodes: [...LAB, vmNode('w2', 'agent', 22)] });
    const two = labSteps({ nodes: LAB });
    expect(replacedSteps(three.vms, two.vms)).toEqual(['preflight', 'prune', 'vm-w2']);
    expect(kubelabArgs(two.vms.prune, 'create')).toEqual(['prune', '--lab', 'kubelab', '--keep', 'cp1+w1', '--server', 'cp1', '--server-ip', '192.168.56.10', '--server-vm', 'kubelab-cp1']);
    expect(kubelabArgs(two.vms.prune, 'destroy')).toBeUndefined();
  });

  test('a lab of existing machines: the prune logs in to the first server as host: says', () => {
    const { vms } = labSteps({ nodes: [hostNode('pi1', 'server', '10.20.0.11', { port: 2200, keyFile: 'ssh/pi' }), hostNode('pi2', 'agent', '10.20.0.12')] });
    expect(kubelabArgs(vms.prune, 'create')).toEqual(['prune', '--lab', 'kubelab', '--keep', 'pi1+pi2', '--server', 'pi1', '--server-ip', '10.20.0.11', '--server-ssh', 'ubuntu:2200:ssh/pi']);
    expect(vms.prune.triggers).not.toHaveProperty('server_vm');
    expect(vms.prune.depends_on).toEqual(['null_resource.preflight']);
  });

  test('a VM is made from its planned spec (itself in full, an agent also the first server) and destroyed by its own triggers', () => {
    const { vms } = labSteps({ nodes: LAB });
    const args = kubelabArgs(vms['vm-w1'], 'create')!;
    expect(args.slice(1)).toEqual(['vm', 'create', 'w1']);
    const spec = decodeStepSpec(args[0].replace(/^--spec=/, '')) as any;
    const config = resolveLabConfig({ nodes: LAB }).config;
    expect(resolveLabConfig(spec).config.nodes.find((n) => n.name === 'w1')).toEqual(config.nodes.find((n) => n.name === 'w1'));
    expect(spec.nodes.map((n: any) => n.name)).toEqual(['cp1', 'w1']);
    expect([spec.name, spec.network, spec.image]).toEqual([config.name, config.network, config.image]);
    expect(decodeStepSpec(kubelabArgs(vms['vm-cp1'], 'create')![0].replace(/^--spec=/, '')) as any).toMatchObject({ nodes: [{ name: 'cp1' }] });
    expect(kubelabArgs(vms['vm-w1'], 'destroy')).toEqual(['vm', 'destroy', 'w1', '--lab', 'kubelab']);
  });

  test('a VM is re-created, with its K3s, when its size, address, network or lab changes, and only then', () => {
    const before = labSteps({ nodes: LAB });
    expect(replacedSteps(before.vms, labSteps({ nodes: [LAB[0], { ...LAB[1], diskGb: 40 }] }).vms)).toEqual(['preflight', 'vm-w1']);
    const vmOnly = (s: string[]) => s.filter((n) => n.startsWith('vm-') || n.startsWith('agent-w1'));
    expect(vmOnly(replacedSteps(before.k3s, labSteps({ nodes: [LAB[0], { ...LAB[1], memoryMb: 4096 }] }).k3s))).toEqual(['agent-w1_install', 'agent-w1_version']);
    const renamed = labSteps({ name: 'other', nodes: LAB });
    expect(replacedSteps(before.vms, renamed.vms)).toEqual(['image', 'network', 'preflight', 'prune', 'vm-cp1', 'vm-w1']);
    expect(renamed.vms['vm-w1'].triggers.vm_name).not.toBe(before.vms['vm-w1'].triggers.vm_name);
  });
});

describe('the host-only network and the base image', () => {
  test('the network comes up with the planned address range and host address, and goes down by lab name', () => {
    const { vms } = labSteps({ nodes: LAB });
    const { network } = resolveLabConfig({}).config;
    expect(kubelabArgs(vms.network, 'create')).toEqual(['network', 'up', '--lab', 'kubelab', '--cidr', network.cidr, '--host-ip', network.hostIp]);
    expect(kubelabArgs(vms.network, 'destroy')).toEqual(['network', 'down', '--lab', 'kubelab']);
  });

  test('another network replaces the network and every VM on it', () => {
    const nodes = [vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 21)].map((n) => ({ ...n, ip: n.ip.replace('192.168.56.', '192.168.57.') }));
    const before = labSteps({ nodes, network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.1' } });
    const wider = labSteps({ nodes, network: { cidr: '192.168.57.0/25', hostIp: '192.168.57.1' } });
    expect(replacedSteps(before.vms, wider.vms)).toEqual(['network', 'preflight', 'vm-cp1', 'vm-w1']);
    const moved = labSteps({ nodes, network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.2' } });
    expect(replacedSteps(before.vms, moved.vms)).toEqual(['network', 'preflight', 'vm-cp1', 'vm-w1']);
  });

  test('the image is imported and removed by lab name, and replaced with the lab', () => {
    const { vms } = labSteps({ nodes: LAB });
    expect(kubelabArgs(vms.image, 'create')).toEqual(['image', 'import', '--lab', 'kubelab']);
    expect(kubelabArgs(vms.image, 'destroy')).toEqual(['image', 'remove', '--lab', 'kubelab']);
    expect(vms['vm-w1'].triggers.image).toBe(vms.image.triggers.release);
  });
});

describe('an existing machine as a node', () => {
  test('is identified by its address and login, which a destroy step can pass as one word', () => {
    const node = resolveLabConfig({ nodes: [hostNode('pi1', 'server', '10.20.0.11', { port: 2200, keyFile: 'ssh/pi' })] }).config.nodes[0];
    expect(existingMachine(node)).toEqual({ labNode: node, identity: { ip: '10.20.0.11', ssh: sshWord(node.host!) } });
    expect(sshWord(node.host!).split(':')).toEqual(['ubuntu', '2200', 'ssh/pi']);
  });

  test('a VM node is not one', () => {
    const node = resolveLabConfig({ nodes: [vmNode('cp1', 'server', 10)] }).config.nodes[0];
    expect(() => existingMachine(node)).toThrow('node cp1 is a VM, not an existing machine');
  });
});

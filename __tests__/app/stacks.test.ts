import { STACK_NAMES } from '../../lab';
import { KUBECONFIG_FROM_STACK } from '../../config/paths';
import { allResources, resourcesOf, synthLab } from './synth-lab';

const lab = synthLab();
const CLUSTER_STACKS = ['ingress', 'metrics-server', 'dashboard', 'workloads'];

describe('the synthesized lab', () => {
  test('manifest.json carries the deploy order vms → k3s → ingress, metrics-server → dashboard, workloads', () => {
    const deps = Object.fromEntries(Object.entries<any>(lab.manifest.stacks).map(([name, s]) => [name, [...s.dependencies].sort()]));
    expect(deps).toEqual({
      vms: [],
      k3s: ['vms'],
      ingress: ['k3s'],
      'metrics-server': ['k3s'],
      dashboard: ['ingress'],
      workloads: ['ingress', 'metrics-server'],
    });
  });

  test('every stack keeps its Terraform state outside cdktf.out/, by a relative path', () => {
    for (const name of STACK_NAMES) {
      expect(lab.stacks[name].terraform.backend).toEqual({ local: { path: `../../../terraform.${name}.tfstate` } });
    }
  });

  test('every VM has a create and a destroy provisioner, and the destroy step reads only its own triggers', () => {
    const vms = Object.entries<any>(resourcesOf(lab.stacks.vms, 'null_resource')).filter(([name]) => name.startsWith('vm-'));
    expect(vms.map(([name]) => name).sort()).toEqual(['vm-cp1', 'vm-w1', 'vm-w2']);
    for (const [name, vm] of vms) {
      const creates = vm.provisioner.filter((p: any) => !p['local-exec'].when);
      const destroys = vm.provisioner.filter((p: any) => p['local-exec'].when === 'destroy');
      expect(creates).toHaveLength(1);
      expect(destroys).toHaveLength(1);
      // The create runs with the spec Terraform planned, not whatever kubelab.config.yaml says by then.
      expect(creates[0]['local-exec'].command).toBe(`node ../../../bin/kubelab.js --spec=\${self.triggers.spec} vm create ${name.slice(3)}`);
      expect(destroys[0]['local-exec'].command).toBe('node ../../../bin/kubelab.js vm destroy ${self.triggers.node} --lab ${self.triggers.lab}');
    }
  });

  test('every destroy-time provisioner in every stack references only self.triggers that exist', () => {
    let checked = 0;
    for (const stack of Object.values(lab.stacks)) {
      for (const { name, body } of allResources(stack)) {
        for (const p of body.provisioner ?? []) {
          const exec = p['local-exec'];
          if (exec.when !== 'destroy') continue;
          checked++;
          const refs = [...exec.command.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
          for (const ref of refs) {
            const match = /^self\.triggers\.([a-z_]+)$/.exec(ref);
            expect({ name, ref, ok: !!match }).toEqual({ name, ref, ok: true });
            expect(Object.keys(body.triggers)).toContain(match![1]);
          }
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3 + 3 + 1 + 2); // VMs, K3s nodes, kubeconfig, network and image
  });

  test('every local-exec command is one shell-neutral kubelab line run from the stack dir', () => {
    for (const stack of Object.values(lab.stacks)) {
      for (const { body } of allResources(stack)) {
        for (const p of body.provisioner ?? []) {
          expect(p['local-exec'].command).toMatch(/^node \.\.\/\.\.\/\.\.\/bin\/kubelab\.js( ([A-Za-z0-9._:/=+-]+|(--[a-z-]+=)?\$\{self\.triggers\.[a-z_]+\}))+$/);
        }
      }
    }
  });

  test('K3s: agents install after the server, all at once, and a version bump touches only the version steps', () => {
    const steps = resourcesOf(lab.stacks.k3s, 'null_resource');
    // Agents join after the lab kubeconfig exists, so a full destroy drains them before it goes.
    expect(steps['agent-w1_install'].depends_on).toEqual(['null_resource.server-cp1_version', 'null_resource.kubeconfig']);
    expect(steps['agent-w2_install'].depends_on).toEqual(['null_resource.server-cp1_version', 'null_resource.kubeconfig']);
    // A new server install (new cluster) replaces each agent's install and the kubeconfig.
    expect(steps['agent-w1_install'].triggers.server_install).toBe('${null_resource.server-cp1_install.id}');
    expect(steps.kubeconfig.triggers.server_install).toBe('${null_resource.server-cp1_install.id}');
    // The install step runs nothing at create; the version step installs, and is replaced with the install step.
    expect(steps['server-cp1_install'].provisioner.map((p: any) => p['local-exec'].when)).toEqual(['destroy']);
    expect(steps['server-cp1_version'].triggers.install).toBe('${null_resource.server-cp1_install.id}');
    expect(steps['server-cp1_version'].triggers.flags).toContain('--disable traefik');
    // Agents wait for the server, never for each other: a first install joins them all at once
    // (a change of a running K3s goes one node at a time through kubelab's lab-wide lock instead).
    expect(steps['agent-w1_version'].depends_on).toEqual(['null_resource.agent-w1_install', 'null_resource.server-cp1_version']);
    expect(steps['agent-w2_version'].depends_on).toEqual(['null_resource.agent-w2_install', 'null_resource.server-cp1_version']);
    expect(steps.kubeconfig.depends_on).toEqual(['null_resource.server-cp1_version']);

    const bumped = resourcesOf(synthLab({ k3s: { version: 'v1.36.5+k3s1' } }).stacks.k3s, 'null_resource');
    const changed = Object.keys(steps).filter((name) => JSON.stringify(steps[name].triggers) !== JSON.stringify(bumped[name].triggers));
    expect(changed.sort()).toEqual(['agent-w1_version', 'agent-w2_version', 'server-cp1_version']);
    expect(bumped['server-cp1_version'].triggers.k3s_version).toBe('v1.36.5+k3s1');
  });

  test('a changed node IP re-creates that VM and its K3s install, not the others', () => {
    const moved = synthLab({
      nodes: [
        { name: 'cp1', role: 'server', ip: '192.168.56.10' },
        { name: 'w1', role: 'agent', ip: '192.168.56.21' },
        { name: 'w2', role: 'agent', ip: '192.168.56.12' },
      ],
    });
    const triggersChanged = (stack: string) => {
      const before = resourcesOf(lab.stacks[stack], 'null_resource');
      const after = resourcesOf(moved.stacks[stack], 'null_resource');
      return Object.keys(before).filter((n) => JSON.stringify(before[n].triggers) !== JSON.stringify(after[n].triggers));
    };
    // The preflight re-checks addresses and memory whenever the nodes change.
    expect(triggersChanged('vms')).toEqual(['preflight', 'vm-w1']);
    expect(triggersChanged('k3s')).toEqual(['agent-w1_install', 'agent-w1_version']);
  });

  test.each(CLUSTER_STACKS)('cluster stack %s: kubernetes and helm providers read the lab kubeconfig by a relative path', (name) => {
    const provider = lab.stacks[name].provider;
    expect(provider.kubernetes).toEqual([{ config_path: KUBECONFIG_FROM_STACK, config_context: 'kubelab' }]);
    expect(provider.helm).toEqual([{ kubernetes: { config_path: KUBECONFIG_FROM_STACK, config_context: 'kubelab' } }]);
    expect(KUBECONFIG_FROM_STACK).toBe('${path.module}/../../../.kubelab/kubeconfig');
  });

  test('kubernetes objects use the typed *_v1 / *_v2 resources and charts the helm provider', () => {
    for (const name of CLUSTER_STACKS) {
      for (const { type } of allResources(lab.stacks[name])) {
        expect(type).toMatch(/^(kubernetes_[a-z_]+_v[12]|helm_release)$/);
      }
    }
  });

  test('every chart is pinned to an exact version from a named repository', () => {
    const releases = CLUSTER_STACKS.flatMap((n) => Object.values<any>(resourcesOf(lab.stacks[n], 'helm_release')));
    expect(releases.map((r) => r.chart).sort()).toEqual(['headlamp', 'metrics-server', 'traefik']);
    for (const r of releases) {
      expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r.repository).toMatch(/^https:\/\//);
    }
  });

  test('the dashboard and HPA demo URLs are stack outputs', () => {
    expect(lab.stacks.dashboard.output.url.value).toBe('http://headlamp.192.168.56.10.sslip.io/headlamp/');
    expect(lab.stacks.workloads.output.hpa_demo_url.value).toBe('http://php-apache.192.168.56.10.sslip.io/');
  });
});

import { STACK_NAMES } from '../../lab';
import { allResources, resourcesOf, synthLab } from './synth-lab';

describe('switching components', () => {
  const full = synthLab();

  test('dashboard off: the dashboard stack stays (so a deploy removes what it had) but is empty, with no URL output', () => {
    const lab = synthLab({ components: { dashboard: { enabled: false } } });
    expect(Object.keys(lab.stacks).sort()).toEqual([...STACK_NAMES].sort());
    expect(allResources(lab.stacks.dashboard)).toEqual([]);
    expect(lab.stacks.dashboard.output).toBeUndefined();
    expect(lab.stacks.workloads).toEqual(full.stacks.workloads);
  });

  test('HPA demo off: workloads empty, the rest unchanged', () => {
    const lab = synthLab({ components: { hpaDemo: { enabled: false } } });
    expect(allResources(lab.stacks.workloads)).toEqual([]);
    for (const name of ['vms', 'k3s', 'ingress', 'metrics-server', 'dashboard']) expect(lab.stacks[name]).toEqual(full.stacks[name]);
  });

  test('everything off but the cluster: ingress, metrics-server, dashboard and workloads are empty; vms and k3s unchanged', () => {
    const lab = synthLab({
      components: { ingress: { enabled: false }, metricsServer: { enabled: false }, dashboard: { enabled: false }, hpaDemo: { enabled: false } },
    });
    for (const name of ['ingress', 'metrics-server', 'dashboard', 'workloads']) expect(allResources(lab.stacks[name])).toEqual([]);
    expect(lab.stacks.vms).toEqual(full.stacks.vms);
    expect(lab.stacks.k3s).toEqual(full.stacks.k3s);
  });

  test('dashboard kind kubernetes-dashboard: the legacy chart over https instead of Headlamp', () => {
    const lab = synthLab({ components: { dashboard: { kind: 'kubernetes-dashboard' } } });
    const releases = Object.values<any>(resourcesOf(lab.stacks.dashboard, 'helm_release'));
    expect(releases.map((r) => r.chart)).toEqual(['kubernetes-dashboard']);
    expect(lab.stacks.dashboard.output.url.value).toBe('https://dashboard.192.168.56.10.sslip.io/');
  });

  test('a fourth node adds one VM and one K3s agent', () => {
    const lab = synthLab({
      nodes: [
        { name: 'cp1', role: 'server', ip: '192.168.56.10' },
        { name: 'w1', role: 'agent', ip: '192.168.56.11' },
        { name: 'w2', role: 'agent', ip: '192.168.56.12' },
        { name: 'w3', role: 'agent', ip: '192.168.56.13', cpus: 1, memoryMb: 1024 },
      ],
    });
    expect(Object.keys(resourcesOf(lab.stacks.vms, 'null_resource'))).toContain('vm-w3');
    expect(resourcesOf(lab.stacks.vms, 'null_resource')['vm-w3'].triggers).toMatchObject({ cpus: '1', memory_mb: '1024', ip: '192.168.56.13' });
    expect(Object.keys(resourcesOf(lab.stacks.k3s, 'null_resource'))).toEqual(expect.arrayContaining(['agent-w3_install', 'agent-w3_version']));
  });
});

import { DEPLOY_STACKS, cdktfSteps } from '../../cli/deploy/cdktf-run';
import { STACK_NAMES } from '../../lab';

describe('npm run up / down / diff', () => {
  test('the phases cover every stack of the app, in deploy order', () => {
    expect(DEPLOY_STACKS).toEqual([...STACK_NAMES]);
  });

  test('up deploys phase by phase, down destroys in reverse; stacks are arguments of their own, never quoted patterns', () => {
    const up = cdktfSteps('up', []);
    expect(up).toEqual([
      { phase: 'VMs', args: ['deploy', 'vms', '--auto-approve'] },
      { phase: 'K3s', args: ['deploy', 'k3s', '--auto-approve', '--skip-synth', '--ignore-missing-stack-dependencies'] },
      { phase: 'charts', args: ['deploy', 'ingress', 'metrics-server', 'dashboard', 'workloads', '--auto-approve', '--skip-synth', '--ignore-missing-stack-dependencies'] },
    ]);
    const down = cdktfSteps('down', []) as { phase: string; args: string[] }[];
    expect(down.map((s) => s.phase)).toEqual(['charts', 'K3s', 'VMs']);
    expect(down[0].args.slice(0, 5)).toEqual(['destroy', 'ingress', 'metrics-server', 'dashboard', 'workloads']);
    expect(cdktfSteps('diff', ['k3s'])).toEqual([{ args: ['diff', 'k3s'] }]);
    expect(cdktfSteps('diff', [])).toMatch(/^npm run diff needs one stack: npm run diff -- <stack>, where <stack> is one of vms, k3s, ingress/);
    expect(cdktfSteps('diff', ['k8s'])).toMatch(/\(not 'k8s'\)$/);
  });
});

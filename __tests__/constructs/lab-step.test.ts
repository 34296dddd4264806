import { LabStep } from '../../constructs/lab-step';
import { decodeStepSpec } from '../../config/step-spec';
import { kubelabArgs, synthSteps } from './terraform-steps';

/**
 * LabStep as Terraform sees it: a null_resource whose triggers decide when it re-runs, whose
 * depends_on decides the order, and whose provisioners run one kubelab line at create and destroy.
 */
describe('LabStep', () => {
  test('create runs with the spec it planned: the spec is a trigger, and the line reads it from there', () => {
    const spec = { name: 'lab', nodes: [{ name: 'cp1', role: 'server' as const, ip: '192.168.56.10' }] };
    const steps = synthSteps((stack) => new LabStep(stack, 'vm-cp1', { triggers: { node: 'cp1' }, create: ['vm', 'create', 'cp1'], spec }));
    const step = steps['vm-cp1'];
    expect(Object.keys(step.triggers).sort()).toEqual(['node', 'spec']);
    expect(step.provisioner).toHaveLength(1);
    const args = kubelabArgs(step, 'create')!;
    expect(args.slice(1)).toEqual(['vm', 'create', 'cp1']);
    expect(args[0].startsWith('--spec=')).toBe(true);
    expect(decodeStepSpec(args[0].slice('--spec='.length))).toEqual(spec);
    // The line holds the trigger's reference, not a copy of the value: what runs is what was planned.
    expect(step.provisioner![0]['local-exec'].command).not.toContain(step.triggers.spec);
    expect(kubelabArgs(step, 'destroy')).toBeUndefined();
  });

  test('without a spec, create runs the arguments alone and no spec trigger is added', () => {
    const step = synthSteps((stack) => new LabStep(stack, 'check', { triggers: { lab: 'lab' }, create: ['doctor', '--preflight'] })).check;
    expect(step.triggers).toEqual({ lab: 'lab' });
    expect(kubelabArgs(step, 'create')).toEqual(['doctor', '--preflight']);
  });

  test('create and destroy built from the triggers run with the planned values', () => {
    const step = synthSteps(
      (stack) =>
        new LabStep(stack, 'network', {
          triggers: { lab: 'lab', cidr: '192.168.56.0/24' },
          create: (self) => ['network', 'up', '--lab', self.lab, '--cidr', self.cidr],
          destroy: (self) => ['network', 'down', '--lab', self.lab],
        }),
    ).network;
    expect(kubelabArgs(step, 'create')).toEqual(['network', 'up', '--lab', 'lab', '--cidr', '192.168.56.0/24']);
    expect(kubelabArgs(step, 'destroy')).toEqual(['network', 'down', '--lab', 'lab']);
    expect(step.provisioner!.map((p) => p['local-exec'].when)).toEqual([undefined, 'destroy']);
  });

  test('a step with only a destroy runs nothing at create', () => {
    const step = synthSteps((stack) => new LabStep(stack, 'install', { triggers: { node: 'w1' }, destroy: (self) => ['k3s', 'uninstall', self.node] })).install;
    expect(kubelabArgs(step, 'create')).toBeUndefined();
    expect(kubelabArgs(step, 'destroy')).toEqual(['k3s', 'uninstall', 'w1']);
  });

  test('a command that reads a trigger the step does not have is refused at synth, naming the step, the name and what it has', () => {
    expect(() =>
      synthSteps((stack) => new LabStep(stack, 'vm-w1', { triggers: { node: 'w1', lab: 'lab' }, destroy: (self) => ['vm', 'destroy', self.nodes] })),
    ).toThrow("stack/vm-w1: the step's command reads trigger 'nodes', which the step does not have (it has: node, lab)");
    expect(() => synthSteps((stack) => new LabStep(stack, 'up', { triggers: { lab: 'lab' }, create: (self) => ['network', 'up', self.cidr] }))).toThrow(
      "reads trigger 'cidr'",
    );
  });

  test('depends_on names the steps given, by their readable addresses; none given, none written', () => {
    const steps = synthSteps((stack) => {
      const first = new LabStep(stack, 'preflight', { triggers: { lab: 'lab' } });
      const nested = new LabStep(stack, 'server-cp1', { triggers: { lab: 'lab' } });
      const inner = new LabStep(nested, 'install', { triggers: { lab: 'lab' } });
      new LabStep(stack, 'vm-cp1', { triggers: { lab: 'lab' }, dependsOn: [first, inner] });
    });
    expect(Object.keys(steps).sort()).toEqual(['preflight', 'server-cp1', 'server-cp1_install', 'vm-cp1']);
    expect(steps['vm-cp1'].depends_on).toEqual(['null_resource.preflight', 'null_resource.server-cp1_install']);
    expect('depends_on' in steps.preflight).toBe(false);
  });
});

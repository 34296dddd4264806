import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { Resource } from '@cdktf/provider-null/lib/resource';
import { StepSpec, encodeStepSpec } from '../config/step-spec';
import { kubelabCommandLine } from './kubelab-command';

/** Trigger values by name, as a destroy step may read them: `${self.triggers.<name>}`. */
export type SelfTriggers = Readonly<Record<string, string>>;

export interface LabStepProps {
  /**
   * Values whose change re-runs the step (destroy, then create), and everything
   * the destroy step needs: destroy-time provisioners may reference only `self`.
   */
  readonly triggers: Readonly<Record<string, string>>;
  /**
   * `kubelab` arguments run when the step is created, e.g. ['vm', 'create', 'cp1'], or built
   * from the step's own triggers, like `destroy`, when the verb takes its inputs as arguments.
   * @default nothing runs at create: the step only marks a lifecycle (its destroy step, and
   *   the id other steps' triggers read to re-run when it is replaced)
   */
  readonly create?: readonly string[] | ((self: SelfTriggers) => readonly string[]);
  /**
   * `kubelab` arguments run when the step is destroyed, built from the step's own
   * triggers only (reading an unknown trigger is an error at synth).
   * @default no destroy step
   */
  readonly destroy?: (self: SelfTriggers) => readonly string[];
  /**
   * The part of the lab config the create command needs. It becomes the `spec` trigger and
   * reaches the command as `--spec=${self.triggers.spec}`, so what runs is what was planned.
   * @default none: the create command reads the lab config (or needs none)
   */
  readonly spec?: StepSpec;
  /** Steps or resources that must exist first. @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * One imperative step of the lab (a VM, a K3s install, …): a null_resource whose
 * local-exec provisioners run one `kubelab` command line each. Terraform owns the
 * order, the diff and the lifecycle; the CLI owns the work.
 */
export class LabStep extends Construct implements ITerraformDependable {
  readonly resource: Resource;

  constructor(scope: Construct, id: string, props: LabStepProps) {
    super(scope, id);
    const triggerNames = new Set(Object.keys(props.triggers));
    const self = new Proxy({} as SelfTriggers, {
      get: (_target, name: string) => {
        if (!triggerNames.has(name)) {
          throw new Error(`${this.node.path}: the step's command reads trigger '${name}', which the step does not have (it has: ${[...triggerNames].join(', ')})`);
        }
        return `\${self.triggers.${name}}`;
      },
    });
    const specArgs = props.spec ? ['--spec=${self.triggers.spec}'] : [];
    const create = typeof props.create === 'function' ? props.create(self) : props.create;
    this.resource = new Resource(this, 'step', {
      triggers: { ...props.triggers, ...(props.spec ? { spec: encodeStepSpec(props.spec) } : {}) },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      provisioners: [
        ...(create ? [{ type: 'local-exec' as const, command: kubelabCommandLine([...specArgs, ...create]) }] : []),
        ...(props.destroy ? [{ type: 'local-exec' as const, when: 'destroy' as const, command: kubelabCommandLine(props.destroy(self)) }] : []),
      ],
    });
    // Readable, stable addresses in `cdktf diff`: null_resource.vm-cp1, not vm-cp1_step_46717AEA.
    this.resource.overrideLogicalId(this.node.path.split('/').slice(1).join('_'));
  }

  get fqn(): string {
    return this.resource.fqn;
  }
}

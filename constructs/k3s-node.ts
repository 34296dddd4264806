import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig } from '../config/lab-config';
import { LabStep } from './lab-step';
import { LabVm } from './lab-vm';

export interface K3sNodeProps {
  readonly config: LabConfig;
  /** The VM K3s runs on. */
  readonly vm: LabVm;
}

/**
 * K3s on one VM, as two steps so that a version bump upgrades in place instead of
 * uninstalling: `install` (re-run only when the VM is new; its destroy uninstalls
 * K3s) and `version` (re-run when the K3s version or installer changes; the same
 * idempotent `kubelab k3s <role>` verb, which upgrades or says it has nothing to do).
 */
export abstract class K3sNode extends Construct {
  readonly vm: LabVm;
  readonly install: LabStep;
  /** Depend on this to have the node at the configured K3s version. */
  readonly version: LabStep;

  protected constructor(
    scope: Construct,
    id: string,
    props: K3sNodeProps & {
      readonly role: 'server' | 'agent';
      readonly installAfter: readonly ITerraformDependable[];
      readonly upgradeAfter: readonly ITerraformDependable[];
      readonly extraTriggers?: Readonly<Record<string, string>>;
    },
  ) {
    super(scope, id);
    const { config, vm, role } = props;
    this.vm = vm;
    const verb = ['k3s', role, vm.labNode.name];
    this.install = new LabStep(this, 'install', {
      triggers: { lab: config.name, node: vm.labNode.name, role, ...vm.identity, ...props.extraTriggers },
      create: verb,
      destroy: (self) => ['k3s', 'uninstall', self.node, '--ip', self.ip, '--role', self.role, '--lab', self.lab],
      dependsOn: props.installAfter,
    });
    this.version = new LabStep(this, 'version', {
      triggers: { k3s_version: config.k3s.version, installer: config.k3s.installer.source },
      create: verb,
      dependsOn: [this.install, ...props.upgradeAfter],
    });
  }
}

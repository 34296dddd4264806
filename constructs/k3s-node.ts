import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig } from '../config/lab-config';
import { k3sStepPlan } from '../config/k3s-plan';
import { nodesFor } from '../config/step-spec';
import { LabStep } from './lab-step';
import { LabVm } from './lab-vm';

export interface K3sNodeProps {
  readonly config: LabConfig;
  /** The VM K3s runs on. */
  readonly vm: LabVm;
}

/**
 * K3s on one VM, as two steps so that a version bump upgrades in place instead of
 * uninstalling: `install` (replaced only when the VM, or the cluster the node belongs to,
 * is new; runs nothing at create, and its destroy uninstalls K3s) and `version` (runs the
 * idempotent `kubelab k3s <role>` verb, which installs or upgrades; replaced when the
 * install step is, or when the K3s version, installer or flags change). So the first
 * apply runs each node's K3s step once.
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
    const node = vm.labNode;
    this.install = new LabStep(this, 'install', {
      triggers: { lab: config.name, node: node.name, role, ...vm.identity, ...props.extraTriggers },
      destroy: (self) => [
        'k3s', 'uninstall', self.node, '--ip', self.ip, '--role', self.role, '--lab', self.lab,
        ...(role === 'agent' ? ['--server', self.server, '--server-ip', self.server_ip, '--server-vm', self.server_vm] : []),
      ],
      dependsOn: props.installAfter,
    });
    const plan = k3sStepPlan(config, node, config.k3s.installer.source === 'online' ? 'online' : 'upload');
    this.version = new LabStep(this, 'version', {
      triggers: {
        install: this.install.resource.id,
        k3s_version: config.k3s.version,
        installer: config.k3s.installer.source,
        // Flags and installer variables (no secrets): a change at the same version is applied too.
        flags: plan.installArgs.join(' '),
        env: Object.entries(plan.installerEnv).map(([k, v]) => `${k}=${v}`).join(' '),
      },
      create: ['k3s', role, node.name],
      spec: { name: config.name, network: config.network, k3s: config.k3s, nodes: nodesFor(config, node) },
      dependsOn: [this.install, ...props.upgradeAfter],
    });
  }
}

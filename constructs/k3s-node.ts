import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig } from '../config/lab-config';
import { k3sStepPlan } from '../config/k3s-plan';
import { labRegistries } from '../config/registries';
import { networkInput, nodesFor, proxyInput } from '../config/step-spec';
import { LabStep } from './lab-step';
import { NodeMachine } from './node-machine';

export interface K3sNodeProps {
  readonly config: LabConfig;
  /** The machine K3s runs on: a VM of the vms stack, or an existing machine. */
  readonly machine: NodeMachine;
}

/** The server a node's uninstall goes through (drain, etcd member removal; the first server names itself), as trigger values. */
export interface ThroughServer {
  readonly triggers: Readonly<Record<string, string>>;
  /** `kubelab k3s uninstall` options naming that server, read from the step's own triggers. */
  readonly options: (self: Readonly<Record<string, string>>) => readonly string[];
}

/**
 * K3s on one machine, as two steps so that a version bump upgrades in place instead of
 * uninstalling: `install` (replaced only when the machine, or the cluster the node belongs
 * to, is new; runs nothing at create, and its destroy uninstalls K3s) and `version` (runs the
 * idempotent `kubelab k3s <role>` verb, which installs or upgrades; replaced when the
 * install step is, or when the K3s version, installer, flags or registries change). So the
 * first apply runs each node's K3s step once.
 */
export abstract class K3sNode extends Construct {
  readonly machine: NodeMachine;
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
      /** The server this node's uninstall drains it through (and removes its etcd member through); the first server names itself. */
      readonly through: ThroughServer;
      readonly extraTriggers?: Readonly<Record<string, string>>;
    },
  ) {
    super(scope, id);
    const { config, machine, role } = props;
    this.machine = machine;
    const node = machine.labNode;
    this.install = new LabStep(this, 'install', {
      triggers: { lab: config.name, node: node.name, role, ...machine.identity, ...props.through.triggers, ...props.extraTriggers },
      destroy: (self) => [
        'k3s', 'uninstall', self.node, '--ip', self.ip, '--role', self.role, '--lab', self.lab,
        ...(node.host ? ['--ssh', self.ssh] : []),
        ...props.through.options(self),
      ],
      dependsOn: props.installAfter,
    });
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: only installArgs and installerEnv are read here, and the source decides neither (config/k3s-plan.ts); it only says how the node script gets the installer.
    const plan = k3sStepPlan(config, node, config.k3s.installer.source === 'online' ? 'online' : 'upload');
    const registries = labRegistries(config);
    this.version = new LabStep(this, 'version', {
      triggers: {
        install: this.install.resource.id,
        k3s_version: config.k3s.version,
        installer: config.k3s.installer.source,
        // Flags and installer variables (no secrets): a change at the same version is applied too.
        flags: plan.installArgs.join(' '),
        env: Object.entries(plan.installerEnv).map(([k, v]) => `${k}=${v}`).join(' '),
        // Mirrors (the user's and the embedded mirror's) and the names of credential files only; the credentials stay in .kubelab/.
        ...(registries ? { registries: JSON.stringify(registries) } : {}),
      },
      create: ['k3s', role, node.name],
      // Everything `kubelab k3s <role>` reads: the proxy reaches install.sh, K3s and containerd (the env trigger shows it).
      spec: {
        name: config.name,
        ...networkInput(config),
        k3s: config.k3s,
        nodes: nodesFor(config, node),
        ...(config.registries ? { registries: config.registries } : {}),
        ...proxyInput(config),
      },
      dependsOn: [this.install, ...props.upgradeAfter],
    });
  }
}

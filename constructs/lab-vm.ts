import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig, LabNode, vmName } from '../config/lab-config';
import { HostOnlyNetwork } from './host-only-network';
import { proxyInput, vmNodesFor } from '../config/step-spec';
import { LabStep } from './lab-step';
import { UbuntuBaseImage } from './ubuntu-base-image';

export interface LabVmProps {
  readonly config: LabConfig;
  /** The node this VM runs. */
  readonly node: LabNode;
  /** NIC2 attaches here. */
  readonly network: HostOnlyNetwork;
  /** The VM is a linked clone of this image's base VM. */
  readonly image: UbuntuBaseImage;
  /** Further steps that must run first (removing nodes that left the lab). @default none */
  readonly after?: readonly ITerraformDependable[];
}

/**
 * One node's VM: NIC1 NAT, NIC2 on the host-only network with the node's static
 * IP, cloud-init seed, SSH reachable when created. Any change to its spec
 * re-creates it.
 */
export class LabVm extends LabStep {
  readonly labNode: LabNode;
  readonly vmName: string;
  /** The trigger values that identify this VM; steps that run on it carry them so a re-created VM re-runs them. */
  readonly identity: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: LabVmProps) {
    const { config, node, network, image } = props;
    const identity = {
      vm_name: vmName(config, node),
      ip: node.ip,
      cpus: String(node.cpus),
      memory_mb: String(node.memoryMb),
      disk_gb: String(node.diskGb),
      image: image.release,
      network: network.cidr,
    };
    super(scope, id, {
      triggers: { lab: config.name, node: node.name, ...identity },
      create: ['vm', 'create', node.name],
      // Everything `vm create` reads: the seed holds the node's address and the lab's proxy (apt, logins).
      spec: { name: config.name, network: config.network, image: config.image, nodes: vmNodesFor(config, node), ...proxyInput(config) },
      destroy: (self) => ['vm', 'destroy', self.node, '--lab', self.lab],
      dependsOn: [network, image, ...(props.after ?? [])],
    });
    this.labNode = node;
    this.vmName = identity.vm_name;
    this.identity = identity;
  }
}

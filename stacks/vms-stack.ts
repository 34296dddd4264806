import { Construct } from 'constructs';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { LabConfig, vmNodes } from '../config/lab-config';
import { HostOnlyNetwork } from '../constructs/host-only-network';
import { HostPreflight } from '../constructs/host-preflight';
import { LabVm } from '../constructs/lab-vm';
import { NodePrune } from '../constructs/node-prune';
import { UbuntuBaseImage } from '../constructs/ubuntu-base-image';
import { LabStack } from './lab-stack';

export interface VmsStackProps {
  readonly config: LabConfig;
}

/**
 * `vms`: host checks, the host-only network, the Ubuntu base image and one VM per node.
 * Existing machines (host: in the config) get no VM: a lab made only of them has just the
 * checks and the prune step here, and needs no VirtualBox.
 */
export class VmsStack extends LabStack {
  /** Undefined in a lab of existing machines only. */
  readonly network?: HostOnlyNetwork;
  /** The node VMs, by node name. */
  readonly vms: ReadonlyMap<string, LabVm>;

  constructor(scope: Construct, id: string, props: VmsStackProps) {
    super(scope, id);
    const { config } = props;
    new NullProvider(this, 'null');
    const preflight = new HostPreflight(this, 'preflight', { config });
    // Removed nodes go before new ones come: their memory and addresses are free again. (Existing
    // machines that left the config are pruned too: K3s comes off them.)
    const prune = new NodePrune(this, 'prune', { config, dependsOn: [preflight] });
    const nodes = vmNodes(config);
    if (nodes.length === 0) {
      this.vms = new Map();
      return;
    }
    const network = new HostOnlyNetwork(this, 'network', { config, dependsOn: [preflight] });
    const image = new UbuntuBaseImage(this, 'image', { config, dependsOn: [preflight] });
    this.network = network;
    this.vms = new Map(nodes.map((node) => [node.name, new LabVm(this, `vm-${node.name}`, { config, node, network, image, after: [prune] })]));
  }
}

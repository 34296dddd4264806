import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig } from '../config/lab-config';
import { LabStep } from './lab-step';

export interface HostOnlyNetworkProps {
  readonly config: LabConfig;
  /** What must run first (the preflight checks). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The VirtualBox host-only network the nodes talk on (NIC2, enp0s8). Destroy
 * removes the interface only if the lab created it.
 */
export class HostOnlyNetwork extends LabStep {
  readonly cidr: string;
  readonly hostIp: string;

  constructor(scope: Construct, id: string, props: HostOnlyNetworkProps) {
    const { name, network } = props.config;
    super(scope, id, {
      triggers: { lab: name, cidr: network.cidr, host_ip: network.hostIp },
      // The verb takes the network from its arguments (the planned triggers), not from the config.
      create: (self) => ['network', 'up', '--lab', self.lab, '--cidr', self.cidr, '--host-ip', self.host_ip],
      destroy: (self) => ['network', 'down', '--lab', self.lab],
      dependsOn: props.dependsOn,
    });
    this.cidr = network.cidr;
    this.hostIp = network.hostIp;
  }
}

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
      create: ['network', 'up'],
      destroy: (self) => ['network', 'down', '--lab', self.lab],
      dependsOn: props.dependsOn,
    });
    this.cidr = network.cidr;
    this.hostIp = network.hostIp;
  }
}

import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { networkInput, nodeInput } from '../config/step-spec';
import { LabStep } from './lab-step';

export interface HostPreflightProps {
  /** The lab; a change of its name, network or nodes (addresses, CPUs, memory) re-runs the checks. */
  readonly config: LabConfig;
}

/**
 * `kubelab doctor --preflight` before anything is created: stops the deploy on a
 * failed check (VirtualBox missing, too little RAM, an address already taken, …).
 */
export class HostPreflight extends LabStep {
  constructor(scope: Construct, id: string, props: HostPreflightProps) {
    const { config } = props;
    const nodes = config.nodes.map((n) => `${n.name} ${n.ip} ${n.cpus} CPU ${n.memoryMb} MB`).join(', ');
    super(scope, id, {
      triggers: { lab: config.name, nodes },
      create: ['doctor', '--preflight'],
      spec: { name: config.name, ...networkInput(config), nodes: config.nodes.map(nodeInput) },
    });
  }
}

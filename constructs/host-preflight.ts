import { Construct } from 'constructs';
import { LabNode } from '../config/lab-config';
import { LabStep } from './lab-step';

export interface HostPreflightProps {
  /** The lab's name; a rename re-runs the checks. */
  readonly labName: string;
  /** The nodes, as the checks see them (name, IP, CPUs, memory); a change re-runs the checks (memory, free addresses). */
  readonly nodes: readonly LabNode[];
}

/**
 * `kubelab doctor --preflight` before anything is created: stops the deploy on a
 * failed check (VirtualBox missing, too little RAM, an address already taken, …).
 */
export class HostPreflight extends LabStep {
  constructor(scope: Construct, id: string, props: HostPreflightProps) {
    const nodes = props.nodes.map((n) => `${n.name} ${n.ip} ${n.cpus} CPU ${n.memoryMb} MB`).join(', ');
    super(scope, id, { triggers: { lab: props.labName, nodes }, create: ['doctor', '--preflight'] });
  }
}

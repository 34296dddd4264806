import { Construct } from 'constructs';
import { LabStep } from './lab-step';

export interface HostPreflightProps {
  /** The lab's name; a rename re-runs the checks. */
  readonly labName: string;
}

/**
 * `kubelab doctor --preflight` before anything is created: stops the deploy on a
 * failed check (VirtualBox missing, too little RAM, an address already taken, …).
 */
export class HostPreflight extends LabStep {
  constructor(scope: Construct, id: string, props: HostPreflightProps) {
    super(scope, id, { triggers: { lab: props.labName }, create: ['doctor', '--preflight'] });
  }
}

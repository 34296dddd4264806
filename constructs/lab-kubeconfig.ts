import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { K3sServer } from './k3s-server';
import { networkInput, nodesFor } from '../config/step-spec';
import { LabStep } from './lab-step';

export interface LabKubeconfigProps {
  readonly config: LabConfig;
  readonly server: K3sServer;
}

/**
 * The lab's kubeconfig: read from the server, pointed at its host-only IP, renamed
 * from `default` to the lab's name, written 0600 to the lab state dir, where the
 * cluster stacks' providers read it. Destroy deletes it and unmerges the lab's
 * entries from the user's kubeconfig if they were merged.
 */
export class LabKubeconfig extends LabStep {
  constructor(scope: Construct, id: string, props: LabKubeconfigProps) {
    super(scope, id, {
      // Replaced with the server's K3s install (a new cluster has new credentials); the create merges it back where the user had merged it.
      triggers: { lab: props.config.name, server_url: props.server.url, server_install: props.server.install.resource.id, ...props.server.machine.identity },
      create: ['k3s', 'kubeconfig'],
      spec: { name: props.config.name, ...networkInput(props.config), nodes: nodesFor(props.config, props.server.machine.labNode) },
      destroy: (self) => ['k3s', 'kubeconfig', '--remove', '--lab', self.lab],
      dependsOn: [props.server.version],
    });
  }
}

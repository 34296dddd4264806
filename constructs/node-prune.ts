import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig, serverNode, vmName } from '../config/lab-config';
import { LabStep } from './lab-step';
import { sshWord } from './node-machine';

export interface NodePruneProps {
  readonly config: LabConfig;
  /** What must run first (the preflight checks). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Removes nodes that left the config: `kubelab prune` drains each from the cluster,
 * uninstalls K3s and destroys its VM (an existing machine keeps everything but K3s).
 * Re-run whenever the node list changes. A node's own
 * steps cannot do it: Terraform drops destroy-time provisioners together with a resource
 * block removed from the configuration. (Terraform 1.7's `removed` blocks could keep them,
 * but need a block per removed node and a higher Terraform minimum; see README.)
 */
export class NodePrune extends LabStep {
  constructor(scope: Construct, id: string, props: NodePruneProps) {
    const { config } = props;
    const server = serverNode(config);
    const keep = config.nodes.map((n) => n.name).join('+');
    // The server is reached as the VM it is, or logged in to as host: says.
    const [reachTrigger, reachValue] = server.host ? ['server_ssh', sshWord(server.host)] : ['server_vm', vmName(config, server)];
    super(scope, id, {
      triggers: { lab: config.name, nodes: keep, server: server.name, server_ip: server.ip, [reachTrigger]: reachValue },
      create: ['prune', '--lab', config.name, '--keep', keep, '--server', server.name, '--server-ip', server.ip, `--${reachTrigger.replace('_', '-')}`, reachValue],
      dependsOn: props.dependsOn,
    });
  }
}

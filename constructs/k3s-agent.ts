import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { K3sNode, K3sNodeProps } from './k3s-node';
import { K3sServer } from './k3s-server';

export interface K3sAgentProps extends K3sNodeProps {
  /** The server this agent joins. */
  readonly server: K3sServer;
  /**
   * The agent upgraded just before this one: upgrades go one node at a time.
   * Installs still run in parallel.
   * @default none (the first agent)
   */
  readonly upgradeAfter?: K3sAgent;
  /**
   * What must exist before the agent joins and be removed only after it left: the lab
   * kubeconfig step, so that a full destroy drains the agents before the kubeconfig goes.
   * @default none
   */
  readonly joinAfter?: readonly ITerraformDependable[];
}

/** A K3s agent (worker) joined to the lab's server. */
export class K3sAgent extends K3sNode {
  readonly server: K3sServer;

  constructor(scope: Construct, id: string, props: K3sAgentProps) {
    super(scope, id, {
      ...props,
      role: 'agent',
      extraTriggers: {
        // A re-created server (new VM or new K3s install) is a new cluster: the agent leaves and joins again.
        server_install: props.server.install.resource.id,
        server: props.server.vm.labNode.name,
        server_url: props.server.url,
        server_ip: props.server.vm.labNode.ip,
        server_vm: props.server.vm.vmName,
      },
      installAfter: [props.server.version, ...(props.joinAfter ?? [])],
      upgradeAfter: [props.server.version, ...(props.upgradeAfter ? [props.upgradeAfter.version] : [])],
    });
    this.server = props.server;
  }
}

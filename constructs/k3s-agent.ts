import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { K3sNode, K3sNodeProps } from './k3s-node';
import { K3sServer } from './k3s-server';

export interface K3sAgentProps extends K3sNodeProps {
  /** The server this agent registers through (the lab's first server), which drains it when it goes. */
  readonly server: K3sServer;
  /**
   * What must be upgraded before this agent: the last server, so servers change first. Agents
   * do not wait for each other here: kubelab's lab-wide lock changes a running K3s one node at
   * a time (cli/k3s/node-change-lock.ts), while first installs run in parallel.
   */
  readonly upgradeAfter: readonly ITerraformDependable[];
  /**
   * What must exist before the agent joins and be removed only after it left: every server
   * and the lab kubeconfig step, so that a full destroy drains the agents first.
   * @default none
   */
  readonly joinAfter?: readonly ITerraformDependable[];
}

/** A K3s agent (worker) joined to the lab's cluster through its first server. */
export class K3sAgent extends K3sNode {
  readonly server: K3sServer;

  constructor(scope: Construct, id: string, props: K3sAgentProps) {
    super(scope, id, {
      ...props,
      role: 'agent',
      through: props.server.asThroughServer(),
      installAfter: [props.server.version, ...(props.joinAfter ?? [])],
      upgradeAfter: [...new Set([props.server.version, ...props.upgradeAfter])],
    });
    this.server = props.server;
  }
}

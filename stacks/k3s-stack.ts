import { Construct } from 'constructs';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { LabConfig, agentNodes, serverNodes } from '../config/lab-config';
import { K3sAgent } from '../constructs/k3s-agent';
import { K3sServer } from '../constructs/k3s-server';
import { LabKubeconfig } from '../constructs/lab-kubeconfig';
import { NodeMachine, existingMachine } from '../constructs/node-machine';
import { LabStack } from './lab-stack';

export interface K3sStackProps {
  readonly config: LabConfig;
  /** The node VMs from the vms stack, by node name (existing machines have none). */
  readonly vms: ReadonlyMap<string, NodeMachine>;
}

/**
 * `k3s`: the servers (the first starts the cluster, the others join it one at a time), the
 * agents registered through the first server (all at once on a first install), and the lab
 * kubeconfig the cluster stacks use.
 */
export class K3sStack extends LabStack {
  /** The first server: agents and the kubeconfig reach the cluster through it. */
  readonly server: K3sServer;
  readonly servers: readonly K3sServer[];
  readonly agents: readonly K3sAgent[];

  constructor(scope: Construct, id: string, props: K3sStackProps) {
    super(scope, id);
    const { config, vms } = props;
    new NullProvider(this, 'null');
    const machineOf = (name: string): NodeMachine => {
      const node = config.nodes.find((n) => n.name === name)!;
      return node.host ? existingMachine(node) : vms.get(name)!;
    };
    const servers: K3sServer[] = [];
    for (const node of serverNodes(config)) {
      servers.push(new K3sServer(this, `server-${node.name}`, { config, machine: machineOf(node.name), joins: servers[0], after: servers[servers.length - 1] }));
    }
    const first = servers[0];
    const last = servers[servers.length - 1];
    const kubeconfig = new LabKubeconfig(this, 'kubeconfig', { config, server: first });
    const agents: K3sAgent[] = [];
    for (const node of agentNodes(config)) {
      agents.push(
        new K3sAgent(this, `agent-${node.name}`, {
          config,
          machine: machineOf(node.name),
          server: first,
          // No agent waits for another in Terraform: a first install joins them all at once, and a
          // change of a running K3s goes one node at a time through kubelab's lab-wide lock
          // (cli/k3s/node-change-lock.ts), which Terraform's order could not do without also
          // serializing the first joins.
          upgradeAfter: [last.version],
          joinAfter: [...servers.slice(1).map((s) => s.version), kubeconfig],
        }),
      );
    }
    this.server = first;
    this.servers = servers;
    this.agents = agents;
  }
}

import { Construct } from 'constructs';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { LabConfig, agentNodes, serverNode } from '../config/lab-config';
import { K3sAgent } from '../constructs/k3s-agent';
import { K3sServer } from '../constructs/k3s-server';
import { LabKubeconfig } from '../constructs/lab-kubeconfig';
import { LabVm } from '../constructs/lab-vm';
import { LabStack } from './lab-stack';

export interface K3sStackProps {
  readonly config: LabConfig;
  /** The node VMs from the vms stack, by node name. */
  readonly vms: ReadonlyMap<string, LabVm>;
}

/** `k3s`: the server, the agents joined to it, and the lab kubeconfig the cluster stacks use. */
export class K3sStack extends LabStack {
  readonly server: K3sServer;
  readonly agents: readonly K3sAgent[];

  constructor(scope: Construct, id: string, props: K3sStackProps) {
    super(scope, id);
    const { config, vms } = props;
    new NullProvider(this, 'null');
    const vmOf = (name: string) => vms.get(name)!;
    const server = new K3sServer(this, `server-${serverNode(config).name}`, { config, vm: vmOf(serverNode(config).name) });
    const kubeconfig = new LabKubeconfig(this, 'kubeconfig', { config, server });
    const agents: K3sAgent[] = [];
    for (const node of agentNodes(config)) {
      agents.push(new K3sAgent(this, `agent-${node.name}`, { config, vm: vmOf(node.name), server, upgradeAfter: agents[agents.length - 1], joinAfter: [kubeconfig] }));
    }
    this.server = server;
    this.agents = agents;
  }
}

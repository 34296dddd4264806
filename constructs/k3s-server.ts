import { Construct } from 'constructs';
import { k3sServerUrl } from '../config/k3s-plan';
import { LabNode } from '../config/lab-config';
import { K3sNode, K3sNodeProps, ThroughServer } from './k3s-node';

export interface K3sServerProps extends K3sNodeProps {
  /**
   * The server this one joins (the lab's first server) and follows: its install runs after
   * that server's previous one, and its upgrade too, so servers change one at a time.
   * @default none: this is the first server, which starts the cluster
   */
  readonly joins?: K3sServer;
  /** The server installed and upgraded just before this one. @default `joins` */
  readonly after?: K3sServer;
}

/**
 * A K3s server (control plane). Started with its own address as node IP, advertise address
 * and TLS SAN, flannel on enp0s8 (VMs), and without the bundled Traefik and metrics-server,
 * which the ingress and metrics-server stacks own. With several servers the first starts
 * embedded etcd and the others join it (config/cluster-join.ts); a joining server's
 * uninstall first removes its etcd member through the first server.
 */
export class K3sServer extends K3sNode {
  constructor(scope: Construct, id: string, props: K3sServerProps) {
    const previous = props.after ?? props.joins;
    super(scope, id, {
      ...props,
      role: 'server',
      // etcd adds one member at a time, so joins run one after another.
      installAfter: previous ? [previous.version] : [],
      upgradeAfter: previous ? [previous.version] : [],
      through: props.joins?.asThroughServer() ?? leavesWithTheCluster(props.machine.labNode),
    });
  }

  /** The API server URL agents join and the kubeconfig points at. */
  get url(): string {
    return k3sServerUrl(this.machine.labNode.ip);
  }

  /** This server as the one another node's uninstall goes through. */
  asThroughServer(): ThroughServer {
    const node = this.machine.labNode;
    const reach: Record<string, string> = node.host ? { server_ssh: this.machine.identity.ssh } : { server_vm: this.machine.vmName! };
    return {
      // A re-created server (new machine or new K3s install) is a new cluster: its nodes leave and join again.
      triggers: { server_install: this.install.resource.id, server: node.name, server_url: this.url, server_ip: node.ip, ...reach },
      options: (self) => ['--server', self.server, '--server-ip', self.server_ip, ...(node.host ? ['--server-ssh', self.server_ssh] : ['--server-vm', self.server_vm])],
    };
  }
}

/**
 * The first server as the server it leaves through: itself, named from its own triggers. Its
 * uninstall (which runs last, after every other node left through it) then drains nothing,
 * whatever server kubelab.config.yaml names by then.
 */
function leavesWithTheCluster(node: LabNode): ThroughServer {
  return {
    triggers: {},
    options: (self) => ['--server', self.node, '--server-ip', self.ip, ...(node.host ? ['--server-ssh', self.ssh] : ['--server-vm', self.vm_name])],
  };
}

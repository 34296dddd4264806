import { Construct } from 'constructs';
import { k3sServerUrl } from '../config/k3s-plan';
import { K3sNode, K3sNodeProps } from './k3s-node';

/**
 * The K3s server (control plane). Started with the host-only IP as node IP,
 * advertise address and TLS SAN, flannel on enp0s8, and without the bundled
 * Traefik and metrics-server, which the ingress and metrics-server stacks own.
 */
export class K3sServer extends K3sNode {
  constructor(scope: Construct, id: string, props: K3sNodeProps) {
    super(scope, id, { ...props, role: 'server', installAfter: [], upgradeAfter: [] });
  }

  /** The API server URL agents join and the kubeconfig points at. */
  get url(): string {
    return k3sServerUrl(this.vm.labNode.ip);
  }
}

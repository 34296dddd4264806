import { k3sServerUrl } from './k3s-plan';
import { LabConfig, LabNode, isHighlyAvailable, serverNode, serverNodes } from './lab-config';

/**
 * The fixed registration address: the first server. Agents, joining servers and the lab
 * kubeconfig reach the cluster through it. k3s-io/docs docs/datastore/ha.md (at 0c96e6d7)
 * allows "the IP or hostname of any server node" or a fixed address in front of them; a
 * virtual IP would need another component (keepalived, kube-vip) in every lab, and a lab's
 * server addresses are fixed by its config, so the first server's address does not move.
 * The price: while the first server is down, no new node can join through it.
 */
export function registrationUrl(cfg: Pick<LabConfig, 'nodes'>): string {
  return k3sServerUrl(serverNode(cfg).ip);
}

/**
 * How a server enters the cluster (k3s-io/docs docs/datastore/ha-embedded.md at 0c96e6d7):
 * with several servers, the first starts embedded etcd with `--cluster-init` and the others
 * join it with `--server <first>`; a single server keeps K3s's default datastore. Once a
 * server has an etcd datastore on disk "the datastore arguments (--cluster-init, --server,
 * …) are ignored", so these flags matter only at a server's first start.
 */
export function serverJoinFlags(cfg: Pick<LabConfig, 'nodes'>, node: Pick<LabNode, 'name'>): string[] {
  if (!isHighlyAvailable(cfg)) return [];
  return serverNodes(cfg)[0].name === node.name ? ['--cluster-init'] : ['--server', registrationUrl(cfg)];
}

/** Lab shapes the tests share: nodes as a user writes them in kubelab.config.yaml. */

export const vmNode = (name: string, role: string, last: number, extra: object = {}) => ({ name, role, ip: `192.168.56.${last}`, ...extra });
export const hostNode = (name: string, role: string, address: string, extra: object = {}) => ({ name, role, host: { address, user: 'ubuntu', ...extra } });

/** Three servers and two agents as VMs: the HA lab of the docs. */
export const HA_NODES = [vmNode('cp1', 'server', 10), vmNode('cp2', 'server', 11), vmNode('cp3', 'server', 12), vmNode('w1', 'agent', 21), vmNode('w2', 'agent', 22)];

/** A lab made only of machines that already exist (addresses reached in tests only through the SSH test hook). */
export const HOSTS_ONLY_NODES = [hostNode('pi1', 'server', '10.20.0.11'), hostNode('pi2', 'agent', '10.20.0.12', { port: 2222, keyFile: 'ssh/pi-key' })];

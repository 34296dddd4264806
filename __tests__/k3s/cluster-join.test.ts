import { registrationUrl, serverJoinFlags } from '../../config/cluster-join';
import { findNode } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { vmNode } from '../support/lab-shapes';

/** How servers enter the cluster (k3s-io/docs docs/datastore/ha-embedded.md at 0c96e6d7, as config/cluster-join.ts cites). */
describe('cluster join', () => {
  test('a single server keeps K3s\'s default datastore: no datastore flag at all', () => {
    const one = resolveLabConfig({ nodes: [vmNode('cp1', 'server', 10), vmNode('w1', 'agent', 21)] }).config;
    expect(serverJoinFlags(one, findNode(one, 'cp1'))).toEqual([]);
    expect(registrationUrl(one)).toBe('https://192.168.56.10:6443');
  });

});

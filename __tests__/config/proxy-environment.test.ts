import { vmProxyEnvironment } from '../../config/proxy';
import { resolveLabConfig } from '../../config/load';
import { hostNode, vmNode } from '../support/lab-shapes';

/** What the VMs get from `proxy:` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY: the names K3s's install.sh passes on, see config/proxy.ts). */
describe('the proxy environment of the nodes', () => {
  test('no proxy in the config: no variable at all', () => {
    expect(vmProxyEnvironment(resolveLabConfig({}).config)).toEqual({});
  });

  test('loopback and the lab network always go direct, then the user\'s entries, then the existing machines, each once', () => {
    const cfg = resolveLabConfig({
      nodes: [hostNode('pi1', 'server', '10.20.0.11'), hostNode('pi2', 'agent', '10.20.0.12')],
      proxy: { http: 'http://proxy.example:3128', noProxy: ['.corp.example', '10.20.0.12', 'localhost'] },
    });
    const env = vmProxyEnvironment(cfg.config);
    expect(env.HTTP_PROXY).toBe('http://proxy.example:3128');
    expect(env.HTTPS_PROXY).toBe('http://proxy.example:3128');
    expect(env.NO_PROXY.split(',')).toEqual(['127.0.0.1', 'localhost', cfg.config.network.cidr, '.corp.example', '10.20.0.12', '10.20.0.11']);
  });

  test('a lab of VMs: its nodes are inside the lab network already', () => {
    const cfg = resolveLabConfig({ nodes: [vmNode('cp1', 'server', 10)], proxy: { http: 'http://proxy.example:3128' } }).config;
    expect(vmProxyEnvironment(cfg).NO_PROXY).toBe(`127.0.0.1,localhost,${cfg.network.cidr}`);
  });

  test('an https proxy of its own is used for https', () => {
    const cfg = resolveLabConfig({ proxy: { http: 'http://proxy.example:3128', https: 'http://secure.example:3129' } }).config;
    expect(vmProxyEnvironment(cfg)).toMatchObject({ HTTP_PROXY: 'http://proxy.example:3128', HTTPS_PROXY: 'http://secure.example:3129' });
  });
});

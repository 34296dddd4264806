import { ConfigError, resolveLabConfig } from '../../config/load';
import { decodeStepSpec, encodeStepSpec, networkInput, nodesFor, proxyInput, vmNodesFor } from '../../config/step-spec';

/**
 * What each step's spec holds of the lab (the part its Terraform trigger shows and its command
 * runs with): enough to resolve into the same node, nothing that would re-create it when another
 * node changes. The CLI side (the spec on the command line) is __tests__/cli/step-spec.test.ts.
 */
const host = (address: string) => ({ address, user: 'ubuntu' });
/** Three servers and an agent as VMs; the same as existing machines (a lab is all one or all the other). */
const HA = {
  nodes: [
    { name: 'cp1', role: 'server', ip: '192.168.56.10', cpus: 4, memoryMb: 4096 },
    { name: 'cp2', role: 'server', ip: '192.168.56.12' },
    { name: 'cp3', role: 'server', ip: '192.168.56.13' },
    { name: 'w1', role: 'agent', ip: '192.168.56.11', diskGb: 30 },
  ],
};
const MACHINES = {
  nodes: [
    { name: 'pi1', role: 'server', host: host('192.168.1.50') },
    { name: 'pi2', role: 'server', host: host('192.168.1.52') },
    { name: 'pi4', role: 'server', host: host('192.168.1.53') },
    { name: 'pi3', role: 'agent', host: { ...host('192.168.1.51'), port: 2222 } },
  ],
};
const lab = (overrides: object) => resolveLabConfig(overrides).config;
const node = (cfg: ReturnType<typeof lab>, name: string) => cfg.nodes.find((n) => n.name === name)!;

describe('the nodes in a step spec', () => {
  // Built in a hook, not as the file loads: a config that stops resolving then fails these tests.
  let cfg: ReturnType<typeof lab>;
  let machines: ReturnType<typeof lab>;
  beforeAll(() => {
    cfg = lab(HA);
    machines = lab(MACHINES);
  });
  /** An existing machine's host: with its defaults filled in (the spec writes them out). */
  const hostOf = (name: string) => {
    const h = node(machines, name).host!;
    expect(h).toMatchObject(MACHINES.nodes.find((n) => n.name === name)!.host);
    return h;
  };

  test("a server's K3s step: every server in config order, itself with its size, the others by name, role and address", () => {
    expect(nodesFor(cfg, node(cfg, 'cp3'))).toEqual([
      { name: 'cp1', role: 'server', ip: '192.168.56.10' },
      { name: 'cp2', role: 'server', ip: '192.168.56.12' },
      { name: 'cp3', role: 'server', ip: '192.168.56.13', cpus: 2, memoryMb: 2048, diskGb: 20 },
    ]);
    expect(nodesFor(machines, node(machines, 'pi2'))).toEqual([
      { name: 'pi1', role: 'server', host: hostOf('pi1') },
      { name: 'pi2', role: 'server', host: hostOf('pi2') },
      { name: 'pi4', role: 'server', host: hostOf('pi4') },
    ]);
  });

  test("an agent's K3s step: the first server by name, role and address, then the agent in full", () => {
    expect(nodesFor(cfg, node(cfg, 'w1'))).toEqual([
      { name: 'cp1', role: 'server', ip: '192.168.56.10' },
      { name: 'w1', role: 'agent', ip: '192.168.56.11', cpus: 2, memoryMb: 2048, diskGb: 30 },
    ]);
    expect(nodesFor(machines, node(machines, 'pi3'))).toEqual([
      { name: 'pi1', role: 'server', host: hostOf('pi1') },
      { name: 'pi3', role: 'agent', host: hostOf('pi3') },
    ]);
  });

  test("a VM step: a server's holds only itself (adding a server re-creates no VM); an agent's the first server too", () => {
    expect(vmNodesFor(cfg, node(cfg, 'cp3'))).toEqual([{ name: 'cp3', role: 'server', ip: '192.168.56.13', cpus: 2, memoryMb: 2048, diskGb: 20 }]);
    expect(vmNodesFor(cfg, node(cfg, 'w1'))).toEqual(nodesFor(cfg, node(cfg, 'w1')));
  });

  test('each spec resolves back into the same node', () => {
    for (const c of [cfg, machines]) {
      for (const n of c.nodes) {
        const spec = { nodes: nodesFor(c, n), ...networkInput(c) };
        expect(node(resolveLabConfig(decodeStepSpec(encodeStepSpec(spec))).config, n.name)).toEqual(n);
      }
    }
  });
});

describe('the network and proxy in a step spec', () => {
  test('a lab with VMs carries its network; a lab of existing machines only carries none (its config refuses one)', () => {
    const vms = lab({ network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.1' }, nodes: [{ name: 'cp1', role: 'server', ip: '192.168.57.10' }] });
    expect(networkInput(vms)).toEqual({ network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.1' } });
    expect(networkInput(lab(MACHINES))).toEqual({});
  });

  test('no proxy: nothing', () => {
    expect(proxyInput(lab(HA))).toEqual({});
    expect(proxyInput(lab(MACHINES))).toEqual({});
  });

  test("the proxy with NO_PROXY naming the user's entries, then every existing machine (a step's spec holds only some of them)", () => {
    const proxy = { http: 'http://proxy.corp.example:3128', noProxy: ['.corp.example'] };
    expect(proxyInput(lab({ ...MACHINES, proxy }))).toEqual({ proxy: { http: proxy.http, noProxy: ['.corp.example', '192.168.1.50', '192.168.1.52', '192.168.1.53', '192.168.1.51'] } });
    expect(proxyInput(lab({ ...MACHINES, proxy: { http: proxy.http } }))).toEqual({ proxy: { http: proxy.http, noProxy: ['192.168.1.50', '192.168.1.52', '192.168.1.53', '192.168.1.51'] } });
    // A lab of VMs: the user's entries alone (the VMs' own addresses are added where NO_PROXY is made, vmProxyEnvironment).
    expect(proxyInput(lab({ ...HA, proxy }))).toEqual({ proxy });
  });

  test('a lab of VMs only, with no noProxy of its own: the proxy as written, no empty list', () => {
    const proxy = { http: 'http://proxy.corp.example:3128', https: 'http://proxy.corp.example:3129' };
    expect(proxyInput(lab({ proxy }))).toEqual({ proxy });
  });
});

describe('the spec as one word', () => {
  test('round-trips any spec, in base64url letters only', () => {
    const spec = { name: 'lab', nodes: [{ name: 'cp1', role: 'server' as const, ip: '192.168.56.10' }], proxy: { http: 'http://p:3128/?~>' } };
    const word = encodeStepSpec(spec);
    expect(word).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeStepSpec(word)).toEqual(spec);
  });

  const refusal = (word: string) => {
    try {
      decodeStepSpec(word);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const { source, problems } = err as ConfigError;
      return { source, problems };
    }
    throw new Error(`${word} was accepted`);
  };

  test.each([
    ['a letter outside base64url before it', ` ${encodeStepSpec({})}`],
    ['a letter outside base64url after it', `${encodeStepSpec({})}=`],
    ['plain base64 (+ and /)', Buffer.from('{"a":"??>"}').toString('base64')],
    ['base64url of something that is not JSON', Buffer.from('not json').toString('base64url')],
    ['empty', ''],
  ])('%s: one line under --spec, quoting the word', (_what, word) => {
    expect(refusal(word)).toEqual({
      source: '--spec',
      problems: [`${JSON.stringify(word)} is not a step spec: it must be the one base64url word of JSON the deploy wrote into the step's triggers`],
    });
  });

  test('a long word is quoted by its first 40 letters only', () => {
    const word = `${'A'.repeat(50)}!`;
    expect(refusal(word).problems[0]).toMatch(/^"A{40}" is not a step spec/);
  });
});

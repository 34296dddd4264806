import { problemsOf } from '../support/config-problems';

/**
 * A field's line is one thing to the user: the wrong kind of value (a number for a name) and a
 * value that misses the rule (a pattern, a range) get the same words, one line, whichever check
 * caught it.
 */
const node = (name: string, role: string, ip: string, extra: object = {}) => ({ name, role, ip, ...extra });
const labWith = (i: number, patch: object) =>
  [node('cp1', 'server', '192.168.56.10'), node('w1', 'agent', '192.168.56.11'), node('w2', 'agent', '192.168.56.12')].map((n, j) => (j === i ? { ...n, ...patch } : n));
const proxy = (http: unknown) => ({ proxy: { http } });

/** The words after "field = value: " of the single line a config gives. */
const ruleOf = (overrides: object): string => {
  const problems = problemsOf(overrides);
  expect(problems).toHaveLength(1);
  return problems[0].replace(/^[^=]+ = .*?: /, '');
};

describe('a field says the same line for a wrong kind of value and a wrong value', () => {
  test.each<[string, object[], RegExp]>([
    ['a node name', [{ nodes: labWith(1, { name: 1 }) }, { nodes: labWith(1, { name: 'W1' }) }, { nodes: labWith(1, { name: '' }) }], /^a node name must be a valid hostname: /],
    ['a node ip', [{ nodes: labWith(1, { ip: 11 }) }, { nodes: labWith(1, { ip: '192.168.56' }) }], /^must be an IPv4 address like /],
    ['the host address', [{ network: { hostIp: 1 } }, { network: { hostIp: 'host' } }], /^must be an IPv4 address like /],
    ['the lab name', [{ name: 7 }, { name: '' }, { name: 'MyLab' }], /^must start with a lower-case letter/],
    ['the K3s version', [{ k3s: { version: 1.36 } }, { k3s: { version: 'latest' } }], /^must be a K3s release tag like /],
    ['a chart version', [{ components: { ingress: { chartVersion: 3 } } }, { components: { ingress: { chartVersion: '^41' } } }], /^must be an exact chart version like /],
    ['a noProxy entry', [{ proxy: { http: 'http://p.example:3128', noProxy: [10] } }, { proxy: { http: 'http://p.example:3128', noProxy: ['my host'] } }], /^must be a host name, a \.domain/],
    ['a proxy URL', [proxy(3128), proxy('not a url'), proxy(''), proxy('p.example')], /^must be a proxy URL like /],
    ['cpus', [{ nodes: labWith(1, { cpus: 'two' }) }, { nodes: labWith(1, { cpus: 1.5 }) }, { nodes: labWith(1, { cpus: 0 }) }, { nodes: labWith(1, { cpus: 65 }) }], /^cpus must be a whole number from 1 to 64$/],
    ['memoryMb', [{ nodes: labWith(1, { memoryMb: [] }) }, { nodes: labWith(1, { memoryMb: 0 }) }, { nodes: labWith(1, { memoryMb: 1_048_577 }) }], /^memoryMb must be a whole number from 1 to 1048576 \(MB\)$/],
    ['diskGb', [{ nodes: labWith(1, { diskGb: true }) }, { nodes: labWith(1, { diskGb: 20.5 }) }, { nodes: labWith(1, { diskGb: 9 }) }, { nodes: labWith(1, { diskGb: 2049 }) }], /^diskGb must be a whole number from 10 to 2048 \(GB; /],
  ])('%s', (_field, configs, rule) => {
    const rules = configs.map(ruleOf);
    expect(rules[0]).toMatch(rule);
    expect(new Set(rules)).toEqual(new Set([rules[0]]));
  });

  test('a size hint follows whichever check missed: a fraction of a GB where MB belongs, a quoted number', () => {
    expect(ruleOf({ nodes: labWith(0, { memoryMb: 2.5 }) })).toBe('memoryMb must be a whole number from 1 to 1048576 (MB); write it in MB as a plain number: memoryMb: 2560');
    expect(ruleOf({ nodes: labWith(0, { cpus: '100' }) })).toBe('cpus must be a whole number from 1 to 64; write the number without quotes: cpus: 100');
  });
});

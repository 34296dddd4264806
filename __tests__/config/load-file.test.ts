import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { ConfigError, decodeText, fallbackMessage, loadLabConfig, parseConfigText, resolveLabConfig, thisHost } from '../../config/load';
import { problemsOf } from '../support/config-problems';

/**
 * Finding, reading and parsing the lab config file, and the words of a problem the schema has
 * no message of its own for. Each bad input: the file (or field) named, the value, what is
 * allowed, in one line; the table in bad-inputs.test.ts holds the common ones.
 */
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { source: (err as ConfigError).source, problems: [...(err as ConfigError).problems], message: (err as Error).message, error: err };
  }
  throw new Error('expected a ConfigError');
};

describe('which file is the lab config', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-load-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);

  test.each([
    ['kubelab.config.yaml', 'name: lab2\n'],
    ['kubelab.config.yml', 'name: lab2\n'],
    ['kubelab.config.json', '{"name": "lab2"}'],
  ])('%s alone is read, and named as the source', (file, text) => {
    write(file, text);
    const loaded = loadLabConfig(dir, { cpus: 64, memoryMb: 1_048_576 });
    expect([loaded.config.name, loaded.source]).toEqual(['lab2', file]);
  });

  test('no file: the built-in default, said so', () => {
    write('kubelab.config.yaml.bak', 'name: lab2\n');
    const loaded = loadLabConfig(dir, { cpus: 64, memoryMb: 1_048_576 });
    expect([loaded.config.name, loaded.source]).toEqual(['kubelab', 'built-in default']);
  });

  test('no file: the built-in default is still judged against the host given (a 1-CPU host is told the nodes ask for more)', () => {
    const { warnings } = loadLabConfig(dir, { cpus: 1, memoryMb: 1_048_576 });
    expect(warnings).toEqual([expect.stringMatching(/^nodes cp1: cpus 2 is more than this host's 1 logical CPUs/), expect.stringMatching(/^nodes w1: /), expect.stringMatching(/^nodes w2: /)]);
  });

  test('two or three files: one line naming each, asking to keep one', () => {
    write('kubelab.config.yml', 'name: a\n');
    write('kubelab.config.json', '{"name": "b"}');
    expect(refusal(() => loadLabConfig(dir))).toMatchObject({
      source: 'kubelab.config.yml and kubelab.config.json',
      problems: ['found kubelab.config.yml and kubelab.config.json: keep exactly one lab config file and delete the other'],
    });
    write('kubelab.config.yaml', 'name: c\n');
    expect(refusal(() => loadLabConfig(dir)).problems).toEqual([
      'found kubelab.config.yaml and kubelab.config.yml and kubelab.config.json: keep exactly one lab config file and delete the other',
    ]);
  });

  test('a dangling link counts as a file that is there (and is reported), not as no file', () => {
    fs.symlinkSync('gone.yml', path.join(dir, 'kubelab.config.yml'));
    expect(refusal(() => loadLabConfig(dir))).toMatchObject({ source: 'kubelab.config.yml', problems: ['is a symbolic link to gone.yml, which does not exist; fix the link or delete kubelab.config.yml'] });
  });

  test('the whole message: the file, then each problem on a line of its own', () => {
    write('kubelab.config.yaml', 'name: A\nnodes: 7\n');
    expect(String(refusal(() => loadLabConfig(dir)).error)).toMatch(/^ConfigError: kubelab\.config\.yaml is not/);
    expect(refusal(() => loadLabConfig(dir)).message).toMatch(/^kubelab\.config\.yaml is not a valid kubelab configuration:\n {2}- name = "A": [^\n]+\n {2}- nodes = 7: [^\n]+$/);
  });
});

describe('this host', () => {
  afterEach(() => jest.restoreAllMocks());
  test('its logical CPUs, and its memory in whole MB (8 GiB and 1000 bytes is 8192 MB)', () => {
    // The module object itself (the namespace import is read-only); config/load.ts reads through to it.
    const nodeOs = jest.requireActual<typeof os>('os');
    jest.spyOn(nodeOs, 'cpus').mockReturnValue(Array(6).fill(os.cpus()[0]));
    jest.spyOn(nodeOs, 'totalmem').mockReturnValue(8 * 1024 * 1024 * 1024 + 1000);
    expect(thisHost()).toEqual({ cpus: 6, memoryMb: 8192 });
  });
});

describe('text as editors write it', () => {
  const utf16le = (s: string) => Buffer.from(s, 'utf16le');
  test.each<[string, Buffer, string]>([
    ['UTF-8', Buffer.from('name: x'), 'name: x'],
    ['UTF-8 with a BOM', Buffer.from('\ufeffname: x'), 'name: x'],
    ['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('name: x')]), 'name: x'],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16le('name: x').swap16()]), 'name: x'],
    // Only the two-byte order mark switches to UTF-16: one of its bytes alone is text (bad UTF-8, shown as U+FFFD).
    ['0xFF then text', Buffer.from([0xff, 0x41, 0x42, 0x43]), '\ufffdABC'],
    ['text then 0xFE', Buffer.from([0x41, 0xfe, 0x42, 0x43]), 'A\ufffdBC'],
    ['0xFE then text', Buffer.from([0xfe, 0x41, 0x42, 0x43]), '\ufffdABC'],
    ['text then 0xFF', Buffer.from([0x41, 0xff, 0x42, 0x43]), 'A\ufffdBC'],
    ['a BOM-like character later in the text is kept', Buffer.from('a\ufeffb'), 'a\ufeffb'],
  ])('%s', (_what, bytes, text) => {
    expect(decodeText(bytes)).toBe(text);
  });
});

describe('YAML and JSON a user may write', () => {
  const problems = (text: string, file = 'kubelab.config.yaml') => refusal(() => parseConfigText(text, file)).problems;

  test.each(['__proto__', 'constructor', 'prototype'])('the key %s is refused with its line, nested too', (key) => {
    expect(problems(`name: lab\ncomponents:\n  ${key}: {}\n`)).toEqual([`line 3: key "${key}" is not allowed (it is not a kubelab setting)`]);
  });

  test('a duplicate key: its line and column, and the key as written', () => {
    expect(problems('name: a\nk3s:\n  version: v1\n  version: v2\n')).toEqual(['line 4, column 3: the key version appears twice in the same mapping; keep one (each key is allowed once)']);
    expect(problems('{"name": "a", "name": "b"}', 'kubelab.config.json')).toEqual(['line 1, column 15: the key "name" appears twice in the same mapping; keep one (each key is allowed once)']);
    expect(problems("{'name': a, 'name': b}")).toEqual(["line 1, column 13: the key 'name' appears twice in the same mapping; keep one (each key is allowed once)"]);
    // Keys as YAML quotes them (a \" inside double quotes, '' inside single quotes), and plain keys ended by a space, a comma or }.
    const twice = (key: string, where: string) => `${where}: the key ${key} appears twice in the same mapping; keep one (each key is allowed once)`;
    expect(problems('{"na\\"me": 1, "na\\"me": 2}')).toEqual([twice('"na\\"me"', 'line 1, column 15')]);
    expect(problems("{'it''s': 1, 'it''s': 2}")).toEqual([twice("'it''s'", 'line 1, column 14')]);
    expect(problems('a : 1\na : 2\n')).toEqual([twice('a', 'line 2, column 1')]);
    expect(problems('{a, a, b: 1}')).toEqual([twice('a', 'line 1, column 5')]);
    expect(problems('{b: 1, a, a}')).toEqual([twice('a', 'line 1, column 11')]);
    // The key last on its line: the column still counts from the line's own start.
    expect(problems('{b: 1, a, a\n}')).toEqual([twice('a', 'line 1, column 11')]);
    expect(problems(': 1\n: 2\n')).toEqual(['line 2, column 1: an empty key appears twice in the same mapping; keep one (each key is allowed once)']);
    // Quoted keys with a space in them are named whole, quotes and all.
    expect(problems('{"a b": 1, "a b": 2}')).toEqual([twice('"a b"', 'line 1, column 12')]);
    expect(problems("{'a b': 1, 'a b': 2}")).toEqual([twice("'a b'", 'line 1, column 12')]);
  });

  test('YAML that does not parse: where, in our words and the parser\'s reason, no repeated position', () => {
    // Line 12, column 12: the x that starts a mapping nested in a one-line one (counted by hand: "name:" and 6 spaces before it).
    const [line] = problems(`${Array.from({ length: 11 }, (_, i) => `k${i}: 1`).join('\n')}\nname:      x: y\n`);
    // The parser's reason whole (yaml 2.9.1, pinned: its BLOCK_AS_IMPLICIT_KEY error), not a piece of it.
    expect(line).toBe('cannot be parsed as YAML at line 12, column 12: Nested mappings are not allowed in compact mappings');
    expect(line).not.toMatch(/at line \d+, column \d+:?$/);
    expect(line).not.toContain('\n');
  });

  test('JSON with YAML-only syntax: cannot be parsed as JSON, one line', () => {
    const text = '{"name": "lab",\n "nodes": [],\n}';
    // JSON.parse's own reason, whole (its words differ between Node versions).
    let reason = '';
    try {
      JSON.parse(text);
    } catch (err) {
      reason = (err as Error).message;
    }
    expect(reason).toMatch(/^\S[^\n]{10,}$/);
    expect(problems(text, 'kubelab.config.json')).toEqual([`cannot be parsed as JSON: ${reason}`]);
  });

  test('lines ended by a carriage return alone (classic Mac OS) are lines, in YAML and JSON', () => {
    // YAML 1.2.2, 5.4 "Line Break Characters": b-break is CR LF, CR or LF; JSON (RFC 8259, 2) takes CR as whitespace.
    expect(parseConfigText('name: lab2\rnodes: []\r', 'kubelab.config.yaml')).toEqual({ name: 'lab2', nodes: [] });
    expect(parseConfigText('{\r  "name": "lab2"\r}\r', 'kubelab.config.json')).toEqual({ name: 'lab2' });
    expect(problems('name: a\rname: b\r')).toEqual(['line 2, column 1: the key name appears twice in the same mapping; keep one (each key is allowed once)']);
    // CR LF stays one line end.
    expect(problems('name: a\r\nname: b\r\n')).toEqual(['line 2, column 1: the key name appears twice in the same mapping; keep one (each key is allowed once)']);
  });

  test('JSON that is valid, with a tab-indented second line: read as JSON', () => {
    expect(parseConfigText('{\n\t"name": "lab2"\n}', 'kubelab.config.json')).toEqual({ name: 'lab2' });
  });

  test('an unknown tag, an alias before its anchor: line and column of each, all said at once', () => {
    expect(problems('name: !lab x\nimage: *img\n')).toEqual([
      'line 1, column 7: the tag !lab means nothing to kubelab; remove it and write the value plainly',
      'line 2, column 8: the alias *img refers to no anchor &img before it; write the value out (or define &img first)',
    ]);
  });

  test('a parser warning that changes no value (an unknown %directive) is not a problem', () => {
    expect(parseConfigText('%FOO bar\n---\nname: lab2\n', 'kubelab.config.yaml')).toEqual({ name: 'lab2' });
  });

  test('an anchor used after it is defined is fine', () => {
    expect(parseConfigText('a: &x [1]\nb: *x\n', 'kubelab.config.yaml')).toEqual({ a: [1], b: [1] });
  });

  test('a merge key with its line; a list as a key with its line', () => {
    expect(problems('base: &b { role: agent }\nnode:\n  <<: *b\n')).toEqual(['line 3: the merge key << is not supported (YAML 1.2 has none); write the keys out']);
    expect(problems('name: lab\nnodes:\n  - name: w1\n    <<: { role: agent }\n')).toEqual(['line 4: the merge key << is not supported (YAML 1.2 has none); write the keys out']);
    expect(problems('name: lab\n? [a, b]\n: x\n')).toEqual(['line 2: a key must be plain text, not a list or mapping']);
  });

  test('a document of only a value: what it is, in words', () => {
    expect(problems('42\n')).toEqual(['must be a mapping of keys (like name:, nodes:), not a number']);
    expect(problems('null\n')).toEqual(['must be a mapping of keys (like name:, nodes:), not null']);
    expect(problems('true\n')).toEqual(['must be a mapping of keys (like name:, nodes:), not a boolean']);
  });
});

describe('a lab of existing machines only', () => {
  const machines = [{ name: 'pi1', role: 'server', host: { address: '192.168.1.50', user: 'ubuntu' } }];
  test('image: and network: are refused, each on its line, as keys only VMs use', () => {
    expect(problemsOf({ nodes: machines, image: { release: 'noble' } })).toEqual([
      'image: is used only for VirtualBox VMs, and every node here is an existing machine (host:); remove image',
    ]);
    expect(problemsOf({ nodes: machines, image: { release: 'noble' }, network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.1' } })).toEqual([
      'network: is used only for VirtualBox VMs, and every node here is an existing machine (host:); remove network',
      'image: is used only for VirtualBox VMs, and every node here is an existing machine (host:); remove image',
    ]);
  });

  test('without them it loads', () => {
    expect(resolveLabConfig({ nodes: machines }).config.nodes[0].host?.address).toBe('192.168.1.50');
  });
});

describe('what a value must be, in our words', () => {
  test.each<[string, unknown, string]>([
    ['the whole config a list', [], 'must be a mapping of keys (like name:, nodes:), not a list'],
    ['the whole config null', null, 'must be a mapping of keys (like name:, nodes:), not null'],
    ['the whole config text', 'name: lab', 'must be a mapping of keys (like name:, nodes:), not a string'],
  ])('%s', (_what, overrides, line) => {
    expect(refusal(() => resolveLabConfig(overrides, 'kubelab.config.yaml'))).toMatchObject({ source: 'kubelab.config.yaml', problems: [line] });
  });

  // Values the schema has no words of its own for: what is allowed, in ours (never the schema library's "record").
  test.each<[string, unknown, string]>([
    ['mirrors as a list', { mirrors: [] }, 'registries.mirrors = a list: must be a mapping of keys'],
    ['configs as text', { configs: 'docker.io' }, 'registries.configs = "docker.io": must be a mapping of keys'],
    ['a mirror as text', { mirrors: { 'docker.io': 'x' } }, 'registries.mirrors.docker.io = "x": must be a mapping of keys'],
    ['endpoint as one URL, not a list', { mirrors: { 'docker.io': { endpoint: 'https://m.example' } } }, 'registries.mirrors.docker.io.endpoint = "https://m.example": must be a list'],
    ['an endpoint as a number', { mirrors: { 'docker.io': { endpoint: [5] } } }, 'registries.mirrors.docker.io.endpoint[0] = 5: must be text in quotes'],
    ['a rewrite to a number', { mirrors: { 'docker.io': { endpoint: ['https://m.example'], rewrite: { '^a': 5 } } } }, 'registries.mirrors.docker.io.rewrite.^a = 5: must be text in quotes'],
  ])('registries with %s: one line in our words', (_what, registries, line) => {
    expect(problemsOf({ registries })).toEqual([line]);
  });

  test('a config from a program without a source named is called "config"', () => {
    expect(refusal(() => resolveLabConfig({ name: 'A' })).message).toMatch(/^config is not a valid kubelab configuration:\n {2}- name = "A": /);
  });

  test('a value left undefined by a program (a step spec) keeps the default', () => {
    const { config } = resolveLabConfig({ name: undefined, network: { cidr: undefined } });
    expect([config.name, config.network.cidr]).toEqual(['kubelab', '192.168.56.0/24']);
  });

  test('without a project folder, local installer files are not looked for', () => {
    const installer = { source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh' };
    expect(resolveLabConfig({ k3s: { installer } }).config.k3s.installer).toEqual(installer);
    expect(refusal(() => resolveLabConfig({ k3s: { installer } }, 'kubelab.config.yaml', { projectDir: os.tmpdir() })).problems).toEqual([
      expect.stringMatching(/^k3s\.installer\.binary = "airgap\/k3s" does not exist/),
      expect.stringMatching(/^k3s\.installer\.script = "airgap\/install\.sh" does not exist/),
    ]);
  });

  test('two unknown keys in one mapping: a line each, with what is allowed there', () => {
    const found = problemsOf({ image: { release: 'noble', relase: 'noble', arch: 'x' } });
    expect(found.join('\n  - ').split('\n  - ')).toEqual([
      'image.relase: unknown key (a typo?); allowed here: release',
      'image.arch: unknown key (a typo?); allowed here: release',
    ]);
  });

  test('a key of a list item written under a mapping: where it belongs', () => {
    expect(problemsOf({ k3s: { version: 'v1.36.4+k3s1', installer: { source: 'online' }, role: 'server' } })).toEqual([
      'k3s.role: unknown key (a typo?); allowed here: version, installer, embeddedRegistry; role belongs under nodes[]: indent it there',
    ]);
  });

  test('a key that belongs in two places names both; a key of an optional mapping (proxy) names it', () => {
    expect(problemsOf({ image: { release: 'noble', name: 'x' } })).toEqual([
      'image.name: unknown key (a typo?); allowed here: release; name belongs under the top level or nodes[]: indent it under one of them',
    ]);
    expect(problemsOf({ network: { cidr: '192.168.56.0/24', hostIp: '192.168.56.1', http: 'http://p.example:3128' } })).toEqual([
      'network.http: unknown key (a typo?); allowed here: cidr, hostIp; http belongs under proxy: indent it there',
    ]);
  });

  test('a key that belongs nowhere: no hint', () => {
    expect(problemsOf({ k3s: { verison: 'v1.36.4+k3s1' } })).toEqual([
      'k3s.verison: unknown key (a typo?); allowed here: version, installer, embeddedRegistry',
    ]);
  });
});

describe('keys of a switched-off component', () => {
  test('each key but enabled is said to do nothing; a switched-on component says nothing', () => {
    const { warnings } = resolveLabConfig({ components: { hpaDemo: { enabled: false }, metricsServer: { enabled: false, chartVersion: '3.13.0' }, ingress: { enabled: true, chartVersion: '39.0.0' } } }, 'kubelab.config.yaml', { host: { cpus: 64, memoryMb: 1_048_576 } });
    expect(warnings.filter((w) => w.includes('is ignored'))).toEqual([
      'components.metricsServer.chartVersion is ignored while components.metricsServer.enabled is false; remove it, or set enabled: true to use it',
    ]);
  });
});

describe('the words for a problem a schema gives no message for', () => {
  // Schemas of our own making here: every field of the lab config has its own words, so these are for the next one added without.
  const words = (schema: z.ZodType, value: unknown) => schema.safeParse(value, { error: fallbackMessage }).error?.issues.map((i) => i.message);
  test.each<[string, z.ZodType, unknown, string]>([
    ['a number where text belongs', z.string(), 5, 'must be text in quotes'],
    ['text where a number belongs', z.number(), 'x', 'must be a number'],
    ['a number where true or false belongs', z.boolean(), 1, 'must be true or false'],
    ['text where a mapping belongs', z.object({}), 'x', 'must be a mapping of keys'],
    ['text where a list belongs', z.array(z.string()), 'x', 'must be a list'],
    ['too small', z.number().min(3), 1, 'must be at least 3'],
    ['too big', z.array(z.string()).max(2), ['a', 'b', 'c'], 'must be at most 2'],
    ['not one of the values', z.enum(['online', 'local']), 'usb', 'must be one of "online", "local"'],
    ['anything else', z.string().regex(/^a/), 'b', 'is not an allowed value here (see README, "Configuration")'],
  ])('%s', (_what, schema, value, message) => {
    expect(words(schema, value)).toEqual([message]);
  });
});

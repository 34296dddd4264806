import { resolveLabConfig } from '../../config/load';
import { labRegistries } from '../../config/registries';
import { problemsOf } from '../support/config-problems';

/**
 * `registries:` of the lab config as a user writes it. Registry names are what image references
 * put before the first "/" (a host with an optional port), or "*" for every registry (K3s docs,
 * docs/installation/private-registry.md in k3s-io/docs at 2936f007: "mirrors" keyed by registry
 * name, "*" as the default); every bad value is one line naming the field, the value and what is allowed.
 */
const endpoint = ['https://mirror.example.com:5000'];

describe('registry names', () => {
  test.each(['*', 'docker.io', 'registry.example.com:5000', 'localhost:5000', '10.0.0.5:5000', 'my-registry.local', 'a', 'Quay.IO'])('%s is a registry name, as mirror and as config', (name) => {
    const { config } = resolveLabConfig({ registries: { mirrors: { [name]: { endpoint } }, configs: { [name]: { insecureSkipVerify: true } } } });
    expect(config.registries?.mirrors?.[name]).toEqual({ endpoint });
    expect(config.registries?.configs?.[name]).toEqual({ insecureSkipVerify: true });
  });

  test.each([
    ['a URL', 'https://docker.io'],
    ['a path', 'docker.io/library'],
    ['a leading dash', '-registry.example.com'],
    ['a trailing dash', 'registry-.example.com-'],
    ['a leading dot', '.example.com'],
    ['a port of six digits', 'registry.example.com:123456'],
    ['a colon without a port', 'registry.example.com:'],
    ['two stars', '**'],
    ['a star in a host', '*.example.com'],
    ['a space', 'registry example.com'],
    ['an underscore', 'my_registry'],
    ['empty', ''],
  ])('%s is refused as a mirror name and as a config name, each with one line', (_what, name) => {
    for (const section of ['mirrors', 'configs'] as const) {
      const value = section === 'mirrors' ? { endpoint } : { insecureSkipVerify: false };
      const problems = problemsOf({ registries: { [section]: { [name]: value } } });
      expect(problems).toEqual([
        `registries.${section}.${name}: ${JSON.stringify(name)} is not a registry name: use a host with an optional port, like registry.example.com or registry.example.com:5000, or "*" for every registry`,
      ]);
    }
  });

  test('every bad name is said, in both sections', () => {
    const problems = problemsOf({ registries: { mirrors: { 'a/b': { endpoint }, 'c d': { endpoint } }, configs: { 'e/f': {} } } });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['registries.mirrors.a/b', 'registries.mirrors.c d', 'registries.configs.e/f']);
  });
});

describe('mirror endpoints and configs', () => {
  test.each(['https://mirror.example.com:5000', 'http://10.0.0.5:5000', 'https://mirror.example.com/v2/prefix'])('%s is an endpoint', (url) => {
    expect(resolveLabConfig({ registries: { mirrors: { 'docker.io': { endpoint: [url] } } } }).config.registries?.mirrors?.['docker.io'].endpoint).toEqual([url]);
  });

  const ENDPOINT_RULE = 'must be an http:// or https:// URL of the mirror without a user or password in it, like https://mirror.example.com:5000 (credentials go in a credentialsFile)';
  test.each([
    ['another scheme', 'ftp://mirror.example.com'],
    ['no scheme', 'mirror.example.com:5000'],
    ['not a URL at all', 'mirror example com'],
    ['a user and password', 'https://me:secret@mirror.example.com'],
    ['a user only', 'https://me@mirror.example.com'],
    ['a password only', 'https://:secret@mirror.example.com'],
  ])('%s: one line naming the endpoint, its value and what is allowed', (_what, url) => {
    expect(problemsOf({ registries: { mirrors: { 'docker.io': { endpoint: [endpoint[0], url] } } } })).toEqual([`registries.mirrors.docker.io.endpoint[1] = ${JSON.stringify(url)}: ${ENDPOINT_RULE}`]);
  });

  test('a mirror with no endpoint: one line saying one is needed', () => {
    expect(problemsOf({ registries: { mirrors: { 'docker.io': { endpoint: [] } } } })).toEqual(['registries.mirrors.docker.io.endpoint: must list at least one mirror URL']);
  });

  test('a rewrite is kept as written', () => {
    const rewrite = { '^library/(.*)': 'hub/$1' };
    expect(resolveLabConfig({ registries: { mirrors: { 'docker.io': { endpoint, rewrite } } } }).config.registries?.mirrors?.['docker.io']).toEqual({ endpoint, rewrite });
  });

  test('insecureSkipVerify written as text: one line naming it and what is allowed', () => {
    expect(problemsOf({ registries: { configs: { 'docker.io': { insecureSkipVerify: 'yes' } } } })).toEqual(['registries.configs.docker.io.insecureSkipVerify = "yes": must be true or false']);
  });
});

describe('the registries every node gets', () => {
  const lab = (overrides: object) => labRegistries(resolveLabConfig(overrides).config);

  test("with K3s's embedded mirror (the default): an entry for each registry the lab's images come from; a user's entry keeps its endpoints", () => {
    expect(lab({})).toEqual({ mirrors: { 'docker.io': {}, 'registry.k8s.io': {}, 'ghcr.io': {} }, configs: {} });
    const mirror = { endpoint, rewrite: { a: 'b' } };
    expect(lab({ registries: { mirrors: { 'docker.io': mirror, 'quay.io': { endpoint } } } })?.mirrors).toEqual({ 'docker.io': mirror, 'quay.io': { endpoint }, 'registry.k8s.io': {}, 'ghcr.io': {} });
  });

  test('without it: only what the user wrote, and nothing at all when that is nothing', () => {
    expect(lab({ k3s: { embeddedRegistry: false } })).toBeUndefined();
    expect(lab({ k3s: { embeddedRegistry: false }, registries: {} })).toBeUndefined();
    expect(lab({ k3s: { embeddedRegistry: false }, registries: { mirrors: { 'quay.io': { endpoint } } } })).toEqual({ mirrors: { 'quay.io': { endpoint } }, configs: {} });
    expect(lab({ k3s: { embeddedRegistry: false }, registries: { configs: { 'quay.io': { insecureSkipVerify: true } } } })).toEqual({ mirrors: {}, configs: { 'quay.io': { insecureSkipVerify: true } } });
  });

  test('embeddedRegistry written as true is the default', () => {
    expect(lab({ k3s: { embeddedRegistry: true } })).toEqual(lab({}));
  });
});

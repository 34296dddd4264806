import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { resourcesOf, synthLab } from '../app/synth-lab';
import { TOOL_TIMEOUT_MS } from '../support/tools';
import { CHART_CONTRACTS, ContractPath } from './chart-contracts';

/**
 * OPT-IN: the contract checked against the charts themselves, for a chart bump. CI
 * cannot reach the chart repositories, so this runs only when KUBELAB_CHART_SOURCES
 * names a directory with one chart directory per version, `<chart>-<version>/`
 * (Chart.yaml, values.yaml, values.schema.json where the chart has one, subcharts under
 * charts/), e.g. taken from the chart's git tag. With KUBELAB_HELM (a helm binary) it
 * also renders every synthesized release with `helm template`.
 */
const sources = process.env.KUBELAB_CHART_SOURCES;
const helm = process.env.KUBELAB_HELM;

type Json = Record<string, any>;

const chartDir = (chart: string, version: string) => path.join(sources!, `${chart}-${version}`);

/** The value at `keys` in a chart's values.yaml, or in a subchart's when the first key names one. */
function definedInValues(dir: string, keys: string[]): { file: string; found: boolean } {
  const own = path.join(dir, 'values.yaml');
  let node: any = parse(fs.readFileSync(own, 'utf8'));
  for (const [i, k] of keys.entries()) {
    if (node && typeof node === 'object' && k in node) {
      node = node[k];
      continue;
    }
    const sub = path.join(dir, 'charts', keys[0], 'values.yaml');
    if (i > 0 && fs.existsSync(sub)) return definedInValues(path.dirname(sub), keys.slice(1));
    return { file: own, found: false };
  }
  return { file: own, found: true };
}

/** The schema node at `keys`, following properties and, for free-form keys, additionalProperties. */
function schemaAt(schema: Json, keys: string[]): Json | undefined {
  let node: Json | undefined = schema;
  for (const k of keys) {
    node = node?.properties?.[k] ?? (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
  }
  return node;
}

const SCHEMA_TYPE: Record<ContractPath['type'], string> = { string: 'string', integer: 'integer', boolean: 'boolean', array: 'array', map: 'object' };

const contracts = Object.entries(CHART_CONTRACTS).flatMap(([chart, versions]) =>
  Object.entries(versions).map(([version, contract]) => ({ chart, version, contract })),
);

if (!sources) {
  test.skip('the chart contract against the charts: set KUBELAB_CHART_SOURCES to a directory of <chart>-<version>/ chart directories', () => undefined);
} else describe('the chart contract against the charts (KUBELAB_CHART_SOURCES)', () => {
  const present = contracts.filter(({ chart, version }) => fs.existsSync(path.join(chartDir(chart, version), 'Chart.yaml')));

  test('holds at least one contracted chart version', () => {
    expect(present.map(({ chart, version }) => `${chart}-${version}`)).not.toEqual([]);
  });

  if (present.length) test.each(present.map((c) => [`${c.chart} ${c.version}`, c]))('%s: each path is in values.yaml at the cited line, with the schema\'s type', (_name, c: any) => {
    const dir = chartDir(c.chart, c.version);
    expect(parse(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')).version).toBe(c.version);
    const schemaFile = path.join(dir, 'values.schema.json');
    const schema: Json | undefined = fs.existsSync(schemaFile) ? JSON.parse(fs.readFileSync(schemaFile, 'utf8')) : undefined;
    expect({ schema: !!schema }).toEqual({ schema: !!c.contract.schema });
    for (const [key, entry] of Object.entries<ContractPath>(c.contract.paths)) {
      const keys = key.split('.');
      const { file, found } = definedInValues(dir, keys);
      expect({ key, file, found }).toEqual({ key, file, found: true });
      const [, citedFile, line] = /([\w/.-]+\.yaml):(\d+)/.exec(entry.cite)!;
      const sub = path.join(dir, 'charts', keys[0], 'values.yaml');
      const lines = fs.readFileSync(citedFile.endsWith(`${keys[0]}/values.yaml`) && fs.existsSync(sub) ? sub : path.join(dir, 'values.yaml'), 'utf8').split('\n');
      expect({ key, cited: lines[Number(line) - 1] }).toEqual({ key, cited: expect.stringMatching(new RegExp(`^\\s*${keys[keys.length - 1]}:`)) });
      if (schema) {
        const node = schemaAt(schema, keys);
        const types = [node?.type].flat();
        expect({ key, schemaTypes: types }).toEqual({ key, schemaTypes: expect.arrayContaining([SCHEMA_TYPE[entry.type]]) });
        if (entry.enum) expect({ key, enum: node?.enum }).toEqual({ key, enum: expect.arrayContaining([...entry.enum]) });
      }
    }
  });

  if (!helm) {
    test.skip('helm template of the synthesized values: set KUBELAB_HELM to a helm binary', () => undefined);
  } else describe('helm template accepts the synthesized values', () => {
    const labs = [synthLab(), synthLab({ components: { dashboard: { kind: 'kubernetes-dashboard' } } })];
    const releases = labs.flatMap((lab) => Object.values(lab.stacks).flatMap((s) => Object.values<any>(resourcesOf(s, 'helm_release'))));
    test.each(releases.map((r) => [`${r.chart} ${r.version}`, r]))('%s', (_name, release: any) => {
      const dir = chartDir(release.chart, release.version);
      expect({ dir, exists: fs.existsSync(dir) }).toEqual({ dir, exists: true });
      const valuesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-values-')), 'values.json');
      fs.writeFileSync(valuesFile, release.values[0]);
      execFileSync(helm!, ['template', release.name, dir, '--namespace', release.namespace, '--values', valuesFile], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: TOOL_TIMEOUT_MS,
      });
    });
  });
});

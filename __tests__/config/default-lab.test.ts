import * as fs from 'fs';
import * as path from 'path';
import { CHART_CONTRACTS } from '../charts/chart-contracts';
import { DEFAULT_LAB_CONFIG } from '../../config/defaults';
import { LabConfig } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { PINNED } from '../../config/versions';

/**
 * The lab a project without kubelab.config.yaml gets, held to what README.md's config table
 * promises users, and the pinned versions held to the charts they name.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** README.md's config table: key cell → default cell, backquotes kept. */
function readmeDefaults(): Map<string, string> {
  const rows = fs
    .readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .map((line) => /^\| (`[^|]+`) \| ([^|]+) \|/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);
  return new Map(rows.map((m) => [m[1], m[2].trim()]));
}

/** The `…`-quoted words of a table cell. */
const quoted = (cell: string | undefined) => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe('the built-in default lab', () => {
  const table = readmeDefaults();
  // Resolved in beforeAll, so a default that breaks validation fails these tests rather than the suite's loading.
  let config: LabConfig;
  let warnings: readonly string[];
  beforeAll(() => ({ config, warnings } = resolveLabConfig({})));

  test('is valid as it is, without warnings', () => {
    expect(warnings).toEqual([]);
  });

  test('has the name, network, image and K3s the README lists', () => {
    expect(quoted(table.get('`name`'))).toEqual([config.name]);
    expect(quoted(table.get('`network.cidr`'))).toEqual([config.network.cidr]);
    expect(quoted(table.get('`network.hostIp`'))).toEqual([config.network.hostIp]);
    expect(quoted(table.get('`image.release`'))).toEqual([config.image.release]);
    expect(quoted(table.get('`k3s.version`'))).toEqual([config.k3s.version]);
    expect(quoted(table.get('`k3s.installer.source`'))).toEqual([config.k3s.installer.source]);
  });

  test('has the nodes the README lists: a server and two agents, at their addresses on the host-only network', () => {
    const listed = [...(table.get('`nodes[]`') ?? '').matchAll(/`([^`]+)` (server|agent) \.(\d+)/g)].map(([, name, role, last]) => ({
      name,
      role,
      ip: config.network.cidr.replace(/\d+\/\d+$/, last),
    }));
    expect(listed).toHaveLength(3);
    expect(config.nodes.map(({ name, role, ip }) => ({ name, role, ip }))).toEqual(listed);
  });

  test('has every component on, with the chart versions the README lists', () => {
    const c = config.components;
    expect(quoted(table.get('`components.ingress.enabled`, `.chartVersion`'))).toEqual([String(c.ingress.enabled), c.ingress.chartVersion]);
    expect(quoted(table.get('`components.metricsServer.enabled`, `.chartVersion`'))).toEqual([String(c.metricsServer.enabled), c.metricsServer.chartVersion]);
    expect(quoted(table.get('`components.dashboard.enabled`, `.kind`, `.chartVersion`'))).toEqual([String(c.dashboard.enabled), c.dashboard.kind]);
    expect(quoted(table.get('`components.hpaDemo.enabled`'))).toEqual([String(c.hpaDemo.enabled)]);
  });

  test('sets only keys the README documents', () => {
    const documented = [...table.keys()].flatMap((cell) => {
      const keys = quoted(cell);
      // `a.b.c`, `.d` → a.b.c, a.b.d
      return keys.map((k) => (k.startsWith('.') ? keys[0].replace(/\.[^.]+$/, k) : k));
    });
    const leaves = (o: object, at: string): string[] =>
      Object.entries(o).flatMap(([k, v]) => (k === 'nodes' ? ['nodes[]'] : typeof v === 'object' ? leaves(v, `${at}${k}.`) : [`${at}${k}`]));
    expect(leaves(DEFAULT_LAB_CONFIG, '').filter((key) => !documented.includes(key))).toEqual([]);
  });
});

describe('the pinned versions', () => {
  test('every pinned chart version has a contract read from that chart\'s source', () => {
    const missing = Object.values(PINNED.charts)
      .filter((c) => !CHART_CONTRACTS[c.chart]?.[c.version])
      .map((c) => `${c.chart} ${c.version}`);
    expect(missing).toEqual([]);
  });

  test('each chart comes from the Helm repository its project names', () => {
    expect(Object.fromEntries(Object.values(PINNED.charts).map((c) => [c.chart, c.repository]))).toEqual({
      // traefik/traefik-helm-chart README.md, Prerequisites: `helm repo add traefik https://traefik.github.io/charts`
      traefik: 'https://traefik.github.io/charts',
      // kubernetes-sigs/metrics-server charts/metrics-server/README.md, Installing the Chart
      'metrics-server': 'https://kubernetes-sigs.github.io/metrics-server/',
      // kubernetes-sigs/headlamp charts/headlamp/README.md, Quick Start
      headlamp: 'https://kubernetes-sigs.github.io/headlamp/',
      // The gh-pages branch of kubernetes/dashboard, served by GitHub Pages at <owner>.github.io/<repository>;
      // the repository moved to the kubernetes-retired owner when it was archived (2026-01-21).
      'kubernetes-dashboard': 'https://kubernetes-retired.github.io/dashboard/',
    });
  });
});

import { resourcesOf, synthLab } from '../app/synth-lab';
import { CHART_CONTRACTS } from './chart-contracts';
import { contractViolations } from './check-values';

// Every chart value the stacks synthesize must be one the pinned chart version defines, with its type.
const variants = {
  'default lab (Headlamp)': synthLab(),
  'legacy Kubernetes Dashboard': synthLab({ components: { dashboard: { kind: 'kubernetes-dashboard' } } }),
};

const releases = Object.entries(variants).flatMap(([variant, lab]) =>
  Object.entries(lab.stacks).flatMap(([stack, json]) =>
    Object.values<any>(resourcesOf(json, 'helm_release')).map((r) => ({ where: `${variant}, stack ${stack}`, release: r })),
  ),
);

describe('the chart contract', () => {
  // Every pinned chart version has a contract: __tests__/config/default-lab.test.ts.
  test('the lab variants install all four charts', () => {
    expect([...new Set(releases.map((r) => r.release.chart))].sort()).toEqual(['headlamp', 'kubernetes-dashboard', 'metrics-server', 'traefik']);
  });

  test.each(releases.map((r) => [`${r.release.chart} ${r.release.version} (${r.where})`, r.release]))(
    '%s: every value is in its chart version\'s contract, with the chart\'s type',
    (_name, release: any) => {
      const contract = CHART_CONTRACTS[release.chart]?.[release.version];
      expect(contract ? 'contract found' : `no contract for ${release.chart} ${release.version}`).toBe('contract found');
      expect(release.values).toHaveLength(1);
      expect(contractViolations(JSON.parse(release.values[0]), contract)).toEqual([]);
    },
  );

  describe('the check itself', () => {
    const traefik = CHART_CONTRACTS.traefik['41.3.0'];
    test('flags paths the chart does not define, naming each', () => {
      // The two values ingress carried before: Traefik chart 41.3.0 moved ports.<name>.tls to ports.<name>.http.tls
      // and reads the Service type only from service.spec.
      expect(contractViolations({ service: { type: 'LoadBalancer' }, ports: { websecure: { exposedPort: 443, tls: { enabled: true } } } }, traefik)).toEqual([
        'service.type is not in the contract of traefik/traefik-helm-chart@v41.3.0',
        'ports.websecure.tls.enabled is not in the contract of traefik/traefik-helm-chart@v41.3.0',
      ]);
    });
    test('flags a value of another type or outside the allowed values', () => {
      const headlamp = CHART_CONTRACTS.headlamp['0.45.0'];
      const found = contractViolations({ service: { port: '80', type: 'Ingress' }, clusterRoleBinding: { create: 'false' } }, headlamp);
      expect(found).toHaveLength(3);
      expect(found[0]).toMatch(/^service\.port is "80" \(string\), the chart defines integer/);
      expect(found[1]).toMatch(/^service\.type is "Ingress", the chart allows ClusterIP, NodePort, LoadBalancer, ExternalName/);
      expect(found[2]).toMatch(/^clusterRoleBinding\.create is "false" \(string\), the chart defines boolean/);
      expect(contractViolations({ additionalArguments: [1] }, traefik)).toHaveLength(1);
      expect(contractViolations({ ports: { web: { exposedPort: 80.5 } } }, traefik)).toHaveLength(1);
    });
    test('accepts a value the contract lists, and no values at all', () => {
      expect(contractViolations({ ports: { websecure: { http: { tls: { enabled: true } } } } }, traefik)).toEqual([]);
      expect(contractViolations({}, CHART_CONTRACTS['metrics-server']['3.13.1'])).toEqual([]);
    });
  });

  test('every contract entry cites a file and line at a tag', () => {
    for (const [chart, versions] of Object.entries(CHART_CONTRACTS)) {
      for (const [version, contract] of Object.entries(versions)) {
        expect(contract.source).toMatch(/^[\w.-]+\/[\w.-]+@[\w.+-]+/);
        for (const [path, entry] of Object.entries(contract.paths)) {
          expect({ chart, version, path, cite: entry.cite }).toEqual({ chart, version, path, cite: expect.stringMatching(/[\w/.-]+\.yaml:\d+/) });
        }
      }
    }
  });
});

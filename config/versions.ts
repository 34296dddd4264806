/**
 * Pinned versions of everything the lab installs. Bump deliberately, after checking
 * the release notes (see ../shared/design.md, "Versions").
 */
export const PINNED = {
  /** K3s stable channel, Aug 2026. */
  k3s: 'v1.36.4+k3s1',
  ubuntuRelease: 'noble',
  charts: {
    traefik: { repository: 'https://traefik.github.io/charts', chart: 'traefik', version: '41.3.0' },
    metricsServer: {
      repository: 'https://kubernetes-sigs.github.io/metrics-server/',
      chart: 'metrics-server',
      version: '3.13.1',
    },
    headlamp: { repository: 'https://kubernetes-sigs.github.io/headlamp/', chart: 'headlamp', version: '0.45.0' },
    /** Archived upstream on 2026-01-21; the community mirror below is what still serves the chart. */
    kubernetesDashboard: {
      repository: 'https://kubernetes-retired.github.io/dashboard/',
      chart: 'kubernetes-dashboard',
      version: '7.14.0',
    },
  },
} as const;

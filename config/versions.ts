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
    /**
     * The project's own Helm repository (the gh-pages branch of kubernetes/dashboard, served
     * by GitHub Pages). The project was archived on 2026-01-21 and moved, with that branch, to
     * kubernetes-retired/dashboard: the same repository under a new owner, hence the new host.
     * 7.13.0 is listed in its index.yaml (gh-pages commit 527db60) and tagged
     * kubernetes-dashboard-7.13.0; it is the newest release in the copy read (October 2025),
     * where 7.14.0 appears only in an unmerged change, so 7.14.0 is unconfirmed.
     */
    kubernetesDashboard: {
      repository: 'https://kubernetes-retired.github.io/dashboard/',
      chart: 'kubernetes-dashboard',
      version: '7.13.0',
    },
  },
} as const;

import { LabConfigInput } from './lab-config';
import { PINNED } from './versions';

/** The lab of the study notes in ../shared/seeds, used when no kubelab.config.yaml exists. */
export const DEFAULT_LAB_CONFIG: LabConfigInput = {
  name: 'kubelab',
  network: { cidr: '192.168.56.0/24', hostIp: '192.168.56.1' },
  image: { release: PINNED.ubuntuRelease },
  k3s: { version: PINNED.k3s, installer: { source: 'online' } },
  nodes: [
    { name: 'cp1', role: 'server', ip: '192.168.56.10' },
    { name: 'w1', role: 'agent', ip: '192.168.56.11' },
    { name: 'w2', role: 'agent', ip: '192.168.56.12' },
  ],
  components: {
    ingress: { enabled: true, chartVersion: PINNED.charts.traefik.version },
    metricsServer: { enabled: true, chartVersion: PINNED.charts.metricsServer.version },
    dashboard: { enabled: true, kind: 'headlamp' },
    hpaDemo: { enabled: true },
  },
};

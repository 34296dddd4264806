import { Construct } from 'constructs';
import { LabConfig } from '../config/lab-config';
import { PINNED } from '../config/versions';
import { ChartRelease } from './chart-release';
import { SystemNamespace } from './system-namespace';

export interface MetricsServerProps {
  readonly config: LabConfig;
}

/**
 * metrics-server, which `kubectl top` and the HPA read. K3s runs with
 * `--disable metrics-server`, so this is the only copy.
 *
 * The chart's defaults fit K3s as they are, so the lab sets no value:
 * - Kubelet TLS is verified, without `--kubelet-insecure-tls`. K3s signs every
 *   kubelet serving certificate with its server CA, for the node name, localhost,
 *   127.0.0.1 and the node IPs (k3s-io/k3s pkg/server/handlers/handlers.go,
 *   ServingKubeletCert), and gives kube-controller-manager that same CA as
 *   `--root-ca-file` (pkg/daemons/control/server.go), which is the ca.crt every pod
 *   gets with its ServiceAccount. metrics-server checks kubelets against that
 *   in-cluster CA unless told otherwise (kubernetes-sigs/metrics-server v0.8.1, the
 *   app of chart 3.13.1: cmd/metrics-server/app/options/kubelet_client.go, Config).
 *   K3s files read at stored commits, not confirmed at tag v1.36.4+k3s1.
 * - The chart's defaultArgs (charts/metrics-server/values.yaml:95-99 at tag
 *   metrics-server-helm-chart-3.13.1) prefer InternalIP, which is each node's
 *   host-only address (--node-ip) and in its certificate. Node hostnames would work
 *   too: K3s writes every node's name and InternalIP into CoreDNS's NodeHosts
 *   (pkg/node/controller.go).
 */
export class MetricsServer extends ChartRelease {
  constructor(scope: Construct, id: string, props: MetricsServerProps) {
    super(scope, id, {
      chart: PINNED.charts.metricsServer,
      version: props.config.components.metricsServer.chartVersion,
      // Where K3s's bundled copy lived, and where `kubectl top` users look for it.
      namespace: SystemNamespace.KUBE_SYSTEM,
      values: {},
    });
  }
}

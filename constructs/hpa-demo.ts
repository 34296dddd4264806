import { Construct } from 'constructs';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { LAB_APPS } from '../config/urls';
import { LabNamespace } from './lab-namespace';
import { WebRoute } from './web-route';

export interface HpaDemoProps {
  readonly namespace: LabNamespace;
  /** Hostname the demo answers on through the ingress. */
  readonly host: string;
}

/** What the HPA demo is scaled on and between; `kubelab verify --load` checks against these. */
export const HPA_DEMO_SCALING = {
  minReplicas: 1,
  maxReplicas: 10,
  targetCpuUtilization: 50,
  /**
   * Seconds the HPA waits before scaling down after the load stops. The default
   * 300 s is long to watch in a lab; 60 s still avoids flapping between samples
   * (metrics-server resolution 15 s).
   */
  scaleDownStabilizationSeconds: 60,
} as const;

/**
 * The app the HPA scales: Kubernetes' own e2e resource-consumer, which burns the CPU each
 * request asks for (POST /ConsumeCPU?millicores=&durationSec=, port 8080:
 * kubernetes/kubernetes test/images/resource-consumer). The walkthrough's
 * registry.k8s.io/hpa-example exists for amd64 only (kubernetes/website issue #52532);
 * this one is built for arm64 too, so the same demo runs on Apple Silicon.
 */
export const HPA_DEMO_IMAGE = 'registry.k8s.io/e2e-test-images/resource-consumer:1.13';
const HPA_DEMO_PORT = 8080;

/**
 * The HorizontalPodAutoscaler walkthrough of kubernetes.io, named php-apache as there,
 * with CPU requests 200m and limits 500m (without requests the HPA shows `<unknown>`),
 * scaled 1..10 at 50% CPU by an autoscaling/v2 HPA. Only the image differs: see
 * HPA_DEMO_IMAGE.
 */
export class HpaDemo extends Construct {
  static readonly APP = LAB_APPS.hpaDemo.name;
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;
  readonly autoscaler: HorizontalPodAutoscalerV2;
  readonly route: WebRoute;

  constructor(scope: Construct, id: string, props: HpaDemoProps) {
    super(scope, id);
    const name = HpaDemo.APP;
    const namespace = props.namespace.namespaceName;
    const labels = { app: name };
    const scaling = HPA_DEMO_SCALING;
    this.deployment = new DeploymentV1(this, 'deployment', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            container: [
              {
                name,
                image: HPA_DEMO_IMAGE,
                port: [{ containerPort: HPA_DEMO_PORT }],
                resources: { requests: { cpu: '200m' }, limits: { cpu: '500m' } },
              },
            ],
          },
        },
      },
      // The HPA owns the replica count from here on; a re-apply must not reset it.
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      dependsOn: [props.namespace],
    });
    this.service = new ServiceV1(this, 'service', {
      metadata: { name, namespace, labels },
      spec: { selector: labels, port: [{ port: 80, targetPort: String(HPA_DEMO_PORT) }] },
      dependsOn: [props.namespace],
    });
    this.autoscaler = new HorizontalPodAutoscalerV2(this, 'autoscaler', {
      metadata: { name, namespace },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: scaling.minReplicas,
        maxReplicas: scaling.maxReplicas,
        metric: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.targetCpuUtilization } } },
        ],
        behavior: {
          scaleDown: [
            {
              stabilizationWindowSeconds: scaling.scaleDownStabilizationSeconds,
              selectPolicy: 'Max',
              policy: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
            },
          ],
        },
      },
      dependsOn: [this.deployment],
    });
    this.route = new WebRoute(this, name, { host: props.host, backend: { namespace: props.namespace, name, port: 80 } });
  }
}

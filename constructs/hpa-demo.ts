import { Construct } from 'constructs';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { LabNamespace } from './lab-namespace';
import { WebRoute } from './web-route';

export interface HpaDemoProps {
  readonly namespace: LabNamespace;
  /** Hostname the demo answers on through the ingress. */
  readonly host: string;
}

/**
 * The HorizontalPodAutoscaler walkthrough of kubernetes.io: php-apache with CPU
 * requests (without them the HPA shows `<unknown>`), scaled 1..10 at 50% CPU.
 */
export class HpaDemo extends Construct {
  static readonly APP = 'php-apache';
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;
  readonly autoscaler: HorizontalPodAutoscalerV2;
  readonly route: WebRoute;

  constructor(scope: Construct, id: string, props: HpaDemoProps) {
    super(scope, id);
    const name = HpaDemo.APP;
    const namespace = props.namespace.namespaceName;
    const labels = { app: name };
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
                image: 'registry.k8s.io/hpa-example',
                port: [{ containerPort: 80 }],
                resources: { requests: { cpu: '200m' }, limits: { cpu: '500m' } },
              },
            ],
          },
        },
      },
      dependsOn: [props.namespace],
    });
    this.service = new ServiceV1(this, 'service', {
      metadata: { name, namespace, labels },
      spec: { selector: labels, port: [{ port: 80, targetPort: '80' }] },
      dependsOn: [props.namespace],
    });
    this.autoscaler = new HorizontalPodAutoscalerV2(this, 'autoscaler', {
      metadata: { name, namespace },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 1,
        maxReplicas: 10,
        metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        // The default 5-minute scale-down window is long to watch in a lab.
        behavior: { scaleDown: [{ stabilizationWindowSeconds: 60, selectPolicy: 'Max', policy: [{ type: 'Percent', value: 100, periodSeconds: 15 }] }] },
      },
      dependsOn: [this.deployment],
    });
    this.route = new WebRoute(this, name, { host: props.host, backend: { namespace, name, port: 80 } });
  }
}

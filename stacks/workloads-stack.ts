import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { LAB_APPS, labUrls } from '../config/urls';
import { HpaDemo } from '../constructs/hpa-demo';
import { LabNamespace } from '../constructs/lab-namespace';
import { ClusterStack, ClusterStackProps } from './cluster-stack';

/** `workloads`: the HPA demo, reachable through the ingress. Empty when components.hpaDemo is off. */
export class WorkloadsStack extends ClusterStack {
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const url = labUrls(props.config).hpaDemo;
    if (!url) return;
    const namespace = new LabNamespace(this, 'namespace', { name: LAB_APPS.hpaDemo.namespace });
    new HpaDemo(this, 'hpa-demo', { namespace, host: url.host });
    new TerraformOutput(this, 'hpa_demo_url', { value: url.url, description: 'The HPA demo app; npx kubelab load start puts it under load' });
  }
}

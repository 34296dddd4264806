import { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { LabConfig } from '../config/lab-config';
import { KUBECONFIG_FROM_STACK } from '../config/paths';
import { LabStack } from './lab-stack';

export interface ClusterStackProps {
  readonly config: LabConfig;
}

/**
 * A stack that talks to the cluster. Its kubernetes and helm providers read the
 * kubeconfig the k3s stack writes, by a path relative to the stack dir, so the
 * synthesized JSON is the same on every machine and holds no credentials.
 */
export class ClusterStack extends LabStack {
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { config } = props;
    new KubernetesProvider(this, 'kubernetes', { configPath: KUBECONFIG_FROM_STACK, configContext: config.name });
    new HelmProvider(this, 'helm', { kubernetes: { configPath: KUBECONFIG_FROM_STACK, configContext: config.name } });
  }
}

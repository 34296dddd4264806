import { Construct } from 'constructs';
import { TraefikIngressController } from '../constructs/traefik-ingress-controller';
import { ClusterStack, ClusterStackProps } from './cluster-stack';

/** `ingress`: Traefik. Empty when components.ingress is off, so a deploy removes it. */
export class IngressStack extends ClusterStack {
  readonly controller?: TraefikIngressController;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    if (props.config.components.ingress.enabled) {
      this.controller = new TraefikIngressController(this, 'traefik', { config: props.config });
    }
  }
}

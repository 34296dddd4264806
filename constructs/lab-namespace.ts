import { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';

/** A namespace the lab owns; destroying it removes whatever the lab put there. */
export class LabNamespace extends NamespaceV1 {
  readonly namespaceName: string;

  constructor(scope: Construct, id: string, props: { readonly name: string }) {
    super(scope, id, { metadata: { name: props.name, labels: { 'app.kubernetes.io/part-of': 'kubelab' } } });
    this.namespaceName = props.name;
  }
}

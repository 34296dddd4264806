import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { LabNamespace } from './lab-namespace';
import { SystemNamespace } from './system-namespace';

/** A Service a Helm chart creates, named so an Ingress can route to it. */
export interface ChartService {
  readonly namespace: LabNamespace;
  readonly name: string;
  readonly port: number;
}

export interface ChartReleaseProps {
  readonly chart: { readonly repository: string; readonly chart: string };
  /** Exact chart version; never a range, so a re-deploy installs the same thing. */
  readonly version: string;
  /** Where the release lives. A LabNamespace is created before the release. */
  readonly namespace: LabNamespace | SystemNamespace;
  /**
   * Chart values; written as one deterministic JSON document (JSON is YAML). Each must be
   * a path the pinned chart version defines (the tests hold them to a cited contract).
   */
  readonly values: Readonly<Record<string, unknown>>;
}

/** A pinned Helm chart installed and waited for (atomic: a failed install rolls back). */
export class ChartRelease extends Construct implements ITerraformDependable {
  readonly release: Release;
  readonly namespace: LabNamespace | SystemNamespace;

  constructor(scope: Construct, id: string, props: ChartReleaseProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.release = new Release(this, 'release', {
      name: id,
      repository: props.chart.repository,
      chart: props.chart.chart,
      version: props.version,
      namespace: props.namespace.namespaceName,
      // The namespace is the lab's (created first, below) or Kubernetes' own; never the chart's.
      createNamespace: false,
      values: [JSON.stringify(props.values, null, 2)],
      wait: true,
      atomic: true,
      timeout: 600,
      dependsOn: props.namespace instanceof LabNamespace ? [props.namespace] : undefined,
    });
  }

  get fqn(): string {
    return this.release.fqn;
  }
}

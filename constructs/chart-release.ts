import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';

/** A Service a Helm chart creates, named so an Ingress can route to it. */
export interface ChartService {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
}

export interface ChartReleaseProps {
  readonly chart: { readonly repository: string; readonly chart: string };
  /** Exact chart version; never a range, so a re-deploy installs the same thing. */
  readonly version: string;
  readonly namespace: string;
  /** Chart values; written as one deterministic JSON document (JSON is YAML). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Create the namespace with the release. @default false (the stack creates it) */
  readonly createNamespace?: boolean;
  /** @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** A pinned Helm chart installed and waited for (atomic: a failed install rolls back). */
export class ChartRelease extends Construct implements ITerraformDependable {
  readonly release: Release;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: ChartReleaseProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.release = new Release(this, 'release', {
      name: id,
      repository: props.chart.repository,
      chart: props.chart.chart,
      version: props.version,
      namespace: props.namespace,
      createNamespace: props.createNamespace ?? false,
      values: [JSON.stringify(props.values, null, 2)],
      wait: true,
      atomic: true,
      timeout: 600,
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
  }

  get fqn(): string {
    return this.release.fqn;
  }
}

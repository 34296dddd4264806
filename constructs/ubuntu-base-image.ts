import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { LabConfig } from '../config/lab-config';
import { LabStep } from './lab-step';

export interface UbuntuBaseImageProps {
  readonly config: LabConfig;
  /** @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The Ubuntu cloud image, downloaded once into the user's cache and imported once
 * as the lab's base VM with a snapshot; every node is a linked clone of it.
 * Destroy removes the base VM and keeps the download cache.
 */
export class UbuntuBaseImage extends LabStep {
  readonly release: string;

  constructor(scope: Construct, id: string, props: UbuntuBaseImageProps) {
    const { name, image } = props.config;
    super(scope, id, {
      triggers: { lab: name, release: image.release },
      create: (self) => ['image', 'import', '--lab', self.lab],
      destroy: (self) => ['image', 'remove', '--lab', self.lab],
      dependsOn: props.dependsOn,
    });
    this.release = image.release;
  }
}

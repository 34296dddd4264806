import { Construct } from 'constructs';
import { LocalBackend, TerraformStack } from 'cdktf';
import { PROJECT_FROM_STACK_DIR } from '../config/paths';

/**
 * A deploy unit of the lab. Its Terraform state lives in the project root
 * (terraform.<stack>.tfstate, git-ignored), outside cdktf.out/ which every synth
 * rewrites, and by a relative path: the default local backend would bake in an
 * absolute one.
 */
export class LabStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: `${PROJECT_FROM_STACK_DIR}/terraform.${id}.tfstate` });
  }
}

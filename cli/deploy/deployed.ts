import * as fs from 'fs';
import * as path from 'path';

/** Whether Terraform's state of a stack (terraform.<stack>.tfstate, stacks/lab-stack.ts) holds any resource. */
export function isDeployed(projectDir: string, stack: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(path.join(projectDir, `terraform.${stack}.tfstate`), 'utf8');
  } catch {
    return false;
  }
  try {
    const state = JSON.parse(text) as { resources?: unknown[] };
    return (state.resources ?? []).length > 0;
  } catch {
    // Half-written or hand-edited: Terraform itself will say what is wrong with it.
    return true;
  }
}

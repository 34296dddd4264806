import * as os from 'os';
import { Testing, TerraformStack } from 'cdktf';
import { resolveLabConfig } from '../../config/load';
import { K3sStack } from '../../stacks/k3s-stack';
import { VmsStack } from '../../stacks/vms-stack';

/**
 * Synthesis in this process, to the JSON Terraform reads (Testing.synth: nothing is written to
 * disk), so each test builds what it checks and mutation testing runs only the tests a change
 * reaches.
 */

/** One null_resource as synthesized: its triggers, depends_on and provisioners. */
export interface StepJson {
  readonly triggers: Record<string, string>;
  readonly depends_on?: string[];
  readonly provisioner?: { 'local-exec': { command: string; when?: string } }[];
}

// An App's outdir is only written by app.synth(), which these never call.
const app = () => Testing.app({ outdir: os.tmpdir() });
const nullResources = (stack: TerraformStack): Record<string, StepJson> => JSON.parse(Testing.synth(stack)).resource?.null_resource ?? {};

/** What `build` adds to an empty stack, as null_resources by address name. */
export function synthSteps(build: (stack: TerraformStack) => void): Record<string, StepJson> {
  const stack = new TerraformStack(app(), 'stack');
  build(stack);
  return nullResources(stack);
}

/** The vms and k3s stacks of a lab (config overrides as in kubelab.config.yaml), as null_resources by address name. */
export function labSteps(overrides: unknown = {}): { vms: Record<string, StepJson>; k3s: Record<string, StepJson> } {
  const config = resolveLabConfig(overrides).config;
  const scope = app();
  const vms = new VmsStack(scope, 'vms', { config });
  const k3s = new K3sStack(scope, 'k3s', { config, vms: vms.vms });
  return { vms: nullResources(vms), k3s: nullResources(k3s) };
}

/** The names of the steps whose triggers differ between two syntheses (Terraform replaces exactly those). */
export function replacedSteps(before: Record<string, StepJson>, after: Record<string, StepJson>): string[] {
  return Object.keys({ ...before, ...after })
    .filter((name) => JSON.stringify(before[name]?.triggers) !== JSON.stringify(after[name]?.triggers))
    .sort();
}

/**
 * The `kubelab` arguments Terraform runs for a step's create or destroy provisioner, or undefined
 * when it has none. Terraform fills `${self.triggers.<name>}` in with the planned value before any
 * shell sees the line ("Expressions in provisioner blocks cannot refer to their parent resource by
 * name. Instead, they can use the special `self` object": hashicorp/terraform,
 * website/docs/language/resources/provisioners/syntax.mdx, "The self Object"; read in a stored copy,
 * unverified at v1.11.4). The line then is `node <entry> <args>`, split on single spaces (every
 * word is shell-neutral: constructs/kubelab-command.ts refuses any other).
 */
export function kubelabArgs(step: StepJson, when: 'create' | 'destroy'): string[] | undefined {
  const found = (step.provisioner ?? []).filter((p) => (p['local-exec'].when === 'destroy') === (when === 'destroy'));
  if (found.length > 1) throw new Error(`more than one ${when} provisioner`);
  if (found.length === 0) return undefined;
  const line = found[0]['local-exec'].command.replace(/\$\{self\.triggers\.([a-z_]+)\}/g, (_m, name: string) => {
    if (!(name in step.triggers)) throw new Error(`the ${when} line reads self.triggers.${name}, which the step does not have`);
    return step.triggers[name];
  });
  const [node, entry, ...args] = line.split(' ');
  if (node !== 'node' || !/(^|\/)bin\/kubelab\.js$/.test(entry)) throw new Error(`not a kubelab command line: ${line}`);
  return args;
}

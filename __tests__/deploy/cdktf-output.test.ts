import { CdktfOutput } from '../../cli/deploy/cdktf-output';

/** Lines as cdktf 0.21.0 (CI=1) printed them around terraform 1.11.4's plan and a failed preflight, captured here. */
const CAPTURED = [
  'vms  Terraform has been successfully initialized!',
  'vms  Terraform used the selected providers to generate the following execution plan.',
  '     Resource actions are indicated with the following symbols:',
  'vms  + create',
  '     Terraform will perform the following actions:',
  '       # null_resource.image (image/step) will be created',
  '       + resource "null_resource" "image" {',
  '           + id       = (known after apply)',
  '         }',
  '     Plan: 7 to add, 0 to change, 0 to destroy.',
  'vms  null_resource.preflight (preflight/step): Creating...',
  '     null_resource.preflight (preflight/step) (local-exec): Executing: ["/bin/sh" "-c" "node ../../../bin/kubelab.js --spec=eyJuYW1lIjoia3ViZWxhYiJ9 doctor --preflight"]',
  'vms  null_resource.preflight (preflight/step) (local-exec): FAIL virtualbox: VirtualBox is missing',
  'vms  Error: local-exec provisioner error',
  '⠋  Processing',
  '0 Stacks deploying     1 Stack done     0 Stacks waiting',
];

test("without --verbose: Terraform's plan and local-exec's command lines are left out, the plan's summary and everything else stay; the first error is kept", () => {
  const output = new CdktfOutput(false);
  const shown = CAPTURED.map((l) => output.line(l)).filter((l) => l !== undefined);
  expect(shown).toEqual([
    'vms  Terraform has been successfully initialized!',
    '     Plan: 7 to add, 0 to change, 0 to destroy.',
    'vms  null_resource.preflight (preflight/step): Creating...',
    'vms  null_resource.preflight (preflight/step) (local-exec): FAIL virtualbox: VirtualBox is missing',
    'vms  Error: local-exec provisioner error',
    '0 Stacks deploying     1 Stack done     0 Stacks waiting',
  ]);
  expect(output.hidden).toBe(9);
  expect(output.firstError).toBe('local-exec provisioner error');
});

test('with --verbose: all but the spinner', () => {
  const output = new CdktfOutput(true);
  expect(CAPTURED.map((l) => output.line(l)).filter((l) => l !== undefined)).toEqual(CAPTURED.filter((l) => !l.startsWith('⠋')));
});

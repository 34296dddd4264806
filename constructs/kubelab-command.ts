import { CLI_ENTRY, PROJECT_FROM_STACK_DIR } from '../config/paths';

/**
 * Characters that mean the same in cmd, PowerShell and sh, so one command line
 * works unchanged on every host: no quotes, spaces, `$`, `%`, `;`, `&` or globs.
 */
const SHELL_NEUTRAL = /^[A-Za-z0-9._:/=+-]+$/;
/** `${self.triggers.x}`, alone or as `--option=${self.triggers.x}`: Terraform replaces it before any shell sees the line. */
const SELF_TRIGGER = /^(--[a-z-]+=)?\$\{self\.triggers\.[a-z_]+\}$/;

/**
 * One `kubelab` command line as Terraform's local-exec runs it from the stack dir
 * (cdktf.out/stacks/<stack>): `node ../../../bin/kubelab.js <args>`.
 */
export function kubelabCommandLine(args: readonly string[]): string {
  for (const arg of args) {
    if (!SHELL_NEUTRAL.test(arg) && !SELF_TRIGGER.test(arg)) {
      throw new Error(
        `kubelab command argument ${JSON.stringify(arg)} holds characters that cmd, PowerShell and sh treat differently; ` +
          'use only letters, digits and . _ : / = + -',
      );
    }
  }
  return ['node', `${PROJECT_FROM_STACK_DIR}/${CLI_ENTRY}`, ...args].join(' ');
}

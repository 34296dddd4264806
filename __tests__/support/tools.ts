import { execFileSync } from 'child_process';

/** True when `name` can be found on PATH (or is an existing absolute path). */
export function hasTool(name: string): boolean {
  try {
    execFileSync(process.platform === 'win32' ? 'where' : 'sh', process.platform === 'win32' ? [name] : ['-c', 'command -v "$1"', 'sh', name], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` when the system tool is installed. Without it the suite is skipped with a
 * visible reason, unless KUBELAB_REQUIRE_TOOLS=1 (CI), where a missing tool is a failure.
 */
export function requireTool(name: string): jest.Describe {
  if (hasTool(name)) return describe;
  const reason = `${name} is not installed (CI installs it in .ci/run)`;
  if (process.env.KUBELAB_REQUIRE_TOOLS === '1') {
    throw new Error(`KUBELAB_REQUIRE_TOOLS=1 but ${reason}`);
  }
  console.warn(`SKIPPED: ${reason}`);
  return describe.skip;
}

/** Upper bound for one run of a system tool or of our CLI in a test: a hang fails that test instead of stalling CI. */
export const TOOL_TIMEOUT_MS = 60_000;

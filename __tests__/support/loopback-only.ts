const { onlyLoopback } = require('./loopback-only-check') as { onlyLoopback: () => boolean };

/**
 * `describe` for scenarios that reach node addresses (192.168.56.x) or doctor's 203.0.113.1:
 * they run only where no interface but loopback exists (npm run test:terraform makes that
 * namespace: in-loopback-netns.js). Elsewhere — e.g. jest started by hand on a developer's
 * machine — they are refused with one line instead of probing; a failure under
 * KUBELAB_REQUIRE_TOOLS=1 (CI).
 */
export function requireLoopbackOnly(what: string, npmScript: string): jest.Describe {
  if (onlyLoopback()) return describe;
  const reason = `REFUSED: ${what} reaches node addresses (192.168.56.x) and 203.0.113.1, and this process has network interfaces besides loopback; run it with npm run ${npmScript}, which makes a loopback-only network namespace`;
  if (process.env.KUBELAB_REQUIRE_TOOLS === '1') throw new Error(reason);
  // Straight to stderr: jest shows no console output of a file whose tests are all skipped.
  process.stderr.write(`${reason}\n`);
  return describe.skip;
}

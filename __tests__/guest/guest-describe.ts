/**
 * `describe` for a real-guest suite file, or `describe.skip` with the reason shown when the
 * machine lacks what the guests need (run.sh says what in KUBELAB_TEST_GUEST_MISSING, or the
 * guest image was not built); under KUBELAB_REQUIRE_TOOLS=1 (.ci/run) a missing tool fails.
 */
export function guestDescribe(what: string): jest.Describe {
  const missing = process.env.KUBELAB_TEST_GUEST_MISSING || (process.env.KUBELAB_TEST_GUEST_DIR ? '' : 'KUBELAB_TEST_GUEST_DIR (run it with npm run test:guest, which builds the guest image)');
  if (!missing) return describe;
  const reason = `${what} needs ${missing}, which this machine lacks (CI installs it in .ci/run)`;
  if (process.env.KUBELAB_REQUIRE_TOOLS === '1') throw new Error(`KUBELAB_REQUIRE_TOOLS=1 but ${reason}`);
  console.warn(`SKIPPED: ${reason}`);
  return describe.skip;
}

/** What the real-guest suites (test:guest, test:joined) share: the image server, the stand-in K3s files, the skip rule. */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';

/** The test guest image exactly as kubelab downloads the Ubuntu one: the OVA and SHA256SUMS over HTTP on loopback. */
export async function serveGuestImage(guestDir: string): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = path.join(guestDir, path.basename(req.url ?? ''));
    if (![`/${UBUNTU_OVA_FILE}`, '/SHA256SUMS'].includes(req.url ?? '') || !fs.existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Puts the stand-in k3s (k3s-standin.py reporting `version`) and install.sh (install-standin.sh)
 * into the project and returns the config lines that make kubelab upload them.
 */
export function standInK3sInstaller(project: string, version: string): string[] {
  const binary = `k3s-${version}`;
  const source = fs.readFileSync(path.join(__dirname, 'k3s-standin.py'), 'utf8');
  fs.writeFileSync(path.join(project, binary), source.replace("VERSION = 'v0.0.0+standin'", `VERSION = '${version}'`), { mode: 0o755 });
  fs.copyFileSync(path.join(__dirname, 'install-standin.sh'), path.join(project, 'install.sh'));
  return [`k3s:`, `  version: ${version}`, `  installer: { source: local, binary: ${binary}, script: install.sh }`];
}

/** `describe` when the guest image is there (run.sh built it), else skipped with the reason (failed under KUBELAB_REQUIRE_TOOLS=1). */
export function guestDescribe(suite: string, script: string): jest.Describe {
  const missing = process.env.KUBELAB_TEST_GUEST_MISSING || (process.env.KUBELAB_TEST_GUEST_DIR ? '' : `KUBELAB_TEST_GUEST_DIR (run it with npm run ${script}, which builds the guest image)`);
  if (!missing) return describe;
  const reason = `the ${suite} needs ${missing}, which this machine lacks (CI installs it in .ci/run)`;
  if (process.env.KUBELAB_REQUIRE_TOOLS === '1') throw new Error(`KUBELAB_REQUIRE_TOOLS=1 but ${reason}`);
  console.warn(`SKIPPED: ${reason}`);
  return describe.skip;
}

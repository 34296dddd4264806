import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectToNode } from '../../cli/ssh/client';
import { ensureLabKeyPair } from '../../cli/ssh/keys';
import { nodeSshTarget } from '../../cli/ssh/target';
import { labPaths } from '../../config/paths';

/**
 * Only inside a network namespace that has nothing but loopback (as `.ci/run` runs the
 * tests) is a node address safely "unreachable": the kernel refuses the connect at once
 * with ENETUNREACH and no packet leaves. Anywhere else this test must not dial a node address.
 */
function onlyLoopback(): boolean {
  return Object.keys(os.networkInterfaces()).every((name) => name === 'lo');
}
const isolated = onlyLoopback();
if (!isolated) {
  const reason = 'not inside a network namespace with only loopback (run: unshare --net sh -c "ip link set lo up && npx jest __tests__/ssh/unreachable")';
  console.warn(`SKIPPED: ${reason}`);
}

(isolated ? test : test.skip)('a node on a network this host has no route to fails within seconds, with advice, not after the whole timeout', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-unreach-'));
  try {
    const paths = labPaths(dir);
    ensureLabKeyPair(paths);
    const progress: string[] = [];
    const started = Date.now();
    const attempt = connectToNode({ paths, target: nodeSshTarget('cp1', '192.168.56.10', {}), timeoutMs: 120_000, onProgress: (l) => progress.push(l) });
    await expect(attempt).rejects.toThrow(
      /^cannot reach cp1 \(192\.168\.56\.10\): this host has no route to 192\.168\.56\.10 \(network is unreachable\)\. .*npx kubelab doctor, and npx kubelab network up/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

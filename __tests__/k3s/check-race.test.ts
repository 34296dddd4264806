/**
 * `--check` of the node script, run by bash on this machine against a temp dir playing "/"
 * (KUBELAB_NODE_ROOT), with the recording install.sh stand-in and a stand-in systemctl.
 * The k3s stand-in prints a long `--version` (like the real one's several lines, only more):
 * a `--version | head -n 1 | grep` pipeline then dies of SIGPIPE under pipefail every time.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checksumsFileText } from '../../cli/k3s/installer-files';
import { renderK3sNodeScript } from '../../cli/k3s/node-script';
import { k3sStepPlan } from '../../config/k3s-plan';
import { resolveLabConfig } from '../../config/load';
import { STAND_IN_SYSTEMCTL, recordingStandInInstallScript } from './stand-ins';

const VERSION = 'v1.36.4+k3s1';

test('--check after an install says "unchanged" every time, however much `k3s --version` prints', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-check-race-'));
  try {
    const [root, staging, bin, cluster] = ['root', 'staging', 'bin', 'cluster'].map((d) => path.join(dir, d));
    for (const d of [root, staging, bin, cluster]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(bin, 'systemctl'), STAND_IN_SYSTEMCTL, { mode: 0o755 });
    // STAND-IN k3s: the version line, then more than a pipe buffer (64 KiB) of further lines.
    fs.writeFileSync(path.join(staging, 'k3s'), `#!/bin/bash\necho "k3s version ${VERSION} (stand-in)"\nfor i in $(seq 5000); do echo "go version stand-in line $i"; done\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(staging, 'install.sh'), recordingStandInInstallScript(cluster));
    fs.writeFileSync(path.join(staging, 'SHA256SUMS'), checksumsFileText({ 'install.sh': path.join(staging, 'install.sh'), k3s: path.join(staging, 'k3s') }));
    const cfg = resolveLabConfig({ k3s: { version: VERSION } }).config;
    fs.writeFileSync(path.join(staging, 'k3s-server.sh'), renderK3sNodeScript(k3sStepPlan(cfg, cfg.nodes[0], 'upload')));
    const env = { ...process.env, KUBELAB_NODE_ROOT: root, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    execFileSync('bash', [path.join(staging, 'k3s-server.sh'), '--install'], { env, input: 'a-token\n', encoding: 'utf8' });
    for (let i = 0; i < 5; i++) {
      const check = spawnSync('bash', [path.join(staging, 'k3s-server.sh'), '--check'], { env, encoding: 'utf8' });
      expect({ status: check.status, stdout: check.stdout }).toEqual({ status: 0, stdout: expect.stringContaining('kubelab: unchanged:') });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

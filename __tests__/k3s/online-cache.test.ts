import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { k3sCacheDir, sha256File } from '../../cli/k3s/installer-files';
import { runK3sStep, K3sStepTiming } from '../../cli/k3s/step';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { requireTool } from '../support/tools';
import { FakeNode, makeTestLab, startFakeNode, sshEndpointsEnv } from '../support/sshd-fake-node';
import { STAND_IN_SYSTEMCTL, recordingStandInInstallScript, standInCurl, standInK3sBinary } from './stand-ins';

const FAST: K3sStepTiming = { connectTimeoutMs: 3000, readyTimeoutMs: 1500, pollMs: 50, attempts: 1, retryDelayMs: 50 };
const VERSION = 'v1.36.4+k3s1';

requireTool('/usr/sbin/sshd')('online install (stand-in curl for get.k3s.io) fills the host cache; later nodes upload from it', () => {
  let lab: ReturnType<typeof makeTestLab>;
  let cp1: FakeNode;
  let w1: FakeNode;
  const out: string[] = [];

  beforeAll(async () => {
    lab = makeTestLab();
    const clusterDir = path.join(lab.projectDir, 'stand-in-cluster');
    fs.mkdirSync(path.join(clusterDir, 'online-download'), { recursive: true });
    fs.writeFileSync(path.join(clusterDir, 'online-download', 'k3s'), standInK3sBinary(clusterDir, VERSION), { mode: 0o755 });
    const installScript = path.join(lab.projectDir, 'recording-stand-in-install.sh');
    fs.writeFileSync(installScript, recordingStandInInstallScript(clusterDir));
    const standIns = { systemctl: STAND_IN_SYSTEMCTL, curl: standInCurl(installScript) };
    [cp1, w1] = await Promise.all([startFakeNode(lab.paths, standIns), startFakeNode(lab.paths, standIns)]);
    Object.assign(process.env, sshEndpointsEnv({ '192.168.56.10': cp1, '192.168.56.11': w1 }));
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await Promise.all([cp1?.stop(), w1?.stop()]);
    lab?.cleanup();
  });

  test('a node that cannot download: the error names the URL, curl\'s own error and the air-gapped alternative; curl had connect and total timeouts', async () => {
    const ctx = new CliContext(lab.projectDir, (l) => out.push(l), (l) => out.push(l));
    fs.writeFileSync(path.join(cp1.root, 'curl-fail'), '');
    try {
      await expect(runK3sStep(ctx, 'server', 'cp1', FAST)).rejects.toThrow(
        /https:\/\/get\.k3s\.io[\s\S]*curl: \(6\) Could not resolve host: get\.k3s\.io[\s\S]*k3s\.installer\.source: local/,
      );
      expect(fs.readFileSync(path.join(cp1.root, 'curl.log'), 'utf8')).toMatch(/--connect-timeout \d+ .*--max-time \d+ /);
    } finally {
      fs.rmSync(path.join(cp1.root, 'curl-fail'));
      fs.rmSync(path.join(cp1.root, 'curl.log'));
    }
  });

  test('server downloads online, the host caches install.sh + binary with checksums, the agent uploads them', async () => {
    const ctx = new CliContext(lab.projectDir, (l) => out.push(l), (l) => out.push(l));
    await runK3sStep(ctx, 'server', 'cp1', FAST);
    expect(fs.readFileSync(path.join(cp1.root, 'curl.log'), 'utf8')).toContain('https://get.k3s.io -o');
    expect(fs.readFileSync(path.join(cp1.root, 'install-record.log'), 'utf8')).toContain('INSTALL_K3S_SKIP_DOWNLOAD=false\n');

    const cache = k3sCacheDir(lab.paths, VERSION);
    const sums = fs.readFileSync(path.join(cache, 'SHA256SUMS'), 'utf8');
    expect(sums).toBe(`${sha256File(path.join(cache, 'install.sh'))}  install.sh\n${sha256File(path.join(cache, 'k3s'))}  k3s\n`);
    expect(fs.readFileSync(path.join(cache, 'k3s'), 'utf8')).toContain(`k3s version ${VERSION} (stand-in)`);
    expect(out.join('\n')).toMatch(/cached K3s v1\.36\.4\+k3s1 install\.sh and binary with checksums/);

    await runK3sStep(ctx, 'agent', 'w1', FAST);
    expect(out.join('\n')).toMatch(/w1: K3s v1\.36\.4\+k3s1 agent, installer: the host's cache \.kubelab\/cache\/k3s\/v1\.36\.4\+k3s1 \(sha256 checked\)/);
    expect(fs.existsSync(path.join(w1.root, 'curl.log'))).toBe(false);
    const record = fs.readFileSync(path.join(w1.root, 'install-record.log'), 'utf8');
    expect(record).toContain('INSTALL_K3S_SKIP_DOWNLOAD=true\n');
    expect(record).toContain(`binary: k3s version ${VERSION} (stand-in)`);

    fs.appendFileSync(path.join(cache, 'k3s'), 'tampered\n');
    await expect(runK3sStep(ctx, 'agent', 'w1', FAST)).rejects.toThrow(/does not match its SHA256SUMS .*delete the directory/);
  });
});

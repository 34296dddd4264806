import { execFile } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { STEP_PHASE_ENV, STEP_TIMELINE_ENV, formatDownloads, readStepTimeline } from '../../cli/deploy/step-timeline';
import { ensureK3sImages } from '../../cli/k3s/release-cache';
import { fillCache, k3sInstallerCacheDir } from '../../cli/k3s/installer-files';
import { hostPlatform, nodeArch } from '../../cli/image/host-arch';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { hostNode, vmNode } from '../support/lab-shapes';
import { planK3sStep, runK3sStep, K3sStepTiming } from '../../cli/k3s/step';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';
import { startLoopbackProxy } from '../support/loopback-proxy';
import { FakeNode, makeTestLab, startFakeNode, sshEndpointsEnv } from '../support/sshd-fake-node';
import { ReleaseStandIn, STANDIN_TAG_PATH, STANDIN_TARBALL, startReleaseStandIn } from './release-standin';
import { STAND_IN_SYSTEMCTL, recordingStandInInstallScript, standInCurl, standInK3sBinary } from './stand-ins';

const ROOT = path.resolve(__dirname, '..', '..');
const FAST: K3sStepTiming = { connectTimeoutMs: 3000, readyTimeoutMs: 1500, pollMs: 50, attempts: 1, retryDelayMs: 50 };
const VERSION = 'v1.36.4+k3s1';
const IMAGES_DIR = 'var/lib/rancher/k3s/agent/images';
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * The stand-in systemctl, and at each `restart` (kubelab's start of K3s) a note of what K3s would
 * import then: K3s imports the files in its agent images dir once containerd runs, at start
 * (k3s-io/k3s pkg/agent/containerd/containerd.go Run → preloadImages; read at commit 8fed810c).
 */
const SYSTEMCTL_NOTING_IMAGES = STAND_IN_SYSTEMCTL.replace(
  'case "$1" in',
  `[ "$1" = restart ] && echo "start: $(ls "$KUBELAB_NODE_ROOT/${IMAGES_DIR}" 2>/dev/null | tr '\\n' ' ')" >> "$KUBELAB_NODE_ROOT/images-at-start.log"\ncase "$1" in`,
);

requireTool('/usr/sbin/sshd')("K3s air-gap images: downloaded once per host, on every node before K3s starts; a second lab and a down/up download nothing", () => {
  let release: ReleaseStandIn;
  let labA: ReturnType<typeof makeTestLab>;
  let labB: ReturnType<typeof makeTestLab>;
  let cp1: FakeNode;
  let w1: FakeNode;
  let hostCache: string;
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, KUBELAB_K3S_RELEASE_BASE_URL: process.env.KUBELAB_K3S_RELEASE_BASE_URL };

  /** A fresh machine: what `npm run down` then `up` gives (new VMs), the host and its caches unchanged. */
  const wipe = (node: FakeNode) => {
    fs.rmSync(node.root, { recursive: true, force: true });
    fs.mkdirSync(path.join(node.root, 'usr', 'local', 'bin'), { recursive: true });
  };
  /** Runs the lab's K3s steps; returns what the release served meanwhile, what kubelab recorded and said. */
  const standUp = async (projectDir: string, nodes: ['server' | 'agent', string][]) => {
    const before = release.totalServed();
    const lines: string[] = [];
    const records = [];
    for (const [role, name] of nodes) {
      const ctx = new CliContext(projectDir, (l) => lines.push(l), (l) => lines.push(l));
      await runK3sStep(ctx, role, name, FAST);
      records.push({ step: `k3s ${role}`, node: name, startedMs: 0, seconds: 0, exitCode: 0, downloads: ctx.downloads });
    }
    return { served: release.totalServed() - before, summary: formatDownloads(records), text: lines.join('\n') };
  };

  beforeAll(async () => {
    release = await startReleaseStandIn();
    labA = makeTestLab();
    labB = makeTestLab();
    // The second lab logs in with its own copy of the same key (the fake nodes accept one key).
    for (const f of [labA.paths.sshPrivateKey, labA.paths.sshPublicKey]) fs.copyFileSync(f, f.replace(labA.projectDir, labB.projectDir));
    hostCache = path.join(labA.projectDir, 'host-cache');
    Object.assign(process.env, { XDG_CACHE_HOME: hostCache, KUBELAB_K3S_RELEASE_BASE_URL: release.baseUrl });
    const clusterDir = path.join(labA.projectDir, 'stand-in-cluster');
    fs.mkdirSync(path.join(clusterDir, 'online-download'), { recursive: true });
    fs.writeFileSync(path.join(clusterDir, 'online-download', 'k3s'), standInK3sBinary(clusterDir, VERSION), { mode: 0o755 });
    const installScript = path.join(labA.projectDir, 'recording-stand-in-install.sh');
    fs.writeFileSync(installScript, recordingStandInInstallScript(clusterDir));
    const standIns = { systemctl: SYSTEMCTL_NOTING_IMAGES, curl: standInCurl(installScript) };
    [cp1, w1] = await Promise.all([startFakeNode(labA.paths, standIns), startFakeNode(labA.paths, standIns)]);
    Object.assign(process.env, sshEndpointsEnv({ '192.168.56.10': cp1, '192.168.56.11': w1 }));
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await Promise.all([cp1?.stop(), w1?.stop(), release?.close()]);
    labA?.cleanup();
    labB?.cleanup();
  });

  test("a node that cannot download: the error names the URL, curl's own error and the air-gapped alternative; curl had connect and total timeouts; a host that cannot reach the release warns", async () => {
    const lines: string[] = [];
    const ctx = new CliContext(labA.projectDir, (l) => lines.push(l), (l) => lines.push(l));
    fs.writeFileSync(path.join(cp1.root, 'curl-fail'), '');
    // Nothing listens on loopback port 9: the release cannot be reached from this "host".
    process.env.KUBELAB_K3S_RELEASE_BASE_URL = 'http://127.0.0.1:9/';
    try {
      await expect(runK3sStep(ctx, 'server', 'cp1', FAST)).rejects.toThrow(
        /https:\/\/get\.k3s\.io[\s\S]*curl: \(6\) Could not resolve host: get\.k3s\.io[\s\S]*k3s\.installer\.source: local/,
      );
      expect(fs.readFileSync(path.join(cp1.root, 'curl.log'), 'utf8')).toMatch(/--connect-timeout \d+ .*--max-time \d+ /);
      expect(lines.join('\n')).toMatch(/warning: cannot cache the K3s images on this host \(cannot reach http:\/\/127\.0\.0\.1:9\/v1\.36\.4%2Bk3s1\/sha256sum-amd64\.txt.*each node pulls them itself/);
    } finally {
      process.env.KUBELAB_K3S_RELEASE_BASE_URL = release.baseUrl;
      wipe(cp1);
    }
  });

  test('first lab, second lab, down/up: bytes from the release 1×, 0, 0; every node has the tarball (checked) before K3s starts', async () => {
    const first = await standUp(labA.projectDir, [['server', 'cp1'], ['agent', 'w1']]);
    const sumsBytes = release.served.get(`${STANDIN_TAG_PATH}sha256sum-amd64.txt`)!;
    expect(release.served.get(`${STANDIN_TAG_PATH}${STANDIN_TARBALL}`)).toBe(release.tarball.length);
    expect(first.served).toBe(release.tarball.length + sumsBytes);
    expect(first.summary).toContain(`${STANDIN_TARBALL} ${(release.tarball.length + sumsBytes).toLocaleString('en-US')} bytes (host)`);
    // install.sh and k3s came down once too, by the first node (over its NAT), then from the host's cache.
    expect(first.summary).toMatch(/install\.sh and k3s [\d,]+ bytes \(cp1\)/);
    for (const node of [cp1, w1]) {
      const installed = path.join(node.root, IMAGES_DIR, 'k3s-airgap-images.tar.zst');
      expect(sha256(installed)).toBe(release.tarballSha256);
      expect(fs.readFileSync(path.join(node.root, 'images-at-start.log'), 'utf8')).toBe('start: k3s-airgap-images.tar.zst \n');
    }
    expect(fs.existsSync(path.join(w1.root, 'curl.log'))).toBe(false);
    // install.sh and the binary cp1 fetched are in the host's cache with their sums; w1 got them from there.
    const installer = k3sInstallerCacheDir(VERSION, 'amd64');
    expect(installer.startsWith(hostCache)).toBe(true);
    expect(fs.readFileSync(path.join(installer, 'SHA256SUMS'), 'utf8')).toBe(`${sha256(path.join(installer, 'install.sh'))}  install.sh\n${sha256(path.join(installer, 'k3s'))}  k3s\n`);
    expect(first.text).toContain(`w1: K3s ${VERSION} agent, installer: the host's cache ${installer} (sha256 checked)`);
    expect(fs.readFileSync(path.join(w1.root, 'install-record.log'), 'utf8')).toContain('INSTALL_K3S_SKIP_DOWNLOAD=true\n');

    for (const node of [cp1, w1]) wipe(node);
    const second = await standUp(labB.projectDir, [['server', 'cp1']]);
    expect(second.served).toBe(0);
    expect(second.summary).toMatch(/^downloads by kubelab: none/);
    expect(fs.existsSync(path.join(cp1.root, 'curl.log'))).toBe(false);
    expect(sha256(path.join(cp1.root, IMAGES_DIR, 'k3s-airgap-images.tar.zst'))).toBe(release.tarballSha256);

    wipe(w1);
    const again = await standUp(labA.projectDir, [['agent', 'w1']]);
    expect(again.served).toBe(0);
    expect(again.summary).toMatch(/^downloads by kubelab: none/);
    expect(fs.readFileSync(path.join(w1.root, 'images-at-start.log'), 'utf8')).toBe('start: k3s-airgap-images.tar.zst \n');

    fs.appendFileSync(path.join(installer, 'k3s'), 'tampered\n');
    const ctx = new CliContext(labA.projectDir, () => undefined, () => undefined);
    await expect(runK3sStep(ctx, 'agent', 'w1', FAST)).rejects.toThrow(/does not match its SHA256SUMS .*delete the directory/);
  });

  test('two kubelab processes at once (two labs on one host) download the tarball once; both end with the checked file', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-cache-'));
    const slow = await startReleaseStandIn({ size: 2 * 1024 * 1024, chunkDelayMs: 20 });
    try {
      // As under `npm run up`: each verb appends its record, with what it downloaded, to the stand-up timeline.
      const timeline = path.join(cache, 'deploy-steps.jsonl');
      const env = { PATH: process.env.PATH, HOME: cache, XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: slow.baseUrl, [STEP_TIMELINE_ENV]: timeline, [STEP_PHASE_ENV]: 'K3s' };
      const [a, b] = await Promise.all([kubelab(labA.projectDir, ['k3s', 'images'], env), kubelab(labB.projectDir, ['k3s', 'images'], env)]);
      for (const r of [a, b]) expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining(`air-gap images: ${path.join(cache, 'kubelab', 'k3s', VERSION, STANDIN_TARBALL)}`) });
      expect(a.stdout + b.stdout).toMatch(/another kubelab process downloading|already|bytes downloaded/);
      expect(slow.served.get(`${STANDIN_TAG_PATH}${STANDIN_TARBALL}`)).toBe(slow.tarball.length);
      expect(sha256(path.join(cache, 'kubelab', 'k3s', VERSION, STANDIN_TARBALL))).toBe(slow.tarballSha256);
      // What npm run up prints at the end: the one download, in bytes, by the host.
      const records = readStepTimeline(timeline);
      expect(records.map((r) => r.step)).toEqual(['k3s images', 'k3s images']);
      expect(records.flatMap((r) => r.downloads ?? [])).toEqual([{ artifact: STANDIN_TARBALL, bytes: slow.totalServed(), by: 'host' }]);
      expect(formatDownloads(records)).toBe(`downloads by kubelab: ${STANDIN_TARBALL} ${slow.totalServed().toLocaleString('en-US')} bytes (host); ${slow.totalServed().toLocaleString('en-US')} bytes in all`);
    } finally {
      await slow.close();
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});

test("an existing machine (host:) gets nothing from the host's caches: its CPU may differ from this host's, so online it downloads what fits it", () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-cache-'));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    const arch = nodeArch(hostPlatform());
    const fetched = { installScript: path.join(cache, 'install.sh'), binary: path.join(cache, 'k3s') };
    for (const f of Object.values(fetched)) fs.writeFileSync(f, '#!/bin/sh\n');
    fillCache(VERSION, arch, fetched);
    const images = path.join(cache, 'kubelab', 'k3s', VERSION, `k3s-airgap-images-${arch}.tar.zst`);
    fs.writeFileSync(images, 'tarball');
    fs.writeFileSync(path.join(cache, 'kubelab', 'k3s', VERSION, `sha256sum-${arch}.txt`), 'sums');
    const plan = (nodes: object[]) => {
      const cfg = resolveLabConfig({ nodes }).config;
      return planK3sStep(cfg, { paths: labPaths(cache) }, cfg.nodes[0]);
    };
    expect(plan([vmNode('cp1', 'server', 10)])).toMatchObject({ files: { binary: path.join(k3sInstallerCacheDir(VERSION, arch), 'k3s') }, images });
    const onMachine = plan([hostNode('pi1', 'server', '10.20.0.11')]);
    expect(onMachine.files).toBeUndefined();
    expect(onMachine.images).toBeUndefined();
    expect(onMachine.script).toContain('url=https://get.k3s.io');
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

describe('the host download of the K3s images', () => {
  const io = (lines: string[]) => ({ out: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), recordDownload: () => undefined });

  test('a download that breaks off resumes where it stopped, with the rest of the bytes only', async () => {
    const release = await startReleaseStandIn({ cutFirstAt: 200 * 1024 });
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-cache-'));
    const env = { XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: release.baseUrl };
    try {
      const lines: string[] = [];
      // The step goes on (the nodes pull the images) and says why; the next run resumes.
      expect(await ensureK3sImages(VERSION, 'amd64', io(lines), env)).toBeUndefined();
      expect(lines.join('\n')).toMatch(/warning: cannot cache the K3s images on this host \(the download of .* broke off .*run the command again to resume/);
      const file = await ensureK3sImages(VERSION, 'amd64', io(lines), env);
      expect(sha256(file!)).toBe(release.tarballSha256);
      // Resumed, not restarted (that would send 200 KiB + the whole file): at most what was in flight when the connection broke is sent again.
      expect(release.served.get(`${STANDIN_TAG_PATH}${STANDIN_TARBALL}`)).toBeLessThan(release.tarball.length + 64 * 1024);
      expect(lines.join('\n')).toContain('resuming the download');
    } finally {
      await release.close();
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test("through the host's proxy (HTTP_PROXY): the release's name resolves nowhere, only the proxy reaches it", async () => {
    const release = await startReleaseStandIn();
    const proxy = await startLoopbackProxy({ 'release.kubelab.invalid': Number(new URL(release.baseUrl).port) });
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-cache-'));
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    try {
      const file = await ensureK3sImages(VERSION, 'amd64', io([]), { XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: 'http://release.kubelab.invalid/' });
      expect(sha256(file!)).toBe(release.tarballSha256);
      expect(proxy.seen).toEqual([`GET http://release.kubelab.invalid${STANDIN_TAG_PATH}sha256sum-amd64.txt`, `GET http://release.kubelab.invalid${STANDIN_TAG_PATH}${STANDIN_TARBALL}`]);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      await Promise.all([proxy.close(), release.close()]);
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test('a tarball that does not match the release checksum is deleted and refused (an error, no fallback); a release without the file is left to the nodes, with a warning', async () => {
    const release = await startReleaseStandIn({ wrongSum: true });
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-cache-'));
    const env = { XDG_CACHE_HOME: cache, KUBELAB_K3S_RELEASE_BASE_URL: release.baseUrl };
    try {
      await expect(ensureK3sImages(VERSION, 'amd64', io([]), env)).rejects.toThrow(/checksum mismatch for .*k3s-airgap-images-amd64\.tar\.zst: sha256sum-amd64\.txt says/);
      expect(fs.readdirSync(path.join(cache, 'kubelab', 'k3s', VERSION)).filter((f) => !f.endsWith('.lock'))).toEqual([]);
      const lines: string[] = [];
      expect(await ensureK3sImages(VERSION, 'arm64', io(lines), env)).toBeUndefined();
      expect(lines.join('\n')).toMatch(/warning: cannot cache the K3s images on this host \(GET .*sha256sum-arm64\.txt answered HTTP 404.*each node pulls them itself/);
    } finally {
      await release.close();
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});

/** `npx kubelab <argv>` in a child process for a given project (bin/kubelab.js always uses its own repo). */
function kubelab(projectDir: string, argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const script =
    `const {loadTs}=require(${JSON.stringify(path.join(ROOT, 'bin', 'run-ts'))});` +
    `const {main}=loadTs(${JSON.stringify(path.join(ROOT, 'cli', 'main.ts'))});` +
    `main(process.argv.slice(1), ${JSON.stringify(projectDir)}).then((c)=>{process.exitCode=c},(e)=>{console.error(e.stack);process.exitCode=99});`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script, ...argv], { env, timeout: TOOL_TIMEOUT_MS, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

import { execFile } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { kubectlSource, kubectlVersionFor } from '../../cli/kubectl/kubectl-binary';
import { shellQuote } from '../../cli/kubectl/commands';
import { envLines } from '../../cli/kubectl/shell-env';
import { PINNED } from '../../config/versions';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';
import { FakeNode, makeTestLab, sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { LoopbackProxy, startLoopbackProxy } from '../support/loopback-proxy';
import { TOOL_TIMEOUT_MS, hasTool, requireTool } from '../support/tools';

const ROOT = path.resolve(__dirname, '..', '..');
/** The real kubectl of this machine plays the published release: its bytes are what the loopback server serves. */
const REAL_KUBECTL = fs.existsSync('/usr/bin/kubectl') ? fs.realpathSync('/usr/bin/kubectl') : '';

/** `npx kubelab <argv>` in a child process for a given project (bin/kubelab.js always uses its own repo). */
function kubelab(projectDir: string, argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `const path=require('path');const {loadTs}=require(${JSON.stringify(path.join(ROOT, 'bin', 'run-ts'))});` +
    `const {main}=loadTs(${JSON.stringify(path.join(ROOT, 'cli', 'main.ts'))});` +
    `main(process.argv.slice(1), ${JSON.stringify(projectDir)}).then((c)=>{process.exitCode=c},(e)=>{console.error(e.stack);process.exitCode=99});`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script, ...argv], { env, timeout: TOOL_TIMEOUT_MS, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('which kubectl', () => {
  test('the Kubernetes version of the pinned K3s, from the published layout, cached per user', () => {
    expect(kubectlVersionFor('v1.36.4+k3s1')).toBe('v1.36.4');
    const s = kubectlSource(PINNED.k3s, { XDG_CACHE_HOME: '/c' }, 'linux', 'x64');
    expect(s.url).toBe(`https://dl.k8s.io/release/${kubectlVersionFor(PINNED.k3s)}/bin/linux/amd64/kubectl`);
    expect(s.sha256Url).toBe(`${s.url}.sha256`);
    expect(s.file).toBe(path.join('/c', 'kubelab', 'kubectl', kubectlVersionFor(PINNED.k3s), 'linux-amd64', 'kubectl'));
    expect(kubectlSource('v1.36.4+k3s1', { LOCALAPPDATA: 'C:\\U\\AppData\\Local' }, 'win32', 'x64').url).toMatch(/\/bin\/windows\/amd64\/kubectl\.exe$/);
    expect(kubectlSource('v1.36.4+k3s1', {}, 'darwin', 'arm64').url).toMatch(/\/bin\/darwin\/arm64\/kubectl$/);
    expect(() => kubectlSource('v1.36.4+k3s1', {}, 'linux', 'ia32')).toThrow('no kubectl is published for linux/ia32');
  });

  test('words for the node shell are quoted only when they need it', () => {
    expect(['get', 'pods', '-A', '-o', 'jsonpath={.items[*].metadata.name}', "it's"].map(shellQuote).join(' ')).toBe(
      "get pods -A -o 'jsonpath={.items[*].metadata.name}' 'it'\\''s'",
    );
  });
});

describe('kubelab env: what to paste, per shell', () => {
  const v = { kubeconfig: "/home/o'neil/lab/.kubelab/kubeconfig", kubectlDir: '/home/o\'neil/.cache/kubelab/kubectl/v1.36.4/linux-amd64' };
  test.each([['sh'], ['bash']])('%s: eval of the lines sets KUBECONFIG and PATH exactly', (shell) => {
    if (!hasTool(shell)) return;
    const lines = envLines('sh', v).join('\n');
    const out = require('child_process').execFileSync(shell, ['-c', `${lines}\nprintf '%s\\n' "$KUBECONFIG" "\${PATH%%:*}"`], { encoding: 'utf8' });
    expect(out).toBe(`${v.kubeconfig}\n${v.kubectlDir}\n`);
  });
  test('PowerShell and cmd lines use their own quoting', () => {
    expect(envLines('powershell', v)).toContain(`$env:KUBECONFIG = '/home/o''neil/lab/.kubelab/kubeconfig'`);
    expect(envLines('powershell', v)).toContain(`$env:Path = '/home/o''neil/.cache/kubelab/kubectl/v1.36.4/linux-amd64;' + $env:Path`);
    expect(envLines('cmd', { kubeconfig: 'C:\\Users\\me\\lab\\.kubelab\\kubeconfig' })).toEqual(['REM cmd.exe: paste these lines', 'set "KUBECONFIG=C:\\Users\\me\\lab\\.kubelab\\kubeconfig"']);
  });
});

requireTool('kubectl')('kubelab kubectl: downloaded once from a loopback server, checksum verified, then cached', () => {
  let dir: string;
  let projectDir: string;
  let server: http.Server;
  let base: string;
  let hits: string[];
  let published: { bytes: Buffer; sha: string };
  const version = kubectlVersionFor(PINNED.k3s);
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PATH: '/usr/bin:/bin',
    HOME: dir,
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    KUBELAB_KUBECTL_BASE_URL: base,
    ...extra,
  });

  beforeAll(async () => {
    const bytes = fs.readFileSync(REAL_KUBECTL);
    published = { bytes, sha: createHash('sha256').update(bytes).digest('hex') };
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      const file = `/${version}/bin/linux/amd64/kubectl`;
      if (req.url === file) res.end(published.bytes);
      else if (req.url === `${file}.sha256`) res.end(`${published.sha}\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    hits = [];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-kubectl-'));
    projectDir = path.join(dir, 'project');
    fs.mkdirSync(path.join(projectDir, '.kubelab'), { recursive: true });
    fs.writeFileSync(path.join(projectDir, '.kubelab', 'kubeconfig'), labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl: 'https://192.168.56.10:6443' }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  (process.platform === 'linux' && process.arch === 'x64' ? test : test.skip)(
    'first run downloads through HTTP_PROXY and verifies, later runs use the cache; kubectl sees the lab kubeconfig and its exit status comes through',
    async () => {
      // The mirror's name resolves nowhere: only the proxy on 127.0.0.1 can reach it.
      const proxy: LoopbackProxy = await startLoopbackProxy({ 'dl.kubelab.invalid': Number(new URL(base).port) });
      const viaProxy = env({ KUBELAB_KUBECTL_BASE_URL: 'http://dl.kubelab.invalid/', HTTP_PROXY: proxy.url });
      try {
        const first = await kubelab(projectDir, ['kubectl', 'config', 'current-context'], viaProxy);
        expect(first.stderr).toContain(`kubelab: downloading kubectl ${version} once`);
        expect(first.stderr).toMatch(/verified \(sha256 [0-9a-f]{12}…\) and cached/);
        expect(first).toMatchObject({ code: 0, stdout: 'kubelab\n' });
        expect(proxy.seen).toEqual([`GET http://dl.kubelab.invalid/${version}/bin/linux/amd64/kubectl.sha256`, `GET http://dl.kubelab.invalid/${version}/bin/linux/amd64/kubectl`]);
      } finally {
        await proxy.close();
      }
      const cached = path.join(dir, 'cache', 'kubelab', 'kubectl', version, 'linux-amd64', 'kubectl');
      expect(fs.statSync(cached).mode & 0o111).toBe(0o111);

      const second = await kubelab(projectDir, ['kubectl', 'config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}'], env());
      expect(second).toMatchObject({ code: 0, stdout: 'https://192.168.56.10:6443' });
      expect(second.stderr).not.toContain('downloading');
      expect(hits).toEqual([`/${version}/bin/linux/amd64/kubectl.sha256`, `/${version}/bin/linux/amd64/kubectl`]);

      const failing = await kubelab(projectDir, ['kubectl', 'config', 'use-context', 'no-such-context'], env());
      expect(failing.code).toBe(1); // kubectl's own exit status comes through
      expect(failing.stderr).toMatch(/no context exists with the name: "no-such-context"/);

      const paste = await kubelab(projectDir, ['env', '--shell', 'sh'], env());
      expect(paste.stdout).toContain(`export KUBECONFIG='${path.join(projectDir, '.kubelab', 'kubeconfig')}'`);
      expect(paste.stdout).toContain(`export PATH='${path.dirname(cached)}':"$PATH"`);
    },
    60_000,
  );

  (process.platform === 'linux' && process.arch === 'x64' ? test : test.skip)(
    "after kubeconfig --merge, kubectl config use-context switches the user's kubeconfig, not the lab's own",
    async () => {
      const userConfig = path.join(dir, '.kube', 'config');
      fs.mkdirSync(path.dirname(userConfig));
      fs.writeFileSync(userConfig, 'apiVersion: v1\nkind: Config\nclusters:\n- name: work\n  cluster: {server: "https://10.9.9.9:6443"}\nusers:\n- name: work\n  user: {token: t}\ncontexts:\n- name: work\n  context: {cluster: work, user: work}\ncurrent-context: work\n');
      const merged = await kubelab(projectDir, ['kubeconfig', '--merge'], env());
      expect(merged.code).toBe(0);
      const labOwn = fs.readFileSync(path.join(projectDir, '.kubelab', 'kubeconfig'), 'utf8');
      const run = await kubelab(projectDir, ['kubectl', 'config', 'use-context', 'kubelab'], env());
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`kubelab: kubectl config works on ${userConfig}, where kubeconfig --merge put the lab`);
      expect(fs.readFileSync(userConfig, 'utf8')).toMatch(/^current-context: kubelab$/m);
      expect(fs.readFileSync(path.join(projectDir, '.kubelab', 'kubeconfig'), 'utf8')).toBe(labOwn);
      // Other kubectl verbs still use the lab's own file (one that contacts no cluster).
      const client = await kubelab(projectDir, ['kubectl', 'version', '--client'], env());
      expect(client.code).toBe(0);
      expect(client.stderr).not.toContain('kubectl config works on');
    },
    60_000,
  );

  (process.platform === 'linux' && process.arch === 'x64' ? test : test.skip)('kubectl --help before a deploy: kubectl\'s help; offline, kubelab\'s own', async () => {
    fs.rmSync(path.join(projectDir, '.kubelab', 'kubeconfig'));
    const run = await kubelab(projectDir, ['kubectl', '--help'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/kubectl controls the Kubernetes cluster manager/);
    const offline = await kubelab(projectDir, ['kubectl', '--help'], env({ KUBELAB_KUBECTL_BASE_URL: 'http://127.0.0.1:9/', XDG_CACHE_HOME: path.join(dir, 'empty-cache') }));
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^Usage: kubelab kubectl \[args\.\.\.\]/);
    expect(offline.stdout).toMatch(/kubectl's own help comes with kubectl, which could not be downloaded/);
  }, 60_000);

  requireTool('/usr/sbin/sshd')('when kubectl cannot be had', () => {
    let node: FakeNode;
    let lab: ReturnType<typeof makeTestLab>;
    beforeEach(async () => {
      lab = makeTestLab();
      fs.cpSync(path.join(projectDir, '.kubelab', 'kubeconfig'), lab.paths.kubeconfig);
      // STAND-IN for K3s's bundled kubectl: `k3s kubectl` is kubectl reading /etc/rancher/k3s/k3s.yaml
      // (docs.k3s.io "Cluster Access"; unverified here). Played by the real kubectl and a k3s.yaml in the node root.
      node = await startFakeNode(lab.paths, { k3s: `#!/bin/sh\n[ "$1" = kubectl ] || exit 64\nshift\nexec /usr/bin/kubectl --kubeconfig "$KUBELAB_NODE_ROOT/etc/rancher/k3s/k3s.yaml" "$@"\n` });
      fs.mkdirSync(path.join(node.root, 'etc', 'rancher', 'k3s'), { recursive: true });
      fs.writeFileSync(path.join(node.root, 'etc', 'rancher', 'k3s', 'k3s.yaml'), K3S_STYLE_KUBECONFIG);
    });
    afterEach(async () => {
      await node.stop();
      lab.cleanup();
    });

    test("a download that does not match its sha256 is not kept; the server's own kubectl runs over SSH instead, arguments intact", async () => {
      const saved = published;
      published = { bytes: Buffer.from('#!/bin/sh\necho tampered\n'), sha: saved.sha };
      try {
        const run = await kubelab(lab.projectDir, ['kubectl', 'config', 'view', '-o', 'jsonpath={.contexts[*].name}'], env(sshEndpointsEnv({ '192.168.56.10': node })));
        expect(run.stderr).toMatch(new RegExp(`cannot download kubectl \\(checksum mismatch for .*kubectl: .*says ${saved.sha}, the download has [0-9a-f]{64}; nothing was kept\\); running the server's own kubectl on cp1 over SSH instead`));
        expect(run).toMatchObject({ code: 0, stdout: 'default' });
        expect(fs.readdirSync(path.join(dir, 'cache', 'kubelab', 'kubectl', version, 'linux-amd64'))).toEqual([]);
      } finally {
        published = saved;
      }
    }, 60_000);
  });
});

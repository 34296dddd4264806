import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { labPaths } from '../../config/paths';
import { resolveLabConfig } from '../../config/load';
import { labRegistries } from '../../config/registries';
import { k3sStepPlan } from '../../config/k3s-plan';
import { vmProxyEnvironment } from '../../config/proxy';
import { parseCidr, subnetContains } from '../../config/ipv4';
import { FOREIGN_REGISTRIES_FILE, NODE_REGISTRIES_FILE, REGISTRIES_CHANGED, REGISTRIES_MARK, applyRegistries, labRegistriesYaml, renderApplyRegistriesScript } from '../../cli/k3s/registries';
import { NodeSession } from '../../cli/ssh/client';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

const SECRET = 'pa:ss "w0rd\' $(x)';

describe('registries.yaml as K3s reads it', () => {
  let projectDir: string;
  beforeEach(() => {
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-registries-'));
    fs.mkdirSync(path.join(projectDir, '.kubelab', 'registries'), { recursive: true });
  });
  afterEach(() => fs.rmSync(projectDir, { recursive: true, force: true }));

  /** The user's registries alone (the embedded registry mirror off). */
  const render = (registries: unknown) => labRegistriesYaml(labRegistries(resolveLabConfig({ registries, k3s: { embeddedRegistry: false } }).config), labPaths(projectDir));
  /** The default lab (embedded registry mirror on) with these registries. */
  const renderLab = (overrides: object) => labRegistriesYaml(labRegistries(resolveLabConfig(overrides).config), labPaths(projectDir));

  test('mirrors, rewrites, credentials from the file in .kubelab/ and TLS map onto K3s keys', () => {
    fs.writeFileSync(path.join(projectDir, '.kubelab', 'registries', 'mirror.yaml'), `username: learner\npassword: ${JSON.stringify(SECRET)}\n`, { mode: 0o600 });
    const text = render({
      mirrors: { 'registry.example.com': { endpoint: ['https://mirror.example.com:5000', 'http://10.0.0.5:5000'], rewrite: { '^library/(.*)': 'hub/$1' } }, '*': { endpoint: ['https://mirror.example.com:5000'] } },
      configs: { 'mirror.example.com:5000': { credentialsFile: 'registries/mirror.yaml', insecureSkipVerify: true } },
    })!;
    expect(text.split('\n')[0]).toBe(REGISTRIES_MARK);
    expect(parseYaml(text)).toEqual({
      mirrors: {
        'registry.example.com': { endpoint: ['https://mirror.example.com:5000', 'http://10.0.0.5:5000'], rewrite: { '^library/(.*)': 'hub/$1' } },
        '*': { endpoint: ['https://mirror.example.com:5000'] },
      },
      configs: { 'mirror.example.com:5000': { auth: { username: 'learner', password: SECRET }, tls: { insecure_skip_verify: true } } },
    });
  });

  // K3s docs "Embedded Registry Mirror" (k3s-io/docs docs/installation/registry-mirror.md at 116507ce), quoted:
  // "to enable distributed mirroring of images from docker.io and registry.k8s.io, configure registries.yaml with the following
  // content on all cluster nodes", and: "images pull attempts will first try the embedded mirror, then mirror.example.com, then finally docker.io".
  const DOCS_ENABLE_EXAMPLE = 'mirrors:\n  docker.io:\n  registry.k8s.io:\n';
  const DOCS_ENDPOINT_EXAMPLE = 'mirrors:\n  docker.io:\n    endpoint:\n      - https://mirror.example.com\n';

  test('the default lab: every node gets a mirrors entry without endpoints for each registry the lab pulls from, as K3s docs write it; the server gets --embedded-registry, agents do not', () => {
    const text = renderLab({})!;
    const mirrors = parseYaml(text).mirrors;
    expect(mirrors).toMatchObject(parseYaml(DOCS_ENABLE_EXAMPLE).mirrors);
    expect(mirrors).toEqual({ 'docker.io': null, 'registry.k8s.io': null, 'ghcr.io': null });
    expect(parseYaml(text).configs).toBeUndefined();
    const cfg = resolveLabConfig({}).config;
    expect(k3sStepPlan(cfg, cfg.nodes[0], 'online').installArgs).toContain('--embedded-registry');
    expect(k3sStepPlan(cfg, cfg.nodes[1], 'online').installArgs).not.toContain('--embedded-registry');
  });

  test("the user's mirror for a registry the lab uses keeps its endpoints (tried after the embedded mirror), the others are added, credentials stay", () => {
    fs.writeFileSync(path.join(projectDir, '.kubelab', 'registries', 'mirror.yaml'), 'username: learner\npassword: pw\n', { mode: 0o600 });
    const text = renderLab({
      registries: { mirrors: { 'docker.io': { endpoint: ['https://mirror.example.com'] }, 'quay.io': { endpoint: ['https://mirror.example.com'] } }, configs: { 'mirror.example.com': { credentialsFile: 'registries/mirror.yaml' } } },
    })!;
    const parsed = parseYaml(text);
    expect(parsed.mirrors['docker.io']).toEqual(parseYaml(DOCS_ENDPOINT_EXAMPLE).mirrors['docker.io']);
    expect(parsed.mirrors).toEqual({ 'docker.io': { endpoint: ['https://mirror.example.com'] }, 'quay.io': { endpoint: ['https://mirror.example.com'] }, 'registry.k8s.io': null, 'ghcr.io': null });
    expect(parsed.configs).toEqual({ 'mirror.example.com': { auth: { username: 'learner', password: 'pw' } } });
  });

  test('k3s.embeddedRegistry: false: no flag, and only the user\'s registries (none: no file)', () => {
    const cfg = resolveLabConfig({ k3s: { embeddedRegistry: false } }).config;
    const on = resolveLabConfig({}).config;
    // Exactly the default server's flags less --embedded-registry: nothing else added or lost.
    expect(k3sStepPlan(cfg, cfg.nodes[0], 'online').installArgs).toEqual(k3sStepPlan(on, on.nodes[0], 'online').installArgs.filter((a) => a !== '--embedded-registry'));
    expect(k3sStepPlan(on, on.nodes[0], 'online').installArgs.at(-1)).toBe('--embedded-registry');
    expect(renderLab({ k3s: { embeddedRegistry: false } })).toBeUndefined();
    expect(() => resolveLabConfig({ k3s: { embeddedRegistry: 'yes' } })).toThrow(/k3s\.embeddedRegistry.*must be true or false/);
  });

  test('with proxy: every node address bypasses the proxy, so the nodes reach each other\'s embedded mirror (TCP 5001, 6443) directly', () => {
    const cfg = resolveLabConfig({ proxy: { http: 'http://proxy.example.com:3128' } }).config;
    const noProxy = vmProxyEnvironment(cfg).NO_PROXY.split(',');
    for (const node of cfg.nodes) {
      expect(noProxy.some((entry) => entry === node.ip || (parseCidr(entry) !== undefined && subnetContains(parseCidr(entry)!, node.ip)))).toBe(true);
    }
    expect(noProxy).toContain('127.0.0.1');
  });

  test('no registries: no file', () => {
    expect(render(undefined)).toBeUndefined();
    expect(render({})).toBeUndefined();
  });

  test('a missing credentials file is one line naming the field, the file and what it must hold', () => {
    expect(() => render({ configs: { 'mirror.example.com': { credentialsFile: 'registries/none.yaml' } } })).toThrow(
      /^registries\.configs\.mirror\.example\.com\.credentialsFile = "registries\/none\.yaml": .*none\.yaml does not exist; create it \(mode 0600\) with two lines, username: <user> and password:/,
    );
  });

  test.each([
    ['without a password', 'username: learner\n'],
    ['with an empty username', 'username: ""\npassword: pw\n'],
    ['with an empty password', 'username: learner\npassword: ""\n'],
    ['with a number for a password', 'username: learner\npassword: 1234\n'],
  ])('a credentials file %s is refused', (_, text) => {
    const file = path.join(projectDir, '.kubelab', 'registries', 'half.yaml');
    fs.writeFileSync(file, text);
    expect(() => render({ configs: { 'mirror.example.com': { credentialsFile: 'registries/half.yaml' } } })).toThrow(
      `registries.configs.mirror.example.com.credentialsFile = "registries/half.yaml": ${file} must hold a non-empty username: and password: (both strings)`,
    );
  });

  test('a credentials file that is not YAML: the first line of the parser\'s complaint', () => {
    const file = path.join(projectDir, '.kubelab', 'registries', 'bad.yaml');
    fs.writeFileSync(file, 'username: [learner\npassword: pw\n');
    let parserSays = '';
    try {
      parseYaml(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      parserSays = (err as Error).message;
    }
    expect(parserSays.split('\n').length).toBeGreaterThan(1);
    expect(() => render({ configs: { 'mirror.example.com': { credentialsFile: 'registries/bad.yaml' } } })).toThrow(
      new Error(`registries.configs.mirror.example.com.credentialsFile = "registries/bad.yaml": ${file} is not YAML (${parserSays.split('\n')[0]}); it must hold username: and password:`),
    );
  });

  test('content with a line that would end the here-document early is refused (a line merely holding the word is fine)', () => {
    expect(() => renderApplyRegistriesScript({ nodeName: 'cp1', content: 'mirrors:\nKUBELAB_REGISTRIES_END\nconfigs: {}\n' })).toThrow(
      'registries: a value holds the line KUBELAB_REGISTRIES_END, which kubelab cannot pass on',
    );
    expect(renderApplyRegistriesScript({ nodeName: 'cp1', content: 'x: " KUBELAB_REGISTRIES_END"\n' })).toContain('x: " KUBELAB_REGISTRIES_END"');
  });
});

requireTool('shellcheck')('the script that writes registries.yaml on a node', () => {
  let root: string;
  let bin: string;
  const content = `${REGISTRIES_MARK}\nmirrors:\n  "*":\n    endpoint:\n      - https://mirror.example.com:5000\nconfigs:\n  mirror.example.com:5000:\n    auth:\n      username: learner\n      password: ${JSON.stringify(SECRET)}\n`;
  const file = () => path.join(root, NODE_REGISTRIES_FILE);
  const restarts = () => (fs.existsSync(path.join(root, 'restarts.log')) ? fs.readFileSync(path.join(root, 'restarts.log'), 'utf8') : '');
  /** Runs the script as kubelab does (bash fed on stdin), with a stand-in systemctl that records restarts. */
  const apply = (c: string | undefined) =>
    spawnSync('bash', ['-s'], {
      input: renderApplyRegistriesScript({ nodeName: 'cp1', content: c }),
      encoding: 'utf8',
      env: { ...process.env, KUBELAB_NODE_ROOT: root, PATH: `${bin}:${process.env.PATH}` },
      timeout: TOOL_TIMEOUT_MS,
    });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-registries-node-'));
    bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    // STAND-IN systemctl: is-active answers from <root>/run/active-<service>; restart is recorded.
    fs.writeFileSync(
      path.join(bin, 'systemctl'),
      `#!/bin/bash\ncase "$1" in\n  is-active) [ -e "$KUBELAB_NODE_ROOT/run/active-\${*: -1}" ] ;;\n  restart) echo "restart $2" >> "$KUBELAB_NODE_ROOT/restarts.log" ;;\n  *) exit 99 ;;\nesac\n`,
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('passes shellcheck, with and without content', () => {
    for (const c of [content, undefined]) {
      execFileSync('shellcheck', ['--shell=bash', '-'], { input: renderApplyRegistriesScript({ nodeName: 'cp1', content: c }), encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    }
  });

  test('a fresh node gets the file (0600, byte for byte), and says it changed', () => {
    const r = apply(content);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(REGISTRIES_CHANGED);
    expect(fs.readFileSync(file(), 'utf8')).toBe(content);
    expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
  });

  test('never restarts K3s, even while it runs (the step does, under the lab-wide lock); it says whether the file changed', () => {
    fs.mkdirSync(path.join(root, 'run'));
    for (const service of ['k3s', 'k3s-agent']) fs.writeFileSync(path.join(root, 'run', `active-${service}`), '');
    expect(apply(content).status).toBe(REGISTRIES_CHANGED);
    const again = apply(content);
    expect([again.status, again.stdout]).toEqual([0, 'kubelab: cp1: registries unchanged\n']);
    // The new copy it compared with is not left behind.
    expect(fs.readdirSync(path.dirname(file()))).toEqual(['registries.yaml']);
    expect(apply(content.replace('learner', 'teacher')).status).toBe(REGISTRIES_CHANGED);
    expect(apply(undefined).status).toBe(REGISTRIES_CHANGED);
    expect(restarts()).toBe('');
  });

  test('what each run says: written, unchanged; and nothing at all when there is nothing to do', () => {
    expect(apply(content).stdout).toBe(`kubelab: cp1: wrote ${NODE_REGISTRIES_FILE} (mode 0600)\n`);
    expect(apply(content).stdout).toBe('kubelab: cp1: registries unchanged\n');
    fs.rmSync(file());
    const none = apply(undefined);
    expect([none.status, none.stdout, none.stderr]).toEqual([0, '', '']);
  });

  test('a step that fails stops the script: nothing is said to be written, nothing restarted', () => {
    fs.mkdirSync(path.join(root, 'etc', 'rancher'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc', 'rancher', 'k3s'), 'a file where the folder should be\n');
    fs.mkdirSync(path.join(root, 'run'));
    fs.writeFileSync(path.join(root, 'run', 'active-k3s'), '');
    const r = apply(content);
    expect([0, REGISTRIES_CHANGED]).not.toContain(r.status);
    expect(r.stdout).toBe('');
  });

  test("a registries.yaml whose first line is empty is not kubelab's either", () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), '\nmirrors: {}\n');
    expect(apply(content).status).toBe(FOREIGN_REGISTRIES_FILE);
    expect(apply(undefined).status).toBe(0);
    expect(fs.readFileSync(file(), 'utf8')).toBe('\nmirrors: {}\n');
  });

  test('over a session: the script goes on standard input to `sudo -n bash -s` (the secrets never in argv); what it said and whether the file changed are returned; a failure is one line naming the node', async () => {
    const calls: { command: string; label?: string }[] = [];
    // STAND-IN session: runs the command's bash locally, in the temp root, as the node would (sudo -n is the node's).
    const session = {
      target: { nodeName: 'w1', host: '127.0.0.1', port: 22, user: 'kubelab' },
      exec: async (command: string, opts: { stdin: string; label?: string }) => {
        calls.push({ command, label: opts.label });
        const r = spawnSync('bash', ['-s'], { input: opts.stdin, encoding: 'utf8', env: { ...process.env, KUBELAB_NODE_ROOT: root, PATH: `${bin}:${process.env.PATH}` }, timeout: TOOL_TIMEOUT_MS });
        return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
      },
    } as unknown as NodeSession;
    expect(await applyRegistries(session, { nodeName: 'w1', content })).toEqual({ said: `kubelab: w1: wrote ${NODE_REGISTRIES_FILE} (mode 0600)`, changed: true });
    expect(calls).toEqual([{ command: 'sudo -n bash -s', label: `writing ${NODE_REGISTRIES_FILE}` }]);
    expect(calls[0].command).not.toContain('learner');
    expect(fs.readFileSync(file(), 'utf8')).toBe(content);
    expect(await applyRegistries(session, { nodeName: 'w1', content })).toEqual({ said: 'kubelab: w1: registries unchanged', changed: false });
    fs.writeFileSync(file(), 'mirrors: {}\n');
    await expect(applyRegistries(session, { nodeName: 'w1', content })).rejects.toThrow(/^on w1 \(127\.0\.0\.1\): writing \/etc\/rancher\/k3s\/registries\.yaml failed with exit status 4 .*exists and kubelab did not write it/s);
  });

  test('registries gone from the config: the file kubelab wrote is removed, and the script says it changed', () => {
    apply(content);
    const r = apply(undefined);
    expect(r.status).toBe(REGISTRIES_CHANGED);
    expect(fs.existsSync(file())).toBe(false);
    expect(r.stdout).toContain('removed the registries.yaml kubelab wrote');
  });

  test("a registries.yaml kubelab did not write (an existing host's own) is never replaced or removed", () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), 'mirrors: {}\n');
    const r = apply(content);
    expect(r.status).toBe(FOREIGN_REGISTRIES_FILE);
    expect(r.stderr).toContain('exists and kubelab did not write it');
    expect(apply(undefined).status).toBe(0);
    expect(fs.readFileSync(file(), 'utf8')).toBe('mirrors: {}\n');
  });
});

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { labPaths } from '../../config/paths';
import { resolveLabConfig } from '../../config/load';
import { FOREIGN_REGISTRIES_FILE, NODE_REGISTRIES_FILE, REGISTRIES_MARK, labRegistriesYaml, renderApplyRegistriesScript } from '../../cli/k3s/registries';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

const SECRET = 'pa:ss "w0rd\' $(x)';

describe('registries.yaml as K3s reads it', () => {
  let projectDir: string;
  beforeEach(() => {
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-registries-'));
    fs.mkdirSync(path.join(projectDir, '.kubelab', 'registries'), { recursive: true });
  });
  afterEach(() => fs.rmSync(projectDir, { recursive: true, force: true }));

  const render = (registries: unknown) => labRegistriesYaml(resolveLabConfig({ registries }).config.registries, labPaths(projectDir));

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

  test('no registries: no file', () => {
    expect(render(undefined)).toBeUndefined();
    expect(render({})).toBeUndefined();
  });

  test('a missing credentials file is one line naming the field, the file and what it must hold', () => {
    expect(() => render({ configs: { 'mirror.example.com': { credentialsFile: 'registries/none.yaml' } } })).toThrow(
      /^registries\.configs\.mirror\.example\.com\.credentialsFile = "registries\/none\.yaml": .*none\.yaml does not exist; create it \(mode 0600\) with two lines, username: <user> and password:/,
    );
  });

  test('a credentials file without a password is refused', () => {
    fs.writeFileSync(path.join(projectDir, '.kubelab', 'registries', 'half.yaml'), 'username: learner\n');
    expect(() => render({ configs: { 'mirror.example.com': { credentialsFile: 'registries/half.yaml' } } })).toThrow('must hold a non-empty username: and password:');
  });
});

requireTool('shellcheck')('the script that writes registries.yaml on a node', () => {
  let root: string;
  let bin: string;
  const content = `${REGISTRIES_MARK}\nmirrors:\n  "*":\n    endpoint:\n      - https://mirror.example.com:5000\nconfigs:\n  mirror.example.com:5000:\n    auth:\n      username: learner\n      password: ${JSON.stringify(SECRET)}\n`;
  const file = () => path.join(root, NODE_REGISTRIES_FILE);
  const restarts = () => (fs.existsSync(path.join(root, 'restarts.log')) ? fs.readFileSync(path.join(root, 'restarts.log'), 'utf8') : '');
  /** Runs the script as kubelab does (bash fed on stdin), with a stand-in systemctl that records restarts. */
  const apply = (c: string | undefined, service: 'k3s' | 'k3s-agent' = 'k3s') =>
    spawnSync('bash', ['-s'], {
      input: renderApplyRegistriesScript({ nodeName: 'cp1', service, content: c }),
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
      execFileSync('shellcheck', ['--shell=bash', '-'], { input: renderApplyRegistriesScript({ nodeName: 'cp1', service: 'k3s', content: c }), encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    }
  });

  test('a fresh node gets the file (0600, byte for byte), and no restart since K3s does not run yet', () => {
    const r = apply(content);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(file(), 'utf8')).toBe(content);
    expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
    expect(restarts()).toBe('');
  });

  test('a change while K3s runs restarts that service once; the same content again changes nothing', () => {
    fs.mkdirSync(path.join(root, 'run'));
    fs.writeFileSync(path.join(root, 'run', 'active-k3s-agent'), '');
    expect(apply(content, 'k3s-agent').status).toBe(0);
    expect(restarts()).toBe('restart k3s-agent\n');
    const again = apply(content, 'k3s-agent');
    expect(again.stdout).toContain('registries unchanged');
    expect(restarts()).toBe('restart k3s-agent\n');
    expect(apply(content.replace('learner', 'teacher'), 'k3s-agent').status).toBe(0);
    expect(restarts()).toBe('restart k3s-agent\nrestart k3s-agent\n');
  });

  test('registries gone from the config: the file kubelab wrote is removed', () => {
    apply(content);
    const r = apply(undefined);
    expect(r.status).toBe(0);
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

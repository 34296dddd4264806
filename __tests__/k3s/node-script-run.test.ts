/**
 * The node script (cli/k3s/node-script.ts) run by bash on this machine as the K3s step runs it on
 * a node (`sudo -n bash <staging>/k3s-<role>.sh --check`, then `--install` with the token on
 * standard input), against a temp dir playing "/" (KUBELAB_NODE_ROOT): what it decides to install,
 * restart or leave alone, and what it refuses. STAND-INS (./stand-ins.ts): install.sh (records its
 * calls), systemctl, curl; k3s is a stand-in here that prints the version written in a file.
 *
 * The paths it checks on the node, with their sources:
 * - /usr/local/bin/k3s and /etc/systemd/system/<service>.service(.env): where K3s's install.sh puts
 *   the binary (BIN_DIR default /usr/local/bin) and writes the unit and its env file
 *   (FILE_K3S_SERVICE=${SYSTEMD_DIR}/${SERVICE_K3S}, FILE_K3S_ENV=….env, SYSTEMD_DIR=/etc/systemd/system)
 *   (k3s-io/k3s install.sh, read in the search index's copy, not confirmed at the tag v1.36.4+k3s1).
 * - /var/lib/rancher/k3s/agent/images/: the dir K3s imports air-gap image tarballs from at start
 *   (k3s-io/docs docs/installation/airgap.md, "Manually Deploy Images", same caveat).
 * - /etc/rancher/k3s/kubelab-token and /var/lib/kubelab/k3s-<role>.applied: kubelab's own (the
 *   token file K3S_TOKEN_FILE names, and the record uninstall removes), stated here as the design has them.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderK3sNodeScript, shQuote } from '../../cli/k3s/node-script';
import { k3sStepPlan } from '../../config/k3s-plan';
import { findNode } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { STAND_IN_SYSTEMCTL, installRecordsOn, recordingStandInInstallScript, standInCurl } from './stand-ins';

const V1 = 'v1.36.4+k3s1';
const V2 = 'v1.36.5+k3s1';
const TOKEN_FILE = 'etc/rancher/k3s/kubelab-token';

/**
 * STAND-IN k3s: only `--version` is asked on the node. It prints what a K3s release prints (the
 * version line `k3s version <version> (<commit>)`, then `go version …`), the version taken from
 * <cluster>/reported-version so a test can change it without changing the binary's bytes.
 */
const standInK3s = (cluster: string) =>
  `#!/bin/bash\n[ "$1" = --version ] || { echo "stand-in k3s: unexpected: $*" >&2; exit 99; }\necho "k3s version $(cat '${cluster}/reported-version') (0123abcd)"\necho "go version go1.25.5"\n`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe('the node script, run by bash against a temp dir playing "/"', () => {
  let dir: string;
  let root: string;
  let staging: string;
  let cluster: string;
  let bin: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-node-script-'));
    [root, staging, cluster, bin] = ['root', 'staging', 'cluster', 'bin'].map((d) => path.join(dir, d));
    for (const d of [root, staging, cluster, bin, path.join(cluster, 'online-download')]) fs.mkdirSync(d);
    // A node has /usr/local/bin (the stand-in installer, unlike the real one, does not make it).
    fs.mkdirSync(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
    // systemctl and curl log how they were called (curl also the proxy it was given), then act as the stand-ins do.
    fs.writeFileSync(path.join(bin, 'systemctl-standin'), STAND_IN_SYSTEMCTL, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/bash\necho "$*" >> "$KUBELAB_NODE_ROOT/systemctl.log"\nexec "${bin}/systemctl-standin" "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(cluster, 'install.sh'), recordingStandInInstallScript(cluster));
    fs.writeFileSync(path.join(bin, 'curl-standin'), standInCurl(path.join(cluster, 'install.sh')), { mode: 0o755 });
    fs.writeFileSync(
      path.join(bin, 'curl'),
      `#!/bin/bash\necho "HTTP_PROXY=\${HTTP_PROXY:-} HTTPS_PROXY=\${HTTPS_PROXY:-} NO_PROXY=\${NO_PROXY:-} K3S_*: \${!K3S_*}" >> "$KUBELAB_NODE_ROOT/curl-env.log"\nexec "${bin}/curl-standin" "$@"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(cluster, 'online-download', 'k3s'), standInK3s(cluster), { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (k3s: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => resolveLabConfig({ k3s: { version: V1, ...k3s }, ...more }).config;

  /**
   * Stages a step as kubelab uploads it: the script and, for an upload install, install.sh, the
   * k3s binary and SHA256SUMS of what it uploaded (written by the real sha256sum here).
   */
  const stage = (opts: { version?: string; source?: 'online' | 'upload'; images?: string; k3s?: Record<string, unknown>; more?: Record<string, unknown>; node?: string } = {}) => {
    const version = opts.version ?? V1;
    const source = opts.source ?? 'upload';
    const cfg = config({ ...opts.k3s, version }, opts.more);
    const plan = k3sStepPlan(cfg, findNode(cfg, opts.node ?? 'cp1'), source);
    fs.writeFileSync(path.join(cluster, 'reported-version'), `${version}\n`);
    for (const f of fs.readdirSync(staging)) fs.rmSync(path.join(staging, f));
    const sums: string[] = [];
    if (source === 'upload') {
      fs.copyFileSync(path.join(cluster, 'install.sh'), path.join(staging, 'install.sh'));
      // The binary's bytes carry its version, as a real release's do.
      fs.writeFileSync(path.join(staging, 'k3s'), `${standInK3s(cluster)}# ${version}\n`, { mode: 0o755 });
      sums.push('install.sh', 'k3s');
    }
    if (opts.images) {
      fs.writeFileSync(path.join(staging, opts.images), 'stand-in images tarball\n');
      sums.push(opts.images);
    }
    if (sums.length) fs.writeFileSync(path.join(staging, 'SHA256SUMS'), execFileSync('sha256sum', sums, { cwd: staging, encoding: 'utf8' }));
    fs.writeFileSync(path.join(staging, `k3s-${plan.role}.sh`), renderK3sNodeScript(plan, opts.images ? { images: opts.images } : {}));
    return { plan, script: path.join(staging, `k3s-${plan.role}.sh`) };
  };

  /** As sudo runs it: a clean environment (no proxy variables), PATH with the stand-ins first. */
  const run = (script: string, mode: '--check' | '--install', token = 'the-lab-token\n'): Run => {
    const r = spawnSync('bash', [script, mode], { env: { PATH: `${bin}:/usr/bin:/bin`, KUBELAB_NODE_ROOT: root }, input: mode === '--install' ? token : '', encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const installs = () => installRecordsOn(root);
  const systemctlCalls = () => (fs.existsSync(path.join(root, 'systemctl.log')) ? fs.readFileSync(path.join(root, 'systemctl.log'), 'utf8').trim().split('\n') : []);
  const restarts = () => systemctlCalls().filter((c) => c.startsWith('restart'));
  const onNode = (p: string) => path.join(root, p);
  const mode = (p: string) => (fs.statSync(onNode(p)).mode & 0o777).toString(8);
  /** The node has K3s V1 from a first install, and its logs start empty. */
  const installedV1 = (opts: Parameters<typeof stage>[0] = {}) => {
    const { script } = stage(opts);
    expect(run(script, '--install').status).toBe(0);
    for (const log of ['systemctl.log', 'install-record.log']) fs.rmSync(onNode(log), { force: true });
    return script;
  };

  test('a fresh node: --check says an install is needed (exit 3); --install runs install.sh with the flags, stores the token 0600, records what it applied and starts K3s', () => {
    const { script } = stage();
    // What kubelab uploaded is only read: the step copies the binary back to the staging dir (~70 MB) only for an online install.
    const uploadedAt = fs.statSync(path.join(staging, 'k3s')).mtimeMs;
    const check = run(script, '--check');
    expect(check).toEqual({ status: 3, stdout: `kubelab: K3s ${V1} (k3s) on cp1: install needed\n`, stderr: '' });
    expect(installs()).toEqual([]);

    const r = run(script, '--install');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`kubelab: (re)starting K3s ${V1} (k3s) on cp1\nkubelab: installed K3s ${V1} (k3s) on cp1\n`);
    const [call, ...more] = installs();
    expect(more).toEqual([]);
    const args = 'server --node-name cp1 --node-ip 192.168.56.10 --flannel-iface enp0s8 --advertise-address 192.168.56.10 --tls-san 192.168.56.10 --disable traefik --disable metrics-server --write-kubeconfig-mode 600 --embedded-registry';
    expect(call.split('\n')).toEqual([
      'call',
      `args: ${args}`,
      `INSTALL_K3S_BIN_DIR=${root}/usr/local/bin`,
      'INSTALL_K3S_SKIP_DOWNLOAD=true',
      'INSTALL_K3S_SKIP_START=true',
      `INSTALL_K3S_VERSION=${V1}`,
      `K3S_TOKEN_FILE=/${TOKEN_FILE}`,
      'token-file-mode: 600',
      `binary: k3s version ${V1} (0123abcd)`,
      '',
    ]);
    expect(fs.readFileSync(onNode(TOKEN_FILE), 'utf8')).toBe('the-lab-token\n');
    expect(fs.existsSync(onNode(`${TOKEN_FILE}.new`))).toBe(false);
    expect(fs.readFileSync(onNode('usr/local/bin/k3s'), 'utf8')).toBe(fs.readFileSync(path.join(staging, 'k3s'), 'utf8'));
    expect(mode('usr/local/bin/k3s')).toBe('755');
    expect(fs.statSync(path.join(staging, 'k3s')).mtimeMs).toBe(uploadedAt);
    expect(fs.readFileSync(onNode('var/lib/kubelab/k3s-server.applied'), 'utf8')).toBe(`version=${V1}\nargs=${args}\nenv=K3S_TOKEN_FILE=/${TOKEN_FILE}\n`);
    // The token alone is private: what kubelab writes after it has the usual modes.
    expect([mode('var/lib/kubelab'), mode('var/lib/kubelab/k3s-server.applied')]).toEqual(['755', '644']);
    expect(systemctlCalls()).toEqual(['reset-failed k3s', 'restart --no-block k3s']);
    expect(run(script, '--check')).toEqual({ status: 0, stdout: `kubelab: unchanged: K3s ${V1} (k3s) on cp1 already runs with these flags; nothing to do\n`, stderr: '' });
  });

  test('a re-run at the same version and flags leaves the node alone: no install.sh, no restart, the token not even read', () => {
    const script = installedV1();
    const r = run(script, '--install', 'another-token\n');
    expect(r).toEqual({ status: 0, stdout: `kubelab: unchanged: K3s ${V1} (k3s) on cp1 already runs with these flags; nothing to do\n`, stderr: '' });
    expect(installs()).toEqual([]);
    expect(restarts()).toEqual([]);
    expect(fs.readFileSync(onNode(TOKEN_FILE), 'utf8')).toBe('the-lab-token\n');
  });

  test('a new version in the lab config upgrades in place: install.sh with the new version and binary, and K3s restarted', () => {
    installedV1();
    const { script } = stage({ version: V2 });
    expect(run(script, '--check').status).toBe(3);
    const r = run(script, '--install');
    expect(r.status).toBe(0);
    expect(installs()).toHaveLength(1);
    expect(installs()[0]).toContain(`INSTALL_K3S_VERSION=${V2}\n`);
    expect(installs()[0]).toContain(`binary: k3s version ${V2} (0123abcd)`);
    expect(restarts()).toEqual(['restart --no-block k3s']);
    expect(fs.readFileSync(onNode('var/lib/kubelab/k3s-server.applied'), 'utf8')).toMatch(new RegExp(`^version=${V2.replace(/\+/g, '\\+')}\n`));
  });

  test('new flags with the same binary: install.sh runs again; K3s restarts only if a file it runs from changed', () => {
    installedV1();
    // The stand-in installer writes no unit: the files K3s runs from are unchanged, so no restart.
    const { script } = stage({ k3s: { embeddedRegistry: false } });
    expect(run(script, '--check').status).toBe(3);
    const r = run(script, '--install');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`kubelab: K3s ${V1} (k3s) on cp1 already runs these files; not restarted\n`);
    expect(installs()).toHaveLength(1);
    expect(installs()[0]).not.toContain('--embedded-registry');
    expect(restarts()).toEqual([]);
    expect(run(script, '--check').status).toBe(0);
  });

  test.each([
    ['the unit (its flags)', 'etc/systemd/system/k3s.service'],
    ["the unit's env file", 'etc/systemd/system/k3s.service.env'],
  ])('%s changed since K3s was started (same version and flags): the node needs the step, and K3s is restarted', (_what, file) => {
    // What the real install.sh leaves (the stand-in writes neither).
    fs.mkdirSync(onNode('etc/systemd/system'), { recursive: true });
    for (const f of ['k3s.service', 'k3s.service.env']) fs.writeFileSync(onNode(`etc/systemd/system/${f}`), `stand-in ${f}\n`);
    const script = installedV1();
    fs.appendFileSync(onNode(file), '# changed\n');
    expect(run(script, '--check').status).toBe(3);
    expect(run(script, '--install').status).toBe(0);
    expect(restarts()).toEqual(['restart --no-block k3s']);
    expect(run(script, '--check').status).toBe(0);
  });

  test('a new lab token: K3s is restarted with it; a binary or token changed on the node is put back, and K3s, which runs from the old ones, is not restarted', () => {
    const script = installedV1();
    expect(run(script, '--install', 'a-new-lab-token\n').status).toBe(0);
    // The re-run left the node alone: the token is read only when the step has something to do.
    expect(fs.readFileSync(onNode(TOKEN_FILE), 'utf8')).toBe('the-lab-token\n');
    fs.appendFileSync(onNode(TOKEN_FILE), 'changed\n');
    expect(run(script, '--check').status).toBe(3);
    expect(run(script, '--install', 'a-new-lab-token\n').status).toBe(0);
    expect(fs.readFileSync(onNode(TOKEN_FILE), 'utf8')).toBe('a-new-lab-token\n');
    expect(restarts()).toEqual(['restart --no-block k3s']);
    fs.rmSync(onNode('systemctl.log'));
    for (const file of [TOKEN_FILE, 'usr/local/bin/k3s']) {
      fs.appendFileSync(onNode(file), '# changed\n');
      expect(run(script, '--check').status).toBe(3);
      expect(run(script, '--install', 'a-new-lab-token\n').stdout).toContain('already runs these files; not restarted');
    }
    expect(restarts()).toEqual([]);
  });

  test('K3s stopped: the node needs the step, and it starts K3s again (install.sh does not start it)', () => {
    const script = installedV1();
    fs.rmSync(onNode('run/active-k3s'));
    expect(run(script, '--check').status).toBe(3);
    expect(run(script, '--install').stdout).toContain(`kubelab: (re)starting K3s ${V1} (k3s) on cp1\n`);
    expect(restarts()).toEqual(['restart --no-block k3s']);
  });

  test('a binary that reports another version than the lab config (the same bytes): the node needs the step', () => {
    const script = installedV1();
    fs.writeFileSync(path.join(cluster, 'reported-version'), `${V2}\n`);
    expect(run(script, '--check').status).toBe(3);
    // A version that only starts like the wanted one is not it either.
    fs.writeFileSync(path.join(cluster, 'reported-version'), `${V1}0\n`);
    expect(run(script, '--check').status).toBe(3);
    fs.writeFileSync(path.join(cluster, 'reported-version'), `${V1}\n`);
    expect(run(script, '--check').status).toBe(0);
  });

  test('no token on standard input: refused before anything is installed, and the token the node has is kept', () => {
    const script = installedV1();
    const { script: upgrade } = stage({ version: V2 });
    expect(script).toBe(upgrade);
    const r = run(upgrade, '--install', '');
    expect(r).toEqual({ status: 1, stdout: '', stderr: 'kubelab: no token on standard input\n' });
    expect(installs()).toEqual([]);
    expect(fs.readFileSync(onNode(TOKEN_FILE), 'utf8')).toBe('the-lab-token\n');
  });

  test('an uploaded file that does not match its checksum: refused before install.sh runs', () => {
    const { script } = stage();
    fs.appendFileSync(path.join(staging, 'install.sh'), '# tampered\n');
    const r = run(script, '--install');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('install.sh: FAILED');
    expect(installs()).toEqual([]);
    expect(fs.existsSync(onNode('usr/local/bin/k3s'))).toBe(false);
  });

  test('air-gap images: checked, then put (0644, same name) where K3s imports them, before install.sh and the start', () => {
    fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/bash\nls "$KUBELAB_NODE_ROOT/var/lib/rancher/k3s/agent/images" >> "$KUBELAB_NODE_ROOT/systemctl.log"\nexec "${bin}/systemctl-standin" "$@"\n`, { mode: 0o755 });
    const { script } = stage({ source: 'online', images: 'k3s-airgap-images.tar.zst' });
    const r = run(script, '--install');
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(onNode('var/lib/rancher/k3s/agent/images/k3s-airgap-images.tar.zst'), 'utf8')).toBe('stand-in images tarball\n');
    expect(mode('var/lib/rancher/k3s/agent/images/k3s-airgap-images.tar.zst')).toBe('644');
    expect(systemctlCalls()[0]).toBe('k3s-airgap-images.tar.zst');
    fs.rmSync(onNode('var/lib/rancher'), { recursive: true });
    fs.appendFileSync(path.join(staging, 'k3s-airgap-images.tar.zst'), 'truncated?');
    fs.rmSync(onNode('run/active-k3s'));
    expect(run(script, '--install').stdout).toContain('k3s-airgap-images.tar.zst: FAILED');
    expect(fs.existsSync(onNode('var/lib/rancher'))).toBe(false);
  });

  test('online: install.sh from get.k3s.io through the lab proxy, the binary it downloads copied to the staging dir for the host cache', () => {
    const proxy = { http: 'http://10.0.2.2:3128' };
    const { script } = stage({ source: 'online', more: { proxy } });
    const r = run(script, '--install');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(onNode('curl.log'), 'utf8')).toMatch(/ https:\/\/get\.k3s\.io -o \S+\/staging\/install\.sh\n$/);
    // sudo's clean environment has no proxy: the script hands the lab's to curl (and to install.sh, which passes it on to K3s).
    // Only the proxy: K3s's own variables are install.sh's business.
    expect(fs.readFileSync(onNode('curl-env.log'), 'utf8')).toBe('HTTP_PROXY=http://10.0.2.2:3128 HTTPS_PROXY=http://10.0.2.2:3128 NO_PROXY=127.0.0.1,localhost,192.168.56.0/24 K3S_*: \n');
    expect(installs()[0]).toContain('INSTALL_K3S_SKIP_DOWNLOAD=false\n');
    expect(fs.readFileSync(onNode('var/lib/kubelab/k3s-server.applied'), 'utf8')).toContain('\nenv=K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token HTTP_PROXY=http://10.0.2.2:3128 ');
    expect(fs.readFileSync(path.join(staging, 'k3s'), 'utf8')).toBe(fs.readFileSync(path.join(cluster, 'online-download', 'k3s'), 'utf8'));
    expect(fs.existsSync(path.join(staging, 'SHA256SUMS'))).toBe(false);
  });

  test('online without a network: the node says it cannot download the installer, quoting curl, and how to install from files instead', () => {
    const { script } = stage({ source: 'online' });
    fs.writeFileSync(onNode('curl-fail'), '');
    const r = run(script, '--install');
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      'kubelab: cannot download the K3s installer from https://get.k3s.io on cp1: curl: (6) Could not resolve host: get.k3s.io',
      expect.stringContaining('needs internet access over its NAT interface'),
      `kubelab: set k3s.installer.source: local with binary: (k3s) and script: (install.sh) from the K3s release ${V1} (docs/k3s.md)`,
      '',
    ]);
    expect(installs()).toEqual([]);
    // No proxy in the lab config: curl gets none either.
    expect(fs.readFileSync(onNode('curl-env.log'), 'utf8')).toBe('HTTP_PROXY= HTTPS_PROXY= NO_PROXY= K3S_*: \n');
  });

  test('an agent: its own service, applied record and join URL', () => {
    const { script } = stage({ node: 'w1' });
    expect(run(script, '--install').status).toBe(0);
    expect(installs()[0]).toContain('\nK3S_URL=https://192.168.56.10:6443\n');
    expect(fs.readFileSync(onNode('var/lib/kubelab/k3s-agent.applied'), 'utf8')).toMatch(/^version=.*\nargs=agent --node-name w1 /);
    expect(restarts()).toEqual(['restart --no-block k3s-agent']);
    expect(run(script, '--check').stdout).toBe(`kubelab: unchanged: K3s ${V1} (k3s-agent) on w1 already runs with these flags; nothing to do\n`);
  });
});

describe('shQuote', () => {
  test.each([['a b'], ["it's"], ['$HOME'], ['*'], ['a\nb'], ['x;y'], ['']])('bash reads %j back as the same word', (word) => {
    expect(execFileSync('bash', ['-c', `printf '%s' ${shQuote(word)}`], { encoding: 'utf8' })).toBe(word);
  });
  test('plain words stay bare, so `npx kubelab k3s script` reads like the command it runs', () => {
    const plain = 'Az09_./:=+@%,-';
    expect(shQuote(plain)).toBe(plain);
  });
});

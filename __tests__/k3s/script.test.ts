import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { renderUninstallScript } from '../../cli/k3s/uninstall';
import { main } from '../../cli/main';
import { requireTool } from '../support/tools';
import { TOOL_TIMEOUT_MS } from '../support/tools';

const DEFAULT_SERVER_ARGS =
  'install_args=(server --node-name cp1 --node-ip 192.168.56.10 --flannel-iface enp0s8 --advertise-address 192.168.56.10 --tls-san 192.168.56.10 --disable traefik --disable metrics-server --write-kubeconfig-mode 600 --embedded-registry)';

function shellcheck(script: string): void {
  execFileSync('shellcheck', ['--shell=bash', '-'], { input: script, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
}

requireTool('shellcheck')('k3s script: what the steps run on the nodes', () => {
  let projectDir: string;
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, projectDir, new CliContext(projectDir, (l) => out.push(l), (l) => err.push(l)));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  beforeEach(() => {
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-script-'));
  });
  afterEach(() => fs.rmSync(projectDir, { recursive: true, force: true }));

  test('an air-gap images tarball keeps its compression suffix on the node (K3s picks the decompression by it), is checked, and is in place before install.sh and the start', async () => {
    fs.mkdirSync(path.join(projectDir, 'files'));
    for (const f of ['k3s', 'install.sh', 'k3s-airgap-images-amd64.tar.zst', 'images.bin']) fs.writeFileSync(path.join(projectDir, 'files', f), '#!/bin/sh\n');
    const config = (images: string) =>
      fs.writeFileSync(path.join(projectDir, 'kubelab.config.yaml'), `k3s:\n  version: v1.36.4+k3s1\n  installer: { source: local, binary: files/k3s, script: files/install.sh, images: files/${images} }\n`);
    config('k3s-airgap-images-amd64.tar.zst');
    const { code, out } = await run('k3s', 'script', 'server', 'cp1');
    expect(code).toBe(0);
    const install = out.indexOf('install -D -m 0644 "$staging/k3s-airgap-images.tar.zst" "$root/var/lib/rancher/k3s/agent/images/k3s-airgap-images.tar.zst"');
    expect(install).toBeGreaterThan(out.indexOf('sha256sum --check --quiet SHA256SUMS'));
    expect(out.indexOf('sha256sum --check')).toBeGreaterThan(0);
    expect(out.indexOf('sh "$staging/install.sh"')).toBeGreaterThan(install);
    expect(out.indexOf('systemctl restart --no-block')).toBeGreaterThan(install);
    shellcheck(out);
    config('images.bin');
    const refused = await run('k3s', 'script', 'server', 'cp1');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/k3s\.installer\.images.*"files\/images\.bin".*must end in \.tar, .*\.tzst: K3s picks how to unpack it by that suffix/);
  });

  test('the default lab server script: exact flags, pinned version, online installer, shellcheck-clean, no token value', async () => {
    fs.mkdirSync(path.join(projectDir, '.kubelab'));
    fs.writeFileSync(path.join(projectDir, '.kubelab', 'k3s-token'), 'a-secret-token-value\n');
    const { code, out } = await run('k3s', 'script', 'server', 'cp1');
    expect(code).toBe(0);
    expect(out).toContain(DEFAULT_SERVER_ARGS);
    expect(out).toContain('version=v1.36.4+k3s1');
    expect(out).toContain('env INSTALL_K3S_VERSION="$version"');
    expect(out).toContain('K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token');
    expect(out).toMatch(/curl -sS -fL --connect-timeout \d+ --max-time \d+ "\$url" -o "\$staging\/install\.sh"/);
    expect(out).toMatch(/lab token \(the host's \.kubelab\/k3s-token\) on standard input/);
    expect(out).not.toContain('a-secret-token-value');
    shellcheck(out);
  });

  test('the agent script joins the server through K3S_URL and is shellcheck-clean', async () => {
    const { code, out } = await run('k3s', 'script', 'agent', 'w2');
    expect(code).toBe(0);
    expect(out).toContain('install_args=(agent --node-name w2 --node-ip 192.168.56.12 --flannel-iface enp0s8)');
    expect(out).toContain("K3S_URL=https://192.168.56.10:6443 K3S_TOKEN_FILE=/etc/rancher/k3s/kubelab-token");
    shellcheck(out);
  });

  test('an air-gapped (local) install uploads and checks files instead of downloading, and is shellcheck-clean', async () => {
    for (const f of ['k3s', 'install.sh', 'images.tar.zst']) fs.writeFileSync(path.join(projectDir, f), f);
    fs.writeFileSync(path.join(projectDir, 'kubelab.config.yaml'), 'k3s:\n  installer: { source: local, binary: k3s, script: install.sh, images: images.tar.zst }\n');
    const { out } = await run('k3s', 'script', 'server', 'cp1');
    expect(out).not.toContain('curl');
    expect(out).toContain('sha256sum --check --quiet SHA256SUMS');
    expect(out).toContain('var/lib/rancher/k3s/agent/images/');
    expect(out).toContain('skip_download=true');
    shellcheck(out);
  });

  test('a missing local installer file is one clear error', async () => {
    fs.writeFileSync(path.join(projectDir, 'install.sh'), '#!/bin/sh\n');
    fs.writeFileSync(path.join(projectDir, 'kubelab.config.yaml'), 'k3s:\n  installer: { source: local, binary: nope/k3s, script: install.sh }\n');
    const { code, err } = await run('k3s', 'script', 'server', 'cp1');
    expect(code).toBe(1);
    expect(err).toMatch(/k3s\.installer\.binary = "nope\/k3s" does not exist .*set k3s\.installer\.source: online/);
  });

  test('the wrong role for a node says which verb to use', async () => {
    const { code, err } = await run('k3s', 'script', 'agent', 'cp1');
    expect(code).toBe(1);
    expect(err).toContain('Node cp1 has role server in the lab config; use: npx kubelab k3s server cp1');
  });

  test('the uninstall scripts are shellcheck-clean', () => {
    shellcheck(`#!/usr/bin/env bash\n${renderUninstallScript({ nodeName: 'w1', role: 'agent' })}`);
    shellcheck(`#!/usr/bin/env bash\n${renderUninstallScript({ nodeName: 'cp1', role: 'server' })}`);
  });

  test('done-when: `node bin/kubelab.js k3s script server cp1` prints a shellcheck-clean script with the server flags', () => {
    const out = execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'kubelab.js'), 'k3s', 'script', 'server', 'cp1'], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    expect(out).toContain(DEFAULT_SERVER_ARGS);
    shellcheck(out);
  });
});

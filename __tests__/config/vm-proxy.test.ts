import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { k3sStepPlan } from '../../config/k3s-plan';
import { renderK3sNodeScript } from '../../cli/k3s/node-script';
import { nodeSeedFiles } from '../../cli/seed/cloud-init';
import { findNode } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { vmProxyEnvironment } from '../../config/proxy';
import { TOOL_TIMEOUT_MS, requireTool } from '../support/tools';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0kubelabtestkeyxxxxxxxxxxxxxxxxxxxxxxxxxxx kubelab';
const withProxy = resolveLabConfig({ proxy: { http: 'http://proxy.corp.example:3128', noProxy: ['.corp.example', '10.0.0.0/8'] } }).config;
const without = resolveLabConfig({}).config;

describe('`proxy:` reaches the VMs', () => {
  test('the proxy environment: https defaults to http; loopback and the lab network always bypass it', () => {
    expect(vmProxyEnvironment(withProxy)).toEqual({
      HTTP_PROXY: 'http://proxy.corp.example:3128',
      HTTPS_PROXY: 'http://proxy.corp.example:3128',
      NO_PROXY: '127.0.0.1,localhost,192.168.56.0/24,.corp.example,10.0.0.0/8',
    });
    expect(vmProxyEnvironment(without)).toEqual({});
  });

  test("existing machines: their addresses bypass the proxy in K3s's environment (K3s on one machine reaches the others directly)", () => {
    const hosts = resolveLabConfig({
      proxy: { http: 'http://proxy.corp.example:3128' },
      nodes: [
        { name: 'pi1', role: 'server', host: { address: '10.20.0.11', user: 'ubuntu' } },
        { name: 'pi2', role: 'agent', host: { address: '10.20.0.12', user: 'ubuntu' } },
      ],
    }).config;
    for (const name of ['pi1', 'pi2']) {
      expect(k3sStepPlan(hosts, findNode(hosts, name), 'online').installerEnv.NO_PROXY).toBe('127.0.0.1,localhost,192.168.56.0/24,10.20.0.11,10.20.0.12');
    }
  });

  test('K3s: install.sh gets the proxy (it copies it into the service env file for K3s and containerd), and so does the curl that fetches it', () => {
    for (const name of ['cp1', 'w1']) {
      const plan = k3sStepPlan(withProxy, findNode(withProxy, name), 'online');
      expect(plan.installerEnv).toMatchObject(vmProxyEnvironment(withProxy));
      const script = renderK3sNodeScript(plan);
      expect(script).toContain('url=https://get.k3s.io');
      expect(script).toContain('env HTTP_PROXY=http://proxy.corp.example:3128 HTTPS_PROXY=http://proxy.corp.example:3128 NO_PROXY=127.0.0.1,localhost,192.168.56.0/24,.corp.example,10.0.0.0/8 curl -sS -fL --connect-timeout');
      expect(script).toMatch(/HTTP_PROXY=http:\/\/proxy\.corp\.example:3128 .*\\\n {2}sh "\$staging\/install\.sh"/s);
    }
    const plain = renderK3sNodeScript(k3sStepPlan(without, findNode(without, 'cp1'), 'online'));
    expect(plain).not.toMatch(/PROXY/);
  });

  test('apt and login shells: an apt.conf.d file and /etc/environment lines in the seed; none without a proxy', () => {
    const userData = parse(nodeSeedFiles(withProxy, findNode(withProxy, 'w1'), KEY).userData.replace(/^#cloud-config\n/, '')) as { write_files: { path: string; content: string; append?: boolean }[] };
    expect(userData.write_files.map((f) => f.path)).toEqual(['/etc/apt/apt.conf.d/95kubelab-proxy', '/etc/environment']);
    expect(userData.write_files[0].content).toBe('Acquire::http::Proxy "http://proxy.corp.example:3128";\nAcquire::https::Proxy "http://proxy.corp.example:3128";\n');
    expect(userData.write_files[1]).toMatchObject({ append: true });
    expect(userData.write_files[1].content.split('\n')).toEqual(expect.arrayContaining(['https_proxy=http://proxy.corp.example:3128', 'NO_PROXY=127.0.0.1,localhost,192.168.56.0/24,.corp.example,10.0.0.0/8']));
    expect(nodeSeedFiles(without, findNode(without, 'w1'), KEY).userData).not.toContain('write_files');
  });

  requireTool('shellcheck')('shellcheck', () => {
    test('the node script with a proxy is shellcheck-clean', () => {
      const script = renderK3sNodeScript(k3sStepPlan(withProxy, findNode(withProxy, 'w1'), 'online'));
      execFileSync('shellcheck', ['--shell=bash', '-'], { input: script, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    });
  });

  requireTool('cloud-init')('cloud-init', () => {
    test('cloud-init schema accepts the seed with the proxy files', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-proxy-seed-'));
      try {
        const file = path.join(dir, 'user-data');
        fs.writeFileSync(file, nodeSeedFiles(withProxy, findNode(withProxy, 'cp1'), KEY).userData);
        const out = execFileSync('cloud-init', ['schema', '--config-file', file], { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS }).toString();
        expect(out).toMatch(/Valid cloud-config/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';
import { HA_NODES, HOSTS_ONLY_NODES } from '../support/lab-shapes';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

/** The words of the install_args=(…) line of a node script. */
const installArgs = (script: string) => script.match(/^install_args=\((.*)\)$/m)![1].split(' ');
const envLine = (script: string) => script.match(/^env=(.*)"$/m)![1];

requireTool('shellcheck')('node scripts of an HA lab and of a lab of existing hosts', () => {
  let projectDir: string;
  const script = async (role: string, node: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['k3s', 'script', role, node], projectDir, new CliContext(projectDir, (l) => out.push(l), (l) => err.push(l)));
    expect(err.filter((l) => !l.includes('warning'))).toEqual([]);
    expect(code).toBe(0);
    const text = out.join('\n');
    execFileSync('shellcheck', ['--shell=bash', '-'], { input: text, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    return text;
  };
  beforeEach(() => {
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-ha-script-'));
  });
  afterEach(() => fs.rmSync(projectDir, { recursive: true, force: true }));

  test('3 servers + 2 agents: the first server alone has --cluster-init, the others join it, agents register through it', async () => {
    fs.writeFileSync(path.join(projectDir, 'kubelab.config.yaml'), stringify({ nodes: HA_NODES }));
    const cp1 = installArgs(await script('server', 'cp1'));
    const cp2 = installArgs(await script('server', 'cp2'));
    const cp3 = installArgs(await script('server', 'cp3'));
    expect(cp1).toContain('--cluster-init');
    expect(cp1).not.toContain('--server');
    for (const joining of [cp2, cp3]) {
      expect(joining).not.toContain('--cluster-init');
      expect(joining[joining.indexOf('--server') + 1]).toBe('https://192.168.56.10:6443');
      // Flags K3s requires to be equal on every server (ha-embedded.md): the same --disable list.
      expect(joining.filter((_, i) => joining[i - 1] === '--disable')).toEqual(cp1.filter((_, i) => cp1[i - 1] === '--disable'));
    }
    for (const agent of ['w1', 'w2']) {
      const text = await script('agent', agent);
      expect(installArgs(text)).not.toContain('--cluster-init');
      expect(envLine(text)).toContain('K3S_URL=https://192.168.56.10:6443');
    }
  });

  test('a single server keeps the default datastore: no --cluster-init, no --server', async () => {
    const args = installArgs(await script('server', 'cp1'));
    expect(args).not.toContain('--cluster-init');
    expect(args).not.toContain('--server');
  });

  test('existing hosts: registered with their address, no VirtualBox interface name', async () => {
    fs.writeFileSync(path.join(projectDir, 'kubelab.config.yaml'), stringify({ nodes: HOSTS_ONLY_NODES }));
    const server = installArgs(await script('server', 'pi1'));
    expect(server.slice(0, 5)).toEqual(['server', '--node-name', 'pi1', '--node-ip', '10.20.0.11']);
    expect(server[server.indexOf('--advertise-address') + 1]).toBe('10.20.0.11');
    expect(server).not.toContain('--flannel-iface');
    const agentText = await script('agent', 'pi2');
    expect(installArgs(agentText)).toEqual(['agent', '--node-name', 'pi2', '--node-ip', '10.20.0.12']);
    expect(envLine(agentText)).toContain('K3S_URL=https://10.20.0.11:6443');
  });
});

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderK3sNodeScript } from '../../cli/k3s/node-script';
import { k3sStepPlan } from '../../config/k3s-plan';
import { findNode } from '../../config/lab-config';
import { resolveLabConfig } from '../../config/load';
import { HOSTS_ONLY_NODES } from '../support/lab-shapes';

/**
 * The part of an existing machine's node script that picks flannel's interface, run by bash
 * against a STAND-IN `ip` (iproute2's one-line output forms: `ip -o -4 addr show` and
 * `ip -4 route show default`, as iproute2 6.1 prints them) describing the machine's NICs.
 */
describe('--flannel-iface on an existing machine', () => {
  let part: string;
  let dir: string;
  let said = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-flannel-iface-'));
    // Built in a hook, not as the file loads: a config that stops resolving then fails these tests.
    const cfg = resolveLabConfig({ nodes: HOSTS_ONLY_NODES }).config;
    const script = renderK3sNodeScript(k3sStepPlan(cfg, findNode(cfg, 'pi2'), 'online'));
    part = script.slice(script.indexOf('install_args=('), script.indexOf('\nfi\n', script.indexOf('# Existing machine:')) + 4);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** install_args after the part ran on a machine whose NICs hold `addrs` and whose default routes leave through `defaults`. */
  const run = (addrs: [string, string][], defaults: string[]) => {
    fs.writeFileSync(
      path.join(dir, 'ip'),
      [
        '#!/bin/bash',
        'case "$*" in',
        `  "-o -4 addr show") ${addrs.map(([dev, a], i) => `echo '${i + 2}: ${dev}    inet ${a}/24 brd 10.0.0.255 scope global ${dev}\\       valid_lft forever preferred_lft forever'`).join('; ') || 'true'} ;;`,
        `  "-4 route show default") ${defaults.map((d) => `echo 'default via 10.0.2.2 dev ${d} proto dhcp src 10.0.2.15 metric 100'`).join('; ') || 'true'} ;;`,
        '  *) exit 99 ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = spawnSync('bash', ['-c', `set -euo pipefail\n${part}\nprintf '%s\\n' "\${install_args[*]}"`], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    said = r.stderr;
    return r.stdout.trim();
  };

  test('the address on another NIC than the default route: K3s gets that NIC (flannel would take the default route\'s)', () => {
    expect(run([['enp0s3', '10.0.2.15'], ['enp0s8', '10.20.0.12']], ['enp0s3'])).toBe('agent --node-name pi2 --node-ip 10.20.0.12 --flannel-iface enp0s8');
  });

  test('the address on the default route\'s NIC: no flag (K3s picks that NIC itself)', () => {
    expect(run([['eth0', '10.20.0.12']], ['eth0'])).toBe('agent --node-name pi2 --node-ip 10.20.0.12');
  });

  test('flannel takes the first default route: a second one on the address\'s NIC does not count', () => {
    expect(run([['wlan0', '192.168.1.7'], ['eth0', '10.20.0.12']], ['wlan0', 'eth0'])).toBe('agent --node-name pi2 --node-ip 10.20.0.12 --flannel-iface eth0');
  });

  test('no NIC holds the address (reached through NAT): no flag, and the script says so', () => {
    expect(run([['eth0', '172.31.5.9']], ['eth0'])).toBe('agent --node-name pi2 --node-ip 10.20.0.12');
    expect(said).toContain("no network interface on this machine holds 10.20.0.12; K3s's flannel uses the default route's interface (eth0)");
  });
});

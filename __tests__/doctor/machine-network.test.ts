import { spawnSync } from 'child_process';
import * as net from 'net';
import { inboundRules, judgeMachineNet, parseNetProbe, portProbeScript, portsBoundScript } from '../../cli/doctor/machine-network';
import { resolveLabConfig } from '../../config/load';
import { findNode } from '../../config/lab-config';

const lab = (servers: number) =>
  resolveLabConfig({
    nodes: [
      ...Array.from({ length: servers }, (_, i) => ({ name: `s${i + 1}`, role: 'server' as const, host: { address: `10.20.0.1${i + 1}`, user: 'ubuntu' } })),
      { name: 'a1', role: 'agent' as const, host: { address: '10.20.0.21', user: 'ubuntu' } },
    ],
  }).config;

describe('what breaks a cluster of existing machines', () => {
  const cfg = lab(1);
  const s1 = findNode(cfg, 's1');
  const a1 = findNode(cfg, 'a1');
  const facts = (over: Partial<ReturnType<typeof parseNetProbe>> = {}) => ({
    ...parseNetProbe('hostname=s1\nswap_kb=0\naddress_iface=enp0s8\ndefault_ifaces=enp0s3\nroute_10.20.0.21=enp0s8\n'),
    ...over,
  });
  const byCheck = (f: ReturnType<typeof judgeMachineNet>) => Object.fromEntries(f.map((x) => [x.check, x]));

  test('the probe lines are read back: default routes in order, the route to each other machine', () => {
    expect(parseNetProbe('hostname=s1\nswap_kb=2048\naddress_iface=enp0s8\ndefault_ifaces=enp0s3,enp0s8\nroute_10.20.0.21=enp0s3\n')).toEqual({
      hostname: 's1',
      swapKb: 2048,
      addressIface: 'enp0s8',
      defaultIfaces: ['enp0s3', 'enp0s8'],
      routeTo: { '10.20.0.21': 'enp0s3' },
    });
  });

  test('a default route on another NIC is said, with the --flannel-iface kubelab passes', () => {
    const f = byCheck(judgeMachineNet(s1, 's1', facts(), [a1]));
    expect(f.interfaces).toMatchObject({ level: 'ok', message: expect.stringContaining('the default route leaves through enp0s3') });
    expect(f.interfaces.message).toContain('--flannel-iface enp0s8');
    expect(f.hostname.level).toBe('ok');
    expect(f.swap.level).toBe('ok');
  });

  test('traffic to another machine through another NIC fails; no interface holding the address fails', () => {
    const wrong = judgeMachineNet(s1, 's1', facts({ routeTo: { '10.20.0.21': 'enp0s3' } }), [a1]).filter((x) => x.level === 'fail');
    expect(wrong).toEqual([expect.objectContaining({ check: 'interfaces', message: expect.stringContaining('a1 (10.20.0.21) leaves through enp0s3, not through enp0s8') })]);
    const none = byCheck(judgeMachineNet(s1, 's1', facts({ addressIface: '' }), [a1]));
    expect(none.interfaces).toMatchObject({ level: 'fail', message: expect.stringContaining('no network interface there holds 10.20.0.11') });
  });

  test('swap and a hostname other than the node name are warnings with a fix', () => {
    const f = byCheck(judgeMachineNet(s1, 's1', facts({ swapKb: 1048576, hostname: 'raspberrypi' }), [a1]));
    expect(f.swap).toMatchObject({ level: 'warn', message: expect.stringContaining('swap is on (1024 MB)'), fix: expect.stringContaining('swapoff -a') });
    expect(f.hostname).toMatchObject({ level: 'warn', message: expect.stringContaining("the hostname is 'raspberrypi', not the node name 's1'"), fix: 'on 10.20.0.11: sudo hostnamectl set-hostname s1 (or rename the node in kubelab.config.yaml)' });
  });

  test("the ports per K3s's inbound rules: 6443 only to servers, 2379-2380 only between servers of an HA lab", () => {
    const ports = (c: typeof cfg, to: string, from: string) => inboundRules(c, findNode(c, to), findNode(c, from)).map((r) => `${r.port}/${r.proto}`);
    expect(ports(cfg, 's1', 'a1')).toEqual(['6443/tcp', '8472/udp', '10250/tcp']);
    expect(ports(cfg, 'a1', 's1')).toEqual(['8472/udp', '10250/tcp']);
    const ha = lab(3);
    expect(ports(ha, 's2', 's1')).toEqual(['6443/tcp', '8472/udp', '10250/tcp', '2379/tcp', '2380/tcp']);
    expect(ports(ha, 's2', 'a1')).toEqual(['6443/tcp', '8472/udp', '10250/tcp']);
  });

  test('the sender script tries every port at once and names itself in its datagrams', () => {
    const script = portProbeScript('a1', [{ address: '10.20.0.11', rule: { proto: 'tcp', port: 6443, why: '' } }, { address: '10.20.0.11', rule: { proto: 'udp', port: 8472, why: '' } }]);
    expect(script).toContain('tcp 10.20.0.11 6443 &');
    expect(script).toContain('udp 10.20.0.11 8472 &');
    expect(script).toContain('"kubelab a1"');
  });

  test('senders start once the receiver listens: the kernel\'s socket tables say when a port is bound', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const bound = spawnSync('bash', ['-s'], { input: portsBoundScript([{ proto: 'tcp', port, why: '' }], 1), encoding: 'utf8' });
      const free = spawnSync('bash', ['-s'], { input: portsBoundScript([{ proto: 'tcp', port, why: '' }, { proto: 'udp', port: 1, why: '' }], 1), encoding: 'utf8' });
      // Without python3 on the receiver there is no listener: 2, said as "not checked".
      expect([bound.status, free.status]).toEqual(spawnSync('bash', ['-c', 'command -v python3']).status === 0 ? [0, 1] : [2, 2]);
    } finally {
      server.close();
    }
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { readableKeyPair } from '../../cli/ssh/keys';
import { resolveLabConfig } from '../../config/load';
import { checkExistingHosts } from '../../cli/doctor/existing-hosts';
import { Finding } from '../../cli/doctor/checks';
import { TEST_SSH_ENDPOINTS_ENV } from '../../cli/ssh/target';
import { FakeNode, makeTestLab, sshEndpointsEnv, startFakeNode } from '../support/sshd-fake-node';
import { requireTool } from '../support/tools';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';

/** The files a fake existing host shows the probe: an Ubuntu with systemd, 2 CPUs and 4 GB unless said otherwise. */
function giveHostFiles(node: FakeNode, files: { osRelease?: string; init?: string; cpus?: number; memoryKb?: number; hostname?: string; swapKb?: number } = {}): void {
  const put = (p: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(node.root, p)), { recursive: true });
    fs.writeFileSync(path.join(node.root, p), text);
  };
  put('etc/os-release', files.osRelease ?? 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nVERSION_ID="24.04"\n');
  put('proc/1/comm', `${files.init ?? 'systemd'}\n`);
  put('proc/cpuinfo', Array.from({ length: files.cpus ?? 2 }, (_, i) => `processor\t: ${i}\nmodel name\t: stand-in\n`).join('\n'));
  put('proc/meminfo', `MemTotal:       ${files.memoryKb ?? 4_026_000} kB\nMemFree:        1000 kB\n`);
  put('proc/sys/kernel/hostname', `${files.hostname ?? 's1'}\n`);
  // As the kernel lists it: a header, then one line per swap area (size and used in kB).
  put('proc/swaps', `Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n${files.swapKb ? `/swap.img                               file\t\t${files.swapKb}\t\t0\t\t-2\n` : ''}`);
}

/**
 * STAND-IN for iproute2's \`ip\` on a fake machine that holds 10.20.0.11 on eth0 with the default
 * route there: the three queries doctor makes, printed in the one-line forms \`ip -o -4 addr show\`,
 * \`ip -4 route show default\` and \`ip -4 -o route get\` use (iproute2 6.1 as Debian 12 ships it).
 * Machines without it use the real \`ip\` of this computer, where 10.20.0.x is nobody's address,
 * so doctor sends no probe to the other machines.
 */
const STAND_IN_IP = `#!/bin/bash
case "$*" in
  "-o -4 addr show") echo '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever'
                     echo '2: eth0    inet 10.20.0.11/24 brd 10.20.0.255 scope global eth0\\       valid_lft forever preferred_lft forever' ;;
  "-4 route show default") echo 'default via 10.20.0.1 dev eth0 proto static' ;;
  "-4 -o route get "*) echo "$5 dev eth0 src 10.20.0.11 uid 1000 \\    cache " ;;
  *) echo "stand-in ip: unexpected: ip $*" >&2; exit 99 ;;
esac
`;

const byCheck = (findings: Finding[], node: string) => Object.fromEntries(findings.filter((f) => f.message.startsWith(`${node} (`)).map((f) => [f.check, f]));

requireTool('/usr/sbin/sshd')('doctor on existing hosts (real OpenSSH servers playing the machines)', () => {
  let lab: ReturnType<typeof makeTestLab>;
  let good: FakeNode;
  let noSudo: FakeNode;
  let foreignK3s: FakeNode;

  beforeAll(async () => {
    lab = makeTestLab();
    [good, noSudo, foreignK3s] = await Promise.all([startFakeNode(lab.paths), startFakeNode(lab.paths), startFakeNode(lab.paths)]);
    giveHostFiles(good);
    good.addStandIn('ip', STAND_IN_IP);
    giveHostFiles(noSudo, { osRelease: 'PRETTY_NAME="Fedora Linux 41"\nID=fedora\n' });
    giveHostFiles(foreignK3s, { cpus: 1, memoryKb: 400_000 });
    // STAND-IN sudo as on a machine without NOPASSWD: sudo -n refuses at once (message as sudo 1.9 prints it).
    noSudo.addStandIn('sudo', '#!/bin/bash\necho "sudo: a password is required" >&2\nexit 1\n');
    fs.writeFileSync(path.join(foreignK3s.root, 'usr', 'local', 'bin', 'k3s'), '#!/bin/sh\n', { mode: 0o755 });
    // Another key the hosts do not accept, in .kubelab/ as a user would put it.
    fs.writeFileSync(path.join(lab.paths.stateDir, 'ssh', 'other-key'), readableKeyPair().private, { mode: 0o600 });
    Object.assign(
      process.env,
      sshEndpointsEnv({
        '10.20.0.11': good,
        '10.20.0.12': noSudo,
        '10.20.0.13': foreignK3s,
        '10.20.0.14': good,
        // Nothing listens on port 1: the "unreachable machine".
        '10.20.0.15': { sshd: { host: '127.0.0.1', port: 1, user: 'nobody' } } as FakeNode,
      }),
    );
  });
  afterAll(async () => {
    delete process.env[TEST_SSH_ENDPOINTS_ENV];
    await Promise.all([good?.stop(), noSudo?.stop(), foreignK3s?.stop()]);
    lab?.cleanup();
  });

  test('SSH, passwordless sudo, OS, size and foreign K3s are each reported with a fix', async () => {
    const host = (name: string, role: string, address: string, extra: object = {}) => ({ name, role, host: { address, user: 'ubuntu', ...extra } });
    const { config } = resolveLabConfig({
      nodes: [
        host('s1', 'server', '10.20.0.11'),
        host('a1', 'agent', '10.20.0.12'),
        host('a2', 'agent', '10.20.0.13'),
        host('a3', 'agent', '10.20.0.14', { keyFile: 'ssh/other-key' }),
        host('a4', 'agent', '10.20.0.15'),
      ],
    });
    const findings = await checkExistingHosts(config, lab.paths, 2000);

    const s1 = byCheck(findings, 's1');
    expect(Object.values(s1).map((f) => [f.check, f.level])).toEqual([
      ['ssh', 'ok'],
      ['sudo', 'ok'],
      ['os', 'ok'],
      ['resources', 'ok'],
      ['k3s', 'ok'],
      ['hostname', 'ok'],
      ['swap', 'ok'],
      ['interfaces', 'ok'],
    ]);
    expect(s1.os.message).toContain('Ubuntu 24.04.1 LTS');
    expect(s1.interfaces.message).toContain('10.20.0.11 is on eth0, which holds the default route');

    const a1 = byCheck(findings, 'a1');
    expect(a1.sudo.level).toBe('fail');
    expect(a1.sudo.message).toContain('sudo: a password is required');
    expect(a1.sudo.fix).toContain("ubuntu ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/kubelab");
    expect(a1.os).toMatchObject({ level: 'warn', message: expect.stringContaining('Fedora Linux 41') });

    const a2 = byCheck(findings, 'a2');
    expect(a2.resources).toMatchObject({ level: 'fail', message: expect.stringContaining('1 CPUs, 390 MB of RAM; a K3s agent needs at least 1 CPUs and 512 MB') });
    expect(a2.k3s).toMatchObject({ level: 'fail', message: expect.stringContaining('kubelab did not install it') });
    // No interface of this computer holds 10.20.0.13: said, and no port is probed between the machines.
    expect(a2.interfaces).toMatchObject({ level: 'fail', message: expect.stringContaining('no network interface there holds 10.20.0.13') });
    expect(findings.filter((f) => f.check === 'ports')).toEqual([]);

    const a3 = byCheck(findings, 'a3');
    expect(Object.keys(a3)).toEqual(['ssh']);
    expect(a3.ssh.level).toBe('fail');
    expect(a3.ssh.message).toContain('login failed');
    expect(a3.ssh.fix).toContain('npx kubelab ssh-key a3 prints the line to run on the machine once');

    const a4 = byCheck(findings, 'a4');
    expect(a4.ssh).toMatchObject({ level: 'fail', message: expect.stringContaining('never answered') });
  }, 30_000);

  test('`kubelab doctor` on a lab of only existing machines checks Terraform and the machines, not VirtualBox', async () => {
    fs.writeFileSync(path.join(lab.projectDir, 'kubelab.config.yaml'), 'nodes:\n  - { name: s1, role: server, host: { address: 10.20.0.11, user: ubuntu } }\n');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['doctor'], lab.projectDir, new CliContext(lab.projectDir, (l) => out.push(l), (l) => err.push(l)));
    const text = out.join('\n');
    expect(text).not.toMatch(/virtualbox|VBoxManage|network:|address:/i);
    expect(text).toMatch(/^(ok {3}|FAIL )terraform: /m);
    for (const check of ['ssh', 'sudo', 'os', 'resources', 'k3s', 'hostname', 'swap', 'interfaces']) expect(text).toMatch(new RegExp(`^ok {3}${check}: s1 \\(ubuntu@10\\.20\\.0\\.11\\)`, 'm'));
    expect(code === 0 ? text : err.join('\n')).toMatch(code === 0 ? /this host can run the lab/ : /terraform/);
  }, 30_000);

  test('an Alpine host with OpenRC fails the OS check (kubelab runs K3s under systemd)', async () => {
    giveHostFiles(good, { osRelease: 'PRETTY_NAME="Alpine Linux v3.20"\nID=alpine\n', init: 'init' });
    try {
      const { config } = resolveLabConfig({ nodes: [{ name: 's1', role: 'server', host: { address: '10.20.0.11', user: 'ubuntu' } }] });
      const os = byCheck(await checkExistingHosts(config, lab.paths, 2000), 's1').os;
      expect(os).toMatchObject({ level: 'fail', message: expect.stringContaining("runs 'init' as PID 1, not systemd") });
    } finally {
      giveHostFiles(good);
    }
  });
});

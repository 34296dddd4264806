/**
 * REAL ARM64 GUESTS (`npm run test:guest:arm64`, not part of `npm test`): the lab on an
 * Apple Silicon host, as far as this amd64 machine can show it. kubelab runs its arm64 path
 * (KUBELAB_HOST_ARCH=arm64, KUBELAB_HOST_PLATFORM=darwin): it downloads the qcow2 image with its SHA256SUMS, builds the
 * base VM itself (createvm --platform-architecture arm, armv8virtual, EFI, clonemedium to
 * VDI), clones the nodes, seeds them with a network config matched by MAC, and installs K3s
 * over SSH. Behind the VBoxManage stand-in, the guests are Debian 13 arm64 under
 * qemu-system-aarch64 (TCG) with Debian's UEFI firmware; K3s and install.sh are stand-ins.
 * Every assertion reads the real guest over `kubelab ssh`. run.sh --arm64 builds the image and
 * gives this file a network namespace of its own.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UBUNTU_ARM64_IMG_FILE } from '../../cli/image/ubuntu-image';
import { guestDescribe, killLeftoverGuests, kubelabNodeArgs, qemuVirtualBox, runTimed, serveGuestImage, TimedRun } from './guest-lab';

const GUEST_DIR = process.env.KUBELAB_TEST_GUEST_ARM64_DIR;
const LAB = 'alab';
const VERSION = 'v1.36.4+k3s1';



const timings: [string, number][] = [];

guestDescribe('arm64 real-guest suite', 'test:guest:arm64', 'KUBELAB_TEST_GUEST_ARM64_DIR')('an arm64 lab of real guests: cp1 (server) and w1 (agent)', () => {
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let image: Awaited<ReturnType<typeof serveGuestImage>>;

  const kubelab = (args: string[], boundMs = 15 * 60_000): Promise<TimedRun> =>
    runTimed(`kubelab ${args.join(' ')}`, process.execPath, kubelabNodeArgs(args, project), { env, cwd: project, boundMs, timings });
  const onGuest = async (node: string, command: string): Promise<string> => {
    const r = await kubelab(['ssh', node, '--', command], 180_000);
    if (r.code !== 0) throw new Error(`kubelab ssh ${node} -- ${command}: exit ${r.code}\n${r.text}`);
    return r.text.trim();
  };
  /** What the VBoxManage stand-in recorded: VirtualBox's view of the VMs. */
  const vboxState = () => JSON.parse(fs.readFileSync(path.join(root, 'vbox', 'state.json'), 'utf8')) as { vms: Record<string, any>[]; media: Record<string, any>[] };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-arm64-guests-'));
    project = path.join(root, 'project');
    fs.mkdirSync(project);
    fs.copyFileSync(path.join(__dirname, 'install-standin.sh'), path.join(project, 'install.sh'));
    fs.writeFileSync(path.join(project, 'k3s'), fs.readFileSync(path.join(__dirname, 'k3s-standin.py'), 'utf8').replace("VERSION = 'v0.0.0+standin'", `VERSION = '${VERSION}'`), { mode: 0o755 });
    fs.writeFileSync(
      path.join(project, 'kubelab.config.yaml'),
      [
        `name: ${LAB}`,
        `k3s:`,
        `  version: ${VERSION}`,
        `  installer: { source: local, binary: k3s, script: install.sh }`,
        `nodes:`,
        `  - { name: cp1, role: server, ip: 192.168.56.10, cpus: 2, memoryMb: 2048 }`,
        `  - { name: w1, role: agent, ip: 192.168.56.11, cpus: 1, memoryMb: 1024 }`,
        ``,
      ].join('\n'),
    );
    // The image exactly as Ubuntu publishes the arm64 one: a qcow2 file and SHA256SUMS, over HTTP.
    image = await serveGuestImage(GUEST_DIR!, UBUNTU_ARM64_IMG_FILE);
    env = {
      ...process.env,
      ...qemuVirtualBox(root, GUEST_DIR!),
      // An Apple Silicon Mac, as VirtualBox sees it (VirtualBox has no Linux arm64 host).
      KUBELAB_HOST_ARCH: 'arm64',
      KUBELAB_HOST_PLATFORM: 'darwin',
      VBOXMANAGE_STANDIN_VERSION: '7.2.8r170228',
      KUBELAB_IMAGE_BASE_URL: image.baseUrl,
      XDG_CACHE_HOME: path.join(root, 'cache'),
      HOME: root,
    };
    delete env.NODE_EXTRA_CA_CERTS;
  });

  afterAll(async () => {
    killLeftoverGuests(root);
    await image?.close();
    fs.rmSync(root, { recursive: true, force: true });
    console.log(`arm64 guest suite timings (s):\n${timings.map(([what, s]) => `${String(s).padStart(5)}  ${what}`).join('\n')}`);
  });

  test('image import: the qcow2 image is downloaded, checked against SHA256SUMS, and built into an arm VM with a VDI disk', async () => {
    expect(await kubelab(['network', 'up'])).toMatchObject({ code: 0 });
    const r = await kubelab(['image', 'import']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.text).toMatch(new RegExp(`downloaded and verified .*${UBUNTU_ARM64_IMG_FILE.replace(/\./g, '\\.')} \\(sha256 [0-9a-f]{64}\\)`));
    const base = vboxState().vms.find((v) => v.name === `${LAB}-base`)!;
    expect(base).toMatchObject({ platform: 'arm', chipset: 'armv8virtual', firmware: 'efi64', graphicscontroller: 'qemuramfb' });
    const disk = vboxState().media.find((m) => m.location.endsWith(`${LAB}-base.vdi`));
    expect(disk).toMatchObject({ format: 'VDI' });
    // The cached image was only read: clonemedium's registration of it was closed again.
    expect(vboxState().media.some((m) => m.location.endsWith(UBUNTU_ARM64_IMG_FILE))).toBe(false);
  });

  test('vm create cp1 and w1 boot arm64 guests: cloud-init done, SSH, and the host-only address on the NIC matched by its MAC', async () => {
    const runs = await Promise.all(['cp1', 'w1'].map((n) => kubelab(['vm', 'create', n, '--timeout', '40m'], 45 * 60_000)));
    for (const r of runs) expect({ code: r.code, text: r.text }).toEqual({ code: 0, text: expect.stringContaining('cloud-init finished') });
    for (const [node, ip] of [['cp1', '192.168.56.10'], ['w1', '192.168.56.11']]) {
      expect(await onGuest(node, 'uname -m; hostname; cloud-init status')).toMatch(new RegExp(`^aarch64\\n${node}\\n[\\s\\S]*status: done`));
      // Booted by the UEFI firmware, as VirtualBox's armv8virtual VMs boot (--firmware efi64): the kernel's EFI stub ran.
      expect(await onGuest(node, 'test -d /sys/firmware/efi && echo efi')).toBe('efi');
      // The MACs VirtualBox gave the NICs (the stand-in's record) name the interfaces: NIC1 (NAT) enp0s3, NIC2
      // (host-only) enp0s8 holding the static address, as the seed's network config says.
      const macs = vboxState().vms.find((v) => v.name === `${LAB}-${node}`)!.macs;
      const nicWithMac = (n: number) => onGuest(node, `ip -o link | grep -i 'link/ether ${macs[n].toLowerCase().match(/../g).join(':')}' | cut -d: -f2`);
      expect(await nicWithMac(1)).toBe('enp0s3');
      expect(await nicWithMac(2)).toBe('enp0s8');
      // armv8virtual's PCI slots (8 and 9) had the kernel name NIC2 enp0s9: cloud-init found it by its MAC and renamed it.
      expect((await onGuest(node, "sudo -n journalctl -k -b -o cat | grep -o 'enp0s[0-9]*: renamed from [a-z0-9]*'")).split('\n')).toContain('enp0s8: renamed from enp0s9');
      expect(await onGuest(node, 'ip -4 -o addr show dev enp0s8')).toMatch(new RegExp(`^\\d+: enp0s8\\s+inet ${ip.replace(/\./g, '\\.')}/24 `));
    }
    expect(await onGuest('w1', "timeout 10 bash -c '</dev/tcp/192.168.56.10/22' && echo reached")).toBe('reached');
  });

  test('k3s server cp1 and agent w1: both units run, and the server lists w1 Ready at its host-only address', async () => {
    expect(await kubelab(['k3s', 'server', 'cp1'])).toMatchObject({ code: 0 });
    expect(await onGuest('cp1', 'systemctl is-active k3s')).toBe('active');
    expect(await kubelab(['k3s', 'agent', 'w1'])).toMatchObject({ code: 0 });
    expect(await onGuest('w1', 'systemctl is-active k3s-agent')).toBe('active');
    expect(await onGuest('cp1', `sudo -n k3s kubectl get node w1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address}'`)).toBe('True 192.168.56.11');
  });
});

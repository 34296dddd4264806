/**
 * The arm64 base VM (Apple Silicon), built by kubelab around Ubuntu's qcow2 image, through
 * the VBoxManage STAND-IN (not VirtualBox; it cites VirtualBox's source per behaviour). The
 * qcow2 files are made by the real qemu-img.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UBUNTU_ARM64_IMG_FILE, ubuntuImageSource } from '../../cli/image/ubuntu-image';
import { ensureBaseImage } from '../../cli/virtualbox/base-image';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';
import { labPaths } from '../../config/paths';
import { ImageServer, startImageServer } from '../image/image-server';
import { TOOL_TIMEOUT_MS, requireTool } from '../support/tools';
import { StandInEnv, withEnv } from '../support/vboxmanage-standin-env';
import { scratchLab } from './standin-harness';

let s: StandInEnv;
let project: string;
let server: ImageServer;
afterEach(async () => {
  await server.close();
  s.cleanup();
});

/** A qcow2 image as qemu-img writes it from 8 MB of text, with these options. */
function qcow2(dir: string, ...opts: string[]): Buffer {
  const raw = path.join(dir, 'disk.raw');
  const out = path.join(dir, 'disk.qcow2');
  fs.writeFileSync(raw, Buffer.alloc(8 * 1024 * 1024, 'kubelab '));
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...opts, raw, out], { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS });
  return fs.readFileSync(out);
}

const importBase = async (content: Buffer) => {
  server = await startImageServer({ fileName: UBUNTU_ARM64_IMG_FILE, content });
  ({ s, project } = scratchLab(server.baseUrl));
  const lines: string[] = [];
  const err = await withEnv(s.env, () =>
    ensureBaseImage({
      vb: new VBoxManage(),
      lab: 'kubelab',
      paths: labPaths(project),
      source: ubuntuImageSource({ KUBELAB_IMAGE_BASE_URL: server.baseUrl }, 'arm64'),
      host: { platform: 'darwin', arch: 'arm64' },
      out: (l) => lines.push(l),
      progress: () => undefined,
    }).then(
      () => undefined,
      (e: Error) => e,
    ),
  );
  return { err, lines };
};

requireTool('qemu-img')('image import on Apple Silicon', () => {
  test('creates an arm VM (armv8virtual, EFI, qemuramfb), VirtualBox converts the compressed qcow2 to its VDI, and the cached image is not left registered', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-arm64-img-'));
    const { err, lines } = await importBase(qcow2(dir, '-c'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(err).toBeUndefined();
    const base = s.state().vms.find((v) => v.name === 'kubelab-base')!;
    expect(base).toMatchObject({ platform: 'arm', ostype: 'Linux_arm64', chipset: 'armv8virtual', firmware: 'efi64', graphicscontroller: 'qemuramfb' });
    // The disk attached on SATA port 0 is the snapshot's differencing image; its parent is the converted VDI.
    const media = s.state().media;
    let disk = media.find((m) => m.uuid === base.attachments['SATA|0|0'].medium);
    while (disk?.parent) disk = media.find((m) => m.uuid === disk!.parent);
    // capacity: the stand-in read the qcow2's virtual size, as VirtualBox's reader does.
    expect(disk).toMatchObject({ format: 'VDI', location: expect.stringMatching(/kubelab-base\.vdi$/), capacityMb: 8 });
    expect(s.state().media.some((m) => m.location.endsWith(UBUNTU_ARM64_IMG_FILE))).toBe(false);
    expect(s.calls().filter((c) => /^(createvm|modifyvm|storagectl|clonemedium|closemedium|storageattach) /.test(c))[0]).toMatch(/^createvm --name kubelab-base --platform-architecture arm /);
    expect(lines).toContain('kubelab: base VM kubelab-base is ready (snapshot kubelab-base)');
  }, 120_000);

  test('an image VirtualBox cannot read (zstd-compressed clusters) is refused before any VM is made, saying why', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-arm64-img-'));
    const { err } = await importBase(qcow2(dir, '-c', '-o', 'compression_type=zstd'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(err?.message).toMatch(/cannot be converted by VirtualBox's qcow2 reader \(src\/VBox\/Storage\/QCOW\.cpp\): incompatible feature: compression type other than zlib\. Delete the file/);
    expect(s.calls().some((c) => c.startsWith('createvm'))).toBe(false);
  }, 120_000);
});

import * as path from 'path';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { userCacheDir } from '../image/cache-dir';
import { fetchVerifiedImage } from '../image/download';
import { DownloadRecord } from '../deploy/step-timeline';
import { HostPlatform, assertHostRunsImage } from '../image/host-arch';
import { progressBar } from '../image/progress-bar';
import { ImageSource } from '../image/ubuntu-image';
import { createArm64BaseVm } from './arm64-base';
import { vbox } from './commands';
import { LAB_MARKER_KEY, PROJECT_KEY, READY_KEY, deleteVm, inspectVm, labGroup, labVmsDir, projectIdentity } from './lab-vm';
import { attachedDisks, parseMachineReadable, parseVmList } from './parse';
import { lockStaleMs, withFileLock } from '../file-lock';
import { VBoxManage } from './vboxmanage';

/** The snapshot every node is a linked clone of. */
export const BASE_SNAPSHOT = 'kubelab-base';

export function baseVmName(lab: string): string {
  return `${lab}-base`;
}

export interface BaseImageDeps {
  readonly vb: VBoxManage;
  readonly lab: string;
  readonly paths: LabPaths;
  readonly source: ImageSource;
  readonly out: (line: string) => void;
  readonly progress: (text: string) => void;
  /** The host (its CPU decides the image). @default hostPlatform() */
  readonly host?: HostPlatform;
  /** Told what was fetched from the internet (the stand-up's download summary). @default not told */
  readonly recordDownload?: (d: DownloadRecord) => void;
}

/**
 * Makes sure the lab's base VM exists: the Ubuntu OVA imported once (on arm64: a VM
 * built around Ubuntu's qcow2 disk, cli/virtualbox/arm64-base.ts), its disk turned
 * into VDI (so clones' disks can be resized), a DVD controller for the seed added, and
 * the snapshot clones are made from. Held under a lock, since several `vm create` may
 * find it missing at once. A base whose import crashed is deleted and imported again.
 */
export async function ensureBaseImage(d: BaseImageDeps): Promise<void> {
  const name = baseVmName(d.lab);
  assertHostRunsImage(d.host);
  const lock = path.join(userCacheDir(), 'locks', `base-${d.lab}.lock`);
  // The first `vm create` imports the base; the others wait here, saying so, for minutes on a first deploy.
  const waiting = { what: `the base VM ${name}, which another step is importing`, out: d.out };
  await withFileLock(lock, { staleMs: lockStaleMs(), waitMs: 2 * 60 * 60 * 1000, waiting }, async () => {
    const view = await inspectVm(d.vb, name, d.lab, d.paths);
    if (view.registered && view.ours && view.ready) {
      d.out(`kubelab: base VM ${name} is already imported; nothing to do`);
      return;
    }
    if (view.registered && view.ours) d.out(`kubelab: base VM ${name} is left from an import that did not finish; importing it again`);
    await deleteVm(d.vb, view, d.paths, d.lab);

    const image = await fetchVerifiedImage(d.source, {
      cacheDir: userCacheDir(),
      host: d.host,
      onProgress: progressBar(`kubelab: downloading ${d.source.fileName}`, d.progress, process.stderr.isTTY === true),
      out: d.out,
    });
    if (image.bytes > 0) d.recordDownload?.({ artifact: d.source.fileName, bytes: image.bytes, by: 'host' });
    d.out(`kubelab: ${image.downloaded ? 'downloaded and verified' : 'using the cached'} ${image.file} (sha256 ${image.sha256})`);

    const markOurs = async () => {
      await d.vb.run(vbox.setExtraData(name, PROJECT_KEY, projectIdentity(d.paths)));
      await d.vb.run(vbox.setExtraData(name, LAB_MARKER_KEY, d.lab));
    };
    if (d.source.format === 'qcow2') {
      d.out(`kubelab: creating ${name} (arm64) around ${d.source.fileName}, converted to VDI by VirtualBox`);
      await createArm64BaseVm(d.vb, name, image.file, d.paths, d.lab, markOurs);
    } else {
      d.out(`kubelab: importing ${d.source.fileName} as ${name}`);
      await d.vb.run(vbox.importOva(image.file, name, labVmsDir(d.paths), labGroup(d.lab)));
      await markOurs();
      const info = parseMachineReadable(await d.vb.run(vbox.showVmInfo(name)));
      const disk = attachedDisks(info)[0];
      if (!disk) throw new KubelabError(`the imported ${name} has no hard disk; the image ${d.source.fileName} is not what kubelab expects`);
      if (!/\.vdi$/i.test(disk.path)) {
        const vdi = path.join(path.dirname(disk.path), `${name}.vdi`);
        await d.vb.run(vbox.cloneDiskToVdi(disk.path, vdi));
        await d.vb.run(vbox.attachDisk(name, disk.controller, disk.port, disk.device, vdi));
        await d.vb.run(vbox.closeDisk(disk.path, true));
      }
    }
    await d.vb.run(vbox.addSeedController(name));
    await d.vb.run(vbox.takeSnapshot(name, BASE_SNAPSHOT, 'kubelab: the Ubuntu cloud image as imported; lab nodes are linked clones of this'));
    await d.vb.run(vbox.setExtraData(name, READY_KEY, 'yes'));
    d.out(`kubelab: base VM ${name} is ready (snapshot ${BASE_SNAPSHOT})`);
  });
}

/** Deletes the base VM (the downloaded image stays in the cache). Refuses while nodes are still cloned from it. */
export async function removeBaseImage(vb: VBoxManage, lab: string, paths: LabPaths, out: (line: string) => void): Promise<void> {
  const name = baseVmName(lab);
  const view = await inspectVm(vb, name, lab, paths);
  if (!view.registered) {
    await deleteVm(vb, view, paths, lab);
    out(`kubelab: no base VM ${name}; nothing to do`);
  } else {
    const nodes = parseVmList(await vb.run(vbox.listVms()))
      .map((v) => v.name)
      .filter((n) => n.startsWith(`${lab}-`) && n !== name);
    const clones = [];
    for (const n of nodes) if ((await inspectVm(vb, n, lab, paths)).ours) clones.push(n);
    if (clones.length > 0) {
      throw new KubelabError(`the lab's VMs ${clones.sort().join(', ')} are linked clones of ${name}; destroy them first (npx kubelab vm destroy <node> --lab ${lab})`);
    }
    await deleteVm(vb, view, paths, lab);
    out(`kubelab: removed base VM ${name}`);
  }
  out(`kubelab: the downloaded image stays in ${userCacheDir()} for the next lab; delete that folder to reclaim the space`);
}

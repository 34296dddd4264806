import * as path from 'path';
import { LabConfig, LabNode } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { ensureLabKeyPair } from '../ssh/keys';
import { writeFileAtomic } from '../state-dir';
import { NodeNicMacs, NodeSeedFiles, nodeSeedFiles } from './cloud-init';
import { writeIso9660 } from './iso9660';

/** cloud-init's NoCloud datasource looks for a filesystem with this label. */
export const SEED_VOLUME_LABEL = 'cidata';

/** The NoCloud seed image holding user-data, meta-data and network-config. */
export function seedIsoImage(files: NodeSeedFiles): Buffer {
  return writeIso9660({
    volumeId: SEED_VOLUME_LABEL,
    files: [
      { name: 'user-data', content: Buffer.from(files.userData) },
      { name: 'meta-data', content: Buffer.from(files.metaData) },
      { name: 'network-config', content: Buffer.from(files.networkConfig) },
    ],
  });
}

/** Where a node's seed lives in the lab state dir (attached to the VM as its DVD). */
export function seedIsoPath(paths: LabPaths, nodeName: string): string {
  return path.join(paths.seedsDir, `${nodeName}.iso`);
}

/** Writes the node's seed ISO (with the lab's SSH key, created on first use) to `out`; with the VM's MACs, its NICs are matched by them. */
export function writeNodeSeedIso(cfg: LabConfig, node: LabNode, paths: LabPaths, out = seedIsoPath(paths, node.name), macs?: NodeNicMacs): string {
  const { publicKey } = ensureLabKeyPair(paths);
  writeFileAtomic(out, seedIsoImage(nodeSeedFiles(cfg, node, publicKey, macs)));
  return out;
}

import * as fs from 'fs';
import { serverNode } from '../../config/lab-config';
import { CliContext } from '../context';
import { k3sServerUrl } from '../../config/k3s-plan';
import { SUDO, onNode } from '../k3s/remote';
import { connectToNode } from '../ssh/client';
import { labNodeSshTarget } from '../ssh/target';
import { writeSecretFile } from '../state-dir';
import { labKubeconfigFromK3s } from './lab-kubeconfig';
import { mergeLabIntoUserKubeconfig, mergedInto } from './merge';

/** Where K3s writes the admin kubeconfig on the server. */
export const K3S_KUBECONFIG_ON_SERVER = '/etc/rancher/k3s/k3s.yaml';

/**
 * `kubelab k3s kubeconfig`: reads the admin kubeconfig from the server, points it at the
 * server's host-only address, names it after the lab and writes it 0600 into the lab
 * state dir (the cluster stacks' providers read it). Refreshes the merged copy, if any.
 */
export async function fetchLabKubeconfig(ctx: CliContext, connectTimeoutMs = 120_000): Promise<void> {
  const cfg = ctx.config;
  const server = serverNode(cfg);
  const session = await connectToNode({ paths: ctx.paths, target: labNodeSshTarget(server), timeoutMs: connectTimeoutMs, onProgress: ctx.out });
  let k3sYaml: string;
  try {
    k3sYaml = (await session.run(`${SUDO} cat ${onNode(K3S_KUBECONFIG_ON_SERVER)}`, { label: `reading ${K3S_KUBECONFIG_ON_SERVER}` })).stdout;
  } finally {
    session.close();
  }
  const serverUrl = k3sServerUrl(server.ip);
  const text = labKubeconfigFromK3s(k3sYaml, { name: cfg.name, serverUrl });
  const file = ctx.paths.kubeconfig;
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) {
    ctx.out(`kubelab: ${file} is up to date (cluster/context/user "${cfg.name}", server ${serverUrl}); nothing to do`);
  } else {
    writeSecretFile(file, text);
    ctx.out(`kubelab: wrote ${file} (mode 0600): cluster/context/user "${cfg.name}", server ${serverUrl}`);
  }
  const merged = mergedInto(ctx.paths);
  if (merged) {
    const outcome = mergeLabIntoUserKubeconfig(ctx.paths, cfg.name, merged);
    if (outcome.changed) ctx.out(`kubelab: refreshed the lab's entries in ${merged} (backup: ${outcome.backup ?? 'none, new file'})`);
  } else {
    ctx.out(`kubelab: to use it: npx kubelab kubectl get nodes (no kubectl needed), or merge it into your own kubeconfig: npx kubelab kubeconfig --merge`);
  }
}

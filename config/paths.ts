import * as path from 'path';

/**
 * Where things live, relative to the project root. Terraform runs each stack in
 * cdktf.out/stacks/<stack>, so from there the project is three levels up; every
 * path baked into synthesized Terraform is relative, so the JSON is identical on
 * every machine.
 */
export const PROJECT_FROM_STACK_DIR = '../../..';

/** The lab state dir: keys, token, kubeconfig, seeds, logs. Git-ignored; secrets mode 0600. */
export const STATE_DIR_NAME = '.kubelab';

/** The CLI entry point, relative to the project root. */
export const CLI_ENTRY = 'bin/kubelab.js';

export interface LabPaths {
  readonly projectDir: string;
  readonly stateDir: string;
  /** Kubeconfig written by `kubelab k3s kubeconfig`; read by the cluster stacks' providers. */
  readonly kubeconfig: string;
  readonly sshPrivateKey: string;
  readonly sshPublicKey: string;
  /** Host keys pinned per node on first contact. */
  readonly knownHosts: string;
  readonly k3sToken: string;
  /** Per-node cloud-init seed ISOs. */
  readonly seedsDir: string;
  /** Serial console logs and command logs. */
  readonly logsDir: string;
  /** kubelab's record of the existing machines it put K3s on, one file per node (cli/k3s/machine-records.ts). */
  readonly machinesDir: string;
}

export function labPaths(projectDir: string): LabPaths {
  const stateDir = path.join(projectDir, STATE_DIR_NAME);
  return {
    projectDir,
    stateDir,
    kubeconfig: path.join(stateDir, 'kubeconfig'),
    sshPrivateKey: path.join(stateDir, 'ssh', 'id_ed25519'),
    sshPublicKey: path.join(stateDir, 'ssh', 'id_ed25519.pub'),
    knownHosts: path.join(stateDir, 'ssh', 'known_hosts.json'),
    k3sToken: path.join(stateDir, 'k3s-token'),
    seedsDir: path.join(stateDir, 'seeds'),
    logsDir: path.join(stateDir, 'logs'),
    machinesDir: path.join(stateDir, 'machines'),
  };
}

/** The kubeconfig path as Terraform sees it from a stack dir (posix separators work on Windows too). */
export const KUBECONFIG_FROM_STACK = `\${path.module}/${PROJECT_FROM_STACK_DIR}/${STATE_DIR_NAME}/kubeconfig`;
